"""Positions for dependency parsers: offsets to line numbers, and where TOML keys are.

``tomllib``, ``json`` and configparser keep no line numbers, yet every dependency fact must cite
its line. These helpers find them by searching the text from a moving cursor, so locating every
entry of a large lock file stays linear in the file size. Lines are numbered like
``str.splitlines`` (and so like ``ParseInput.lines``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence


class TextIndex:
    """Character offsets to 1-based line numbers (one bisect per lookup)."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        offset = 0
        for chunk in text.splitlines(keepends=True):
            offset += len(chunk)
            starts.append(offset)
        self._starts = starts
        self.line_count = max(1, len(starts) - 1)

    def line_at(self, offset: int) -> int:
        return max(1, min(bisect_right(self._starts, offset), self.line_count))


_MAX_MISSES = 32


class Cursor:
    """Finds values in document order: each hit moves the cursor past it.

    A value that is not found verbatim (escaped, reformatted) costs a scan to ``end``; after
    ``_MAX_MISSES`` of those the cursor stops searching, so hostile input cannot make locating
    quadratic. Callers fall back to a coarser line (the key's, the section's) on a miss.
    """

    def __init__(self, index: TextIndex, start: int = 0, end: int | None = None) -> None:
        self.index = index
        self.offset = start
        self.end = len(index.text) if end is None else end
        self._misses = 0

    def find(self, *needles: str) -> int | None:
        """Line of the first of ``needles`` found from the cursor (tried in order), or None."""
        if self._misses >= _MAX_MISSES:
            return None
        for needle in needles:
            found = self.index.text.find(needle, self.offset, self.end)
            if found >= 0:
                self.offset = found + len(needle)
                return self.index.line_at(found)
        self._misses += 1
        return None


_TOML_HEADER_RE = re.compile(r"^[ \t]*(\[\[?)([^\[\]\r\n#]+)\]\]?[ \t]*(?:#.*)?$", re.M)
_TOML_KEY_RE = re.compile(
    r"^[ \t]*(?:\"([^\"\r\n]+)\"|'([^'\r\n]+)'|([A-Za-z0-9_-]+))[ \t]*[=.]", re.M
)


def _table_name(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


class TomlLines:
    """Where TOML tables, keys and string values are, since ``tomllib`` keeps no positions.

    Headers are found with one regex pass; a table's keys are indexed on first use. Values are
    located by searching for their quoted text from a cursor, falling back to the key's line.
    """

    def __init__(self, index: TextIndex) -> None:
        self.index = index
        text = index.text
        headers = [
            (m.start(), m.group(1) == "[[", _table_name(m.group(2)))
            for m in _TOML_HEADER_RE.finditer(text)
        ]
        self._tables: dict[str, tuple[int, int]] = {
            "": (0, headers[0][0] if headers else len(text))
        }
        self._arrays: dict[str, list[tuple[int, int]]] = {}
        for pos, (offset, is_array, name) in enumerate(headers):
            end = headers[pos + 1][0] if pos + 1 < len(headers) else len(text)
            if is_array:
                self._arrays.setdefault(name, []).append((offset, end))
            else:
                self._tables.setdefault(name, (offset, end))
        self._keys: dict[str, dict[str, int]] = {}

    def table_line(self, table: str) -> int | None:
        span = self._tables.get(table)
        return self.index.line_at(span[0]) if span and table else None

    def array_lines(self, table: str) -> list[int]:
        return [self.index.line_at(start) for start, _ in self._arrays.get(table, [])]

    def _key_offsets(self, table: str) -> dict[str, int]:
        cached = self._keys.get(table)
        if cached is None:
            cached = {}
            span = self._tables.get(table)
            if span is not None:
                for match in _TOML_KEY_RE.finditer(self.index.text, span[0], span[1]):
                    cached.setdefault(
                        match.group(1) or match.group(2) or match.group(3), match.start()
                    )
            self._keys[table] = cached
        return cached

    def _locate(self, table: str, key: str) -> tuple[tuple[int, int], int] | None:
        """(table span, key offset) of ``table.key``; an inline table (``extras = {dev = [..]}``)
        is found through its parent table's key."""
        span = self._tables.get(table)
        if span is not None:
            offset = self._key_offsets(table).get(key)
            return (span, offset) if offset is not None else None
        parent, _, last = table.rpartition(".")
        span = self._tables.get(parent)
        offset = self._key_offsets(parent).get(last) if span is not None else None
        if span is None or offset is None:
            return None
        inner = self.index.text.find(key, offset, span[1])
        return span, inner if inner >= 0 else offset

    def key_line(self, table: str, key: str) -> int | None:
        """Line of ``key = ...`` in ``table`` (else the table header's line)."""
        located = self._locate(table, key)
        return self.index.line_at(located[1]) if located else self.table_line(table)

    def value_lines(self, table: str, key: str, values: Sequence[str]) -> list[int | None]:
        """Lines of each string in the array ``table.key``, in order."""
        located = self._locate(table, key)
        if located is None:
            return [self.table_line(table)] * len(values)
        (_, end), start = located
        fallback = self.index.line_at(start)
        cursor = Cursor(self.index, start, end)
        return [cursor.find(f'"{value}"', f"'{value}'") or fallback for value in values]
