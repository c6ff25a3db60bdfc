"""Parser registry: each parser module declares which files it reads and what it extracts.

A parser is a plain function ``(ParseInput) -> Iterable[Evidence]``. It never opens files
itself, never executes project code and may raise freely: the walker turns any exception into
an ``Unparseable`` item naming the parser and the file, so one bad file never stops a run.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import re
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


def parser(
    name: str, modality: Modality, match: MatchFn | Iterable[str]
) -> Callable[[ParseFn], ParseFn]:
    """Register a parser. ``match`` is a predicate on the relative path or a list of globs."""
    patterns = None if callable(match) else tuple(match)
    matcher = match if callable(match) else glob_matcher(*match)

    def register(fn: ParseFn) -> ParseFn:
        if any(p.name == name for p in _PARSERS):
            raise ValueError(f"parser {name!r} registered twice")
        _PARSERS.append(
            Parser(name=name, modality=modality, matches=matcher, parse=fn, patterns=patterns)
        )
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

    Globs match case-insensitively, so keys are lower case. ``("name", n)`` when the glob's
    last segment is literal (the file name is ``n``); ``("ext", ".x")`` when it ends in a
    literal extension (``*.yml``, ``ci-*.yaml``: the name's last extension is ``.x``); None when
    neither holds (``Dockerfile*``).
    """
    last = pattern.lower().rsplit("/", 1)[-1]
    if not _GLOB_CHARS.intersection(last):
        return ("name", last)
    dot = last.rfind(".")
    if dot >= 0 and not _GLOB_CHARS.intersection(last[dot:]):
        return ("ext", last[dot:])
    return None


PathCheck = Callable[[str, str, str], bool]
"""``(path, lowered path, lowered file name) -> matches``: one glob or predicate of a parser."""


def _glob_check(pattern: str) -> PathCheck:
    """One glob with :func:`glob_matcher`'s semantics, compiled once."""
    low = pattern.lower()
    if "/" in low:
        regexes = [re.compile(fnmatch.translate(low))]
        if low.startswith("**/"):
            regexes.append(re.compile(fnmatch.translate(low[3:])))
        return lambda _path, low_path, _name: any(r.match(low_path) for r in regexes)
    regex = re.compile(fnmatch.translate(low))
    return lambda _path, _low, name: regex.match(name) is not None


def _predicate_check(predicate: MatchFn) -> PathCheck:
    return lambda path, _low, _name: predicate(path)


class ParserIndex:
    """The parsers that match a path, found by file name and extension instead of by trying
    every parser's globs on every path (the walker's per-file cost with ~60 parsers).

    Each glob is filed under the file name or last extension it requires (see
    :func:`_glob_key`); only those globs are tried on a path, and a bare ``*.ext`` or literal
    name needs no trying at all. Predicates and globs with neither key (``Dockerfile*``) are
    tried on every path. The answer is exactly ``[p for p in parsers if p.matches(path)]``,
    in registration order.
    """

    def __init__(self, parsers: list[Parser]) -> None:
        self.parsers = list(parsers)
        # Entries: (parser position, check or None when the lookup itself proves the match).
        self._by_name: dict[str, list[tuple[int, PathCheck | None]]] = {}
        self._by_ext: dict[str, list[tuple[int, PathCheck | None]]] = {}
        self._always: list[tuple[int, PathCheck | None]] = []
        for idx, item in enumerate(self.parsers):
            if item.patterns is None:
                self._always.append((idx, _predicate_check(item.matches)))
                continue
            for pattern in item.patterns:
                key = _glob_key(pattern)
                if key is None:
                    self._always.append((idx, _glob_check(pattern)))
                    continue
                kind, value = key
                low = pattern.lower()
                proven = (kind == "name" and low == value) or (
                    kind == "ext" and low == "*" + value and value.count(".") == 1
                )
                table = self._by_name if kind == "name" else self._by_ext
                table.setdefault(value, []).append((idx, None if proven else _glob_check(pattern)))
        self._ext_entries: dict[str, list[tuple[int, PathCheck | None]]] = {}

    def for_path(self, path: str) -> list[Parser]:
        """``[p for p in parsers if p.matches(path)]``, in registration order."""
        low = path.lower()
        name = low.rsplit("/", 1)[-1]
        dot = name.rfind(".")
        ext = name[dot:] if dot >= 0 else ""
        entries = self._ext_entries.get(ext)
        if entries is None:  # few distinct extensions: merged once per extension
            entries = sorted([*self._always, *self._by_ext.get(ext, ())], key=lambda e: e[0])
            if len(self._ext_entries) < 1024:
                self._ext_entries[ext] = entries
        named = self._by_name.get(name)
        if named is not None:
            entries = sorted([*entries, *named], key=lambda e: e[0])
        found: list[Parser] = []
        last = -1
        for idx, check in entries:
            if idx != last and (check is None or check(path, low, name)):
                found.append(self.parsers[idx])
                last = idx
        return found
