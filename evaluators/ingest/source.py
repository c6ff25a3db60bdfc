"""The read-only view of a project that every parser sees.

A :class:`SourceTree` yields :class:`SourceFile` handles; contents are read lazily, never
executed, and never from outside the root. Directory, git and archive sources implement the
same interface (see ``sources.py``), so parsers do not know where bytes come from.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from hyperscore.evaluators.model import Omitted, SourceInfo

DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_FILES = 200_000


class SourceError(Exception):
    """A source that cannot be opened at all: one line, names the input."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what ingestion will read; anything beyond is recorded as omitted."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files: int = DEFAULT_MAX_FILES
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_archive_ratio: int = 200
    max_depth: int = 64


@dataclass(frozen=True)
class SourceFile:
    """One regular file inside the source root. ``path`` is POSIX and relative."""

    path: str
    size: int
    reader: Callable[[], bytes] = field(repr=False, compare=False)
    stamp: str | None = None
    """Cheap change marker without reading (mtime+inode, git blob id); None: hash the bytes."""

    def read_bytes(self) -> bytes:
        return self.reader()

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""


class SourceTree(abc.ABC):
    """A project's files. ``walk`` yields readable files; ``omitted`` what was skipped."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.omitted: list[Omitted] = []

    @property
    @abc.abstractmethod
    def info(self) -> SourceInfo: ...

    @abc.abstractmethod
    def walk(self) -> Iterator[SourceFile]:
        """Yield every regular file, in a stable order; record the rest in ``omitted``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release temporary resources (extracted archives, git processes)."""

    def __enter__(self) -> SourceTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
