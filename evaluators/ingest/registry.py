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
    # The globs behind ``matches`` (None for a predicate): lets ParserIndex skip the parser
    # for paths none of its globs can match without calling ``matches`` at all.
    patterns: tuple[str, ...] | None = None


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
    patterns = None if callable(match) else tuple(match)
    matcher = match if callable(match) else glob_matcher(*match)

    def register(fn: ParseFn) -> ParseFn:
        if any(p.name == name for p in _PARSERS):
            raise ValueError(f"parser {name!r} registered twice")
        _PARSERS.append(Parser(name=name, modality=modality, matches=matcher, parse=fn,
                               patterns=patterns))
        return fn

    return register


def load_parsers() -> list[Parser]:
    """Import every module in ``ingest.parsers`` (registering them) and return the list."""
    from hyperscore.evaluators.ingest import parsers as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return list(_PARSERS)


def parsers_for(path: str) -> list[Parser]:
    return ParserIndex(load_parsers()).for_path(path)


_GLOB_CHARS = frozenset("*?[]")


def _glob_key(pattern: str) -> tuple[str, str] | None:
    """What every path a glob matches must end with: an exact file name or a last extension.

    Returns ``("name", n)`` when the glob's last segment is literal (the file name is ``n``),
    ``("ext", ".x")`` when it ends in a literal extension (``*.yml``, ``ci-*.yaml``: the file
    name's last extension is ``.x``), and None when neither holds (``Dockerfile*``).
    """
    last = pattern.lower().rsplit("/", 1)[-1]
    if not _GLOB_CHARS.intersection(last):
        return ("name", last)
    dot = last.rfind(".")
    if dot >= 0 and not _GLOB_CHARS.intersection(last[dot:]):
        return ("ext", last[dot:])
    return None


class ParserIndex:
    """The parsers that match a path, found by file name and extension instead of by trying
    every parser's globs on every path (the walker's per-file cost with ~60 parsers).

    A parser is looked up by the file name or last extension its globs require; parsers with a
    predicate or an unindexable glob are always candidates. Candidates are then confirmed with
    the parser's own ``matches``, so the answer is exactly ``[p for p in parsers if
    p.matches(path)]`` in registration order; only a bare ``*.ext`` or literal-name glob skips
    the confirmation, since the lookup already proves it matches.
    """

    def __init__(self, parsers: list[Parser]) -> None:
        self.parsers = list(parsers)
        self._by_name: dict[str, list[tuple[int, bool]]] = {}
        self._by_ext: dict[str, list[tuple[int, bool]]] = {}
        self._always: list[int] = []
        for idx, item in enumerate(self.parsers):
            keys = [_glob_key(p) for p in item.patterns] if item.patterns is not None else [None]
            if any(key is None for key in keys):
                self._always.append(idx)
                continue
            for pattern, key in zip(item.patterns or (), keys, strict=True):
                assert key is not None
                kind, value = key
                low = pattern.lower()
                exact = (kind == "name" and low == value) or (
                    kind == "ext" and low == "*" + value and value.count(".") == 1
                )
                table = self._by_name if kind == "name" else self._by_ext
                table.setdefault(value, []).append((idx, exact))
        self._by_ext_cache: dict[str, tuple[tuple[int, bool], ...]] = {}

    @staticmethod
    def _merge(*groups: Iterable[tuple[int, bool]]) -> tuple[tuple[int, bool], ...]:
        merged: dict[int, bool] = {}
        for group in groups:
            for idx, exact in group:
                merged[idx] = merged.get(idx, False) or exact
        return tuple(sorted(merged.items()))

    def for_path(self, path: str) -> list[Parser]:
        """``[p for p in parsers if p.matches(path)]``, in registration order."""
        name = path.rsplit("/", 1)[-1].lower()
        dot = name.rfind(".")
        ext = name[dot:] if dot >= 0 else ""
        candidates = self._by_ext_cache.get(ext)
        if candidates is None:  # few distinct extensions: memoised per extension
            candidates = self._merge(((i, False) for i in self._always),
                                     self._by_ext.get(ext, ()))
            if len(self._by_ext_cache) < 1024:
                self._by_ext_cache[ext] = candidates
        named = self._by_name.get(name)
        if named is not None:
            candidates = self._merge(candidates, named)
        parsers = self.parsers
        return [parsers[idx] for idx, exact in candidates
                if exact or parsers[idx].matches(path)]
