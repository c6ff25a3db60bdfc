"""Safe loaders for the structured formats parsers read (YAML, JSON, TOML).

Untrusted input: YAML is loaded with the safe loader plus limits on aliases (billion-laughs)
and nesting depth; JSON and TOML get the same depth bound. Every failure is a
:class:`FormatError` with a one-line message, which the walker records as 'unparseable'.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml

MAX_ALIASES = 100
MAX_DEPTH = 100
MAX_DOCUMENTS = 1000
MAX_NODES = 500_000


class FormatError(ValueError):
    """Malformed or hostile structured text."""


class LimitedLoader(yaml.SafeLoader):
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


def as_format_error(exc: BaseException) -> BaseException:
    """What a YAML loading failure surfaces as: a one-line FormatError (others unchanged).

    Shared by every YAML loader (this module's and the parsers' line-aware ones), so a broken
    or hostile file reads the same whichever parser met it.
    """
    if isinstance(exc, FormatError):
        return exc
    if isinstance(exc, RecursionError):
        return FormatError("YAML nested too deeply")
    if isinstance(exc, yaml.YAMLError | ValueError | TypeError | OverflowError):
        return FormatError(f"invalid YAML: {_line(exc)}")
    return exc


_ALIAS = re.compile(r"(?<![\w*])\*[^\s,\[\]{}]+")
_CLoader: Any = None
if getattr(yaml, "CSafeLoader", None) is not None:

    class _FastSafeLoader(yaml.CSafeLoader):
        """libyaml's safe loader with the same extra scalar support as LimitedLoader."""

    _CLoader = _FastSafeLoader


def _plain_value(loader: Any, node: Any) -> Any:
    """The YAML 1.1 ``=`` value tag (seen in Kubernetes CRDs): read it as a plain string."""
    return loader.construct_scalar(node)


for _loader in (LimitedLoader, _CLoader):
    if _loader is not None:
        _loader.add_constructor("tag:yaml.org,2002:value", _plain_value)


def looks_tame(text: str) -> bool:
    """True when the text cannot be an alias bomb or a deep-nesting attack.

    Only then is libyaml's C loader used (fast, but it cannot count aliases while composing).
    Both checks over-approximate (an asterisk in a string counts as an alias, a bracket in a
    quoted string counts as nesting), so hostile input always takes the guarded path.
    """
    if _CLoader is None or len(_ALIAS.findall(text)) > MAX_ALIASES // 2:
        return False
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    if deepest > MAX_DEPTH // 2:
        return False
    widest = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    return widest < MAX_DEPTH


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream, each checked for depth."""
    if looks_tame(text):
        try:
            fast: list[Any] = list(yaml.load_all(text, Loader=_CLoader))
        except yaml.YAMLError as exc:
            raise FormatError(f"invalid YAML: {_line(exc)}") from None
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise FormatError(f"invalid YAML: {_line(exc)}") from None
        if len(fast) > MAX_DOCUMENTS:
            raise FormatError(f"more than {MAX_DOCUMENTS} YAML documents")
        for doc in fast:
            check_depth(doc)
        return fast
    loader = LimitedLoader(text)
    docs: list[Any] = []
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            docs.append(loader.get_data())
            if len(docs) > MAX_DOCUMENTS:
                raise FormatError(f"more than {MAX_DOCUMENTS} YAML documents")
    except Exception as exc:  # one-line FormatError for any loading failure
        raise as_format_error(exc) from None
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


MAX_DOTTED_PARTS = 200


def _has_long_dotted_key(text: str) -> bool:
    """True when a key (left of ``=``, or a ``[table]`` header) has > MAX_DOTTED_PARTS parts.

    Linear in the text: only lines with that many dots at all are split.
    """
    if text.count(".") <= MAX_DOTTED_PARTS:
        return False
    for line in text.splitlines():
        if line.count(".") <= MAX_DOTTED_PARTS:
            continue
        key = line.split("=", 1)[0] if "=" in line else line
        if key.count(".") > MAX_DOTTED_PARTS:
            return True
    return False


def load_toml(text: str) -> dict[str, Any]:
    # tomllib is quadratic in the number of parts of one dotted key; no real file has 200.
    if _has_long_dotted_key(text):
        raise FormatError(f"TOML key with more than {MAX_DOTTED_PARTS} dotted parts")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise FormatError("TOML nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"invalid TOML: {_line(exc)}") from None
    check_depth(data)
    return data


def check_depth(data: Any, limit: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raise FormatError when a loaded structure is nested deeper than ``limit``.

    Also bounds the number of nodes a full traversal visits: YAML aliases share objects, so a
    document with a few dozen aliases can expand to billions of nodes for any consumer that
    walks it (the billion-laughs attack). Rejecting it here protects every parser.
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > max_nodes:
            raise FormatError(f"document expands to more than {max_nodes} nodes (alias bomb?)")
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
