"""Safe loaders for the structured formats parsers read (YAML, JSON, TOML).

Untrusted input: YAML is loaded with the safe loader plus limits on aliases (billion-laughs)
and nesting depth; JSON and TOML get the same depth bound. Every failure is a
:class:`FormatError` with a one-line message, which the walker records as 'unparseable'.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

import yaml

MAX_ALIASES = 100
MAX_DEPTH = 100
MAX_DOCUMENTS = 1000


class FormatError(ValueError):
    """Malformed or hostile structured text."""


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and absurd nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise FormatError(f"YAML uses more than {MAX_ALIASES} aliases (alias bomb?)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise FormatError(f"YAML nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream, each checked for depth."""
    loader = _LimitedLoader(text)
    docs: list[Any] = []
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            docs.append(loader.get_data())  # type: ignore[no-untyped-call]
            if len(docs) > MAX_DOCUMENTS:
                raise FormatError(f"more than {MAX_DOCUMENTS} YAML documents")
    except FormatError:
        raise
    except yaml.YAMLError as exc:
        raise FormatError(f"invalid YAML: {_line(exc)}") from None
    except RecursionError:
        raise FormatError("YAML nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise FormatError(f"invalid YAML: {_line(exc)}") from None
    finally:
        loader.dispose()
    return docs


def load_yaml(text: str) -> Any:
    """The first YAML document (None for an empty stream)."""
    docs = load_yaml_all(text)
    return docs[0] if docs else None


def load_json(text: str) -> Any:
    try:
        data = json.loads(text)
    except RecursionError:
        raise FormatError("JSON nested too deeply") from None
    except ValueError as exc:
        raise FormatError(f"invalid JSON: {_line(exc)}") from None
    check_depth(data)
    return data


def load_toml(text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise FormatError("TOML nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"invalid TOML: {_line(exc)}") from None
    check_depth(data)
    return data


def check_depth(data: Any, limit: int = MAX_DEPTH) -> None:
    """Raise FormatError when a loaded structure is nested deeper than ``limit``."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise FormatError(f"document nested deeper than {limit} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping with string keys, else an empty dict (tolerant access)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]
