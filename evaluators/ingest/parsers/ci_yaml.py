"""Line-aware, tolerant YAML access for the CI parsers.

CI facts must cite lines, and CI files repeat the same strings (``- run: pytest`` in ten jobs),
so searching the text for a needle is unreliable. This loader keeps the limits of the shared safe
loader (:mod:`~hyperscore.evaluators.ingest.formats`: alias bombs, nesting depth, document count)
and builds :class:`LineDict`/:class:`LineList` containers that remember the line of every key and
item. Scalars keep their written text where YAML would change it (``3.10`` is not 3.1), and
custom tags such as GitLab's ``!reference`` load as tagged plain containers instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from hyperscore.evaluators.ingest import formats
from hyperscore.evaluators.ingest.formats import (
    MAX_DEPTH,
    MAX_DOCUMENTS,
    FormatError,
    LimitedLoader,
    as_format_error,
)

#: libyaml is used only where formats deems the text tame (no alias bomb, no deep nesting).
_looks_tame: Any = formats.looks_tame


class LineDict(dict[Any, Any]):
    """A YAML mapping that remembers the 1-based line of each key and its own span."""

    __slots__ = ("end", "key_lines", "start", "tag")

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.start = 0
        self.end = 0
        self.tag = ""


class LineList(list[Any]):
    """A YAML sequence that remembers the 1-based line of each item and its own span."""

    __slots__ = ("end", "item_lines", "start", "tag")

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []
        self.start = 0
        self.end = 0
        self.tag = ""


class SourceFloat(float):
    """A float that keeps its source text: ``3.10`` stays "3.10" (YAML reads it as 3.1)."""

    __slots__ = ("raw",)
    raw: str


def _span(node: yaml.Node) -> tuple[int, int]:
    """First and last line of a node's content (follows last children; bounded, since YAML
    aliases can make the node graph cyclic)."""
    start = node.start_mark.line + 1
    last = node
    for _ in range(MAX_DEPTH + 1):
        if not isinstance(last, yaml.MappingNode | yaml.SequenceNode) or not last.value:
            break
        tail = last.value[-1]
        last = tail[1] if isinstance(tail, tuple) else tail
    mark = last.end_mark
    end = mark.line + 1 if mark.column > 0 else mark.line
    return start, max(start, end)


def _construct_map(
    loader: SafeConstructor, node: yaml.MappingNode, tag: str = ""
) -> Iterator[LineDict]:
    data = LineDict()
    data.start, data.end = _span(node)
    data.tag = tag
    yield data
    data.update(loader.construct_mapping(node))
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = loader.construct_object(key_node)
            data.key_lines[key] = key_node.start_mark.line + 1
            if not isinstance(key, str):  # a `1:` key is findable as "1" too
                data.key_lines.setdefault(str(key), key_node.start_mark.line + 1)


def _construct_seq(
    loader: SafeConstructor, node: yaml.SequenceNode, tag: str = ""
) -> Iterator[LineList]:
    data = LineList()
    data.start, data.end = _span(node)
    data.tag = tag
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


def _construct_float(loader: SafeConstructor, node: yaml.ScalarNode) -> float:
    value = SourceFloat(loader.construct_yaml_float(node))
    value.raw = str(node.value)
    return value


def _construct_tagged(loader: SafeConstructor, suffix: str, node: yaml.Node) -> Any:
    """Custom tags (GitLab ``!reference``, CloudFormation ``!Ref``) load as plain values."""
    if isinstance(node, yaml.MappingNode):
        return _construct_map(loader, node, "!" + suffix)
    if isinstance(node, yaml.SequenceNode):
        return _construct_seq(loader, node, "!" + suffix)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _line_aware(loader_class: Any) -> Any:
    loader_class.add_constructor("tag:yaml.org,2002:map", _construct_map)
    loader_class.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
    loader_class.add_constructor("tag:yaml.org,2002:float", _construct_float)
    loader_class.add_multi_constructor("!", _construct_tagged)
    return loader_class


class _LineLoader(LimitedLoader):
    """The shared guarded loader (alias and depth limits while composing), line-aware."""


_line_aware(_LineLoader)
_CLineLoader: Any = None
if _looks_tame is not None and getattr(yaml, "CSafeLoader", None) is not None:
    _CLineLoader = _line_aware(type("_CLineLoader", (yaml.CSafeLoader,), {}))


def load_yaml_lines(text: str) -> list[Any]:
    """All documents of a YAML stream as :class:`LineDict`/:class:`LineList` trees.

    Like :func:`~hyperscore.evaluators.ingest.formats.load_yaml_all`: libyaml for text that
    cannot be an alias bomb or a nesting attack, the guarded pure-Python loader otherwise.
    Loaded trees may still share (or, through aliases, contain) themselves: walk them with
    :class:`Budget`, never with unbounded recursion.
    """
    fast = _CLineLoader is not None and _looks_tame is not None and _looks_tame(text)
    loader = _CLineLoader(text) if fast else _LineLoader(text)
    docs: list[Any] = []
    try:
        while loader.check_data():
            docs.append(loader.get_data())
            if len(docs) > MAX_DOCUMENTS:
                raise FormatError(f"more than {MAX_DOCUMENTS} YAML documents")
    except Exception as exc:  # one-line FormatError for any loading failure
        raise as_format_error(exc) from None
    finally:
        loader.dispose()
    for doc in docs:
        formats.check_depth(doc)  # alias bombs and cycles: unparseable, like everywhere else
    return docs


class Budget:
    """A bound on how many nodes a walk over loaded YAML may visit (aliases can make a small
    file a huge or cyclic tree); exceeding it is a FormatError, like an alias bomb."""

    def __init__(self, limit: int = 20_000, what: str = "YAML structure") -> None:
        self.left = limit
        self.what = what

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise FormatError(f"{self.what} expands to too many nodes (aliases?)")


def summary(value: Any, limit: int = 300) -> str:
    """A short, bounded text rendering of a loaded value (for conditions)."""
    parts: list[str] = []
    size = 0
    stack: list[Any] = [value]
    visits = 0
    while stack and size < limit and visits < 1000:
        item = stack.pop()
        visits += 1
        if isinstance(item, dict):
            for key, child in reversed(list(item.items())[:50]):
                stack += [child, f"{key}:"]
        elif isinstance(item, list):
            stack += list(reversed(item[:50]))
        else:
            text = item if isinstance(item, str) else scalar(item) or ""
            parts.append(text)
            size += len(text) + 1
    return " ".join(parts)[:limit]


def load_single_mapping(text: str, what: str) -> LineDict | None:
    """The first document when it is a mapping; None for an empty file; FormatError otherwise."""
    docs = load_yaml_lines(text)
    doc = docs[0] if docs else None
    if doc is None:
        return None
    if not isinstance(doc, LineDict):
        raise FormatError(f"{what}: top level is {type(doc).__name__}, expected a mapping")
    return doc


def mapping(value: Any) -> LineDict:
    return value if isinstance(value, LineDict) else LineDict()


def seq(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def key_line(container: Any, key: Any) -> int | None:
    return container.key_lines.get(key) if isinstance(container, LineDict) else None


def item_line(container: Any, index: int) -> int | None:
    if isinstance(container, LineList) and index < len(container.item_lines):
        return container.item_lines[index]
    return None


def end_of(value: Any) -> int | None:
    return value.end if isinstance(value, LineDict | LineList) and value.end else None


def scalar(value: Any) -> str | None:
    """A scalar as the text the author wrote (floats keep '3.10'); None for collections."""
    if isinstance(value, SourceFloat):
        return value.raw
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def strings(value: Any) -> list[str]:
    """Scalars of a scalar-or-list value, as text."""
    return [s for s in (scalar(v) for v in seq(value)) if s is not None]


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "yes"})


def parse_duration_minutes(value: Any, bare_unit: str = "m") -> float | None:
    """Minutes from 30, '30m', '1h 30m', '1h0m0s', '3600s', '90 minutes'; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) * {"s": 1 / 60, "m": 1.0, "h": 60.0}[bare_unit]
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) * {"s": 1 / 60, "m": 1.0, "h": 60.0}[bare_unit]
    total, matched = 0.0, False
    units = {"d": 1440.0, "h": 60.0, "m": 1.0, "s": 1 / 60}
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(d|h|m(?!s)|s)[a-z]*", text):
        total += float(number) * units[unit]
        matched = True
    return round(total, 4) if matched else None
