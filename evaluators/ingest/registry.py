"""Parser registry: each parser module declares which files it reads and what it extracts.

A parser is a plain function ``(ParseInput) -> Iterable[Evidence]``. It never opens files
itself, never executes project code and may raise freely: the walker turns any exception into
an ``Unparseable`` item naming the parser and the file, so one bad file never stops a run.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from hyperscore.evaluators.model import Evidence, Modality


@dataclass(frozen=True)
class ParseInput:
    """What a parser receives: the relative path and the decoded text of one file."""

    path: str
    text: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line_of(self, needle: str, start: int = 0) -> int | None:
        """1-based line number of the first line (from ``start``) containing ``needle``."""
        for idx in range(start, len(self.lines)):
            if needle in self.lines[idx]:
                return idx + 1
        return None


ParseFn = Callable[[ParseInput], Iterable[Evidence]]
MatchFn = Callable[[str], bool]


@dataclass(frozen=True)
class Parser:
    name: str
    modality: Modality
    matches: MatchFn
    parse: ParseFn


_PARSERS: list[Parser] = []


def glob_matcher(*patterns: str) -> MatchFn:
    """Match the relative POSIX path (and the bare file name) against shell globs.

    ``*.py`` matches at any depth; a pattern containing ``/`` matches the whole path
    (``.github/workflows/*.yml``); ``**/`` matches any directory prefix.
    """
    lowered = tuple(p.lower() for p in patterns)

    def match(path: str) -> bool:
        low = path.lower()
        name = low.rsplit("/", 1)[-1]
        for pat in lowered:
            if "/" in pat:
                if fnmatch.fnmatchcase(low, pat) or (
                    pat.startswith("**/") and fnmatch.fnmatchcase(low, pat[3:])
                ):
                    return True
            elif fnmatch.fnmatchcase(name, pat):
                return True
        return False

    return match


def parser(name: str, modality: Modality, match: MatchFn | Iterable[str]) -> Callable[[ParseFn], ParseFn]:
    """Register a parser. ``match`` is a predicate on the relative path or a list of globs."""
    matcher = match if callable(match) else glob_matcher(*match)

    def register(fn: ParseFn) -> ParseFn:
        if any(p.name == name for p in _PARSERS):
            raise ValueError(f"parser {name!r} registered twice")
        _PARSERS.append(Parser(name=name, modality=modality, matches=matcher, parse=fn))
        return fn

    return register


def load_parsers() -> list[Parser]:
    """Import every module in ``ingest.parsers`` (registering them) and return the list."""
    from hyperscore.evaluators.ingest import parsers as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return list(_PARSERS)


def parsers_for(path: str) -> list[Parser]:
    return [p for p in load_parsers() if p.matches(path)]
