"""Shared pieces of the infrastructure and monitoring parsers.

One implementation of image-reference parsing and pin classification serves Dockerfiles,
compose files, Kubernetes manifests, Helm values, Kustomize and BentoML, so "is this image
pinned?" means the same thing wherever the image appears. The located YAML loader keeps the
line of every mapping, key and list item (manifests cite lines, and ``yaml.safe_load`` drops
them) while reusing the alias and depth limits of :mod:`formats`. This module registers no
parser; it holds the evidence kinds that several infrastructure parsers emit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from yaml.constructor import SafeConstructor

from hyperscore.evaluators.ingest.formats import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_DOCUMENTS,
    MAX_NODES,
    FormatError,
    LimitedLoader,
    as_format_error,
)
from hyperscore.evaluators.model import Evidence, Link, Modality

PinKind = Literal["digest", "tag", "latest", "untagged", "stage", "variable", "scratch"]

# A placeholder that stands for a Helm/Go template expression after pre-processing.
TEMPLATE_PLACEHOLDER = "__TPL__"


# --------------------------------------------------------------------------- evidence kinds
class ImageRef(Evidence):
    """One container image reference and how reproducibly it is pinned.

    ``pin``: ``digest`` (``@sha256:...``), ``tag`` (a tag other than latest), ``latest``
    (explicitly ``:latest``), ``untagged`` (implicitly latest), ``stage`` (a Dockerfile stage
    alias), ``variable`` (decided outside this file: ``${BASE}``, a template, an empty Helm tag
    that defaults to the chart's appVersion), ``scratch`` (the empty image).
    """

    kind: Literal["infra.image_ref"] = "infra.image_ref"
    modality: Modality = Modality.INFRASTRUCTURE
    ref: str
    image: str
    registry: str | None = None
    tag: str | None = None
    digest: str | None = None
    pin: PinKind
    source: str
    context: str | None = None
    stage_alias: str | None = None
    resolved_ref: str | None = None
    resolved_pin: PinKind | None = None


class EnvironmentSignal(Evidence):
    """A deployment environment named by an infrastructure file (directory, file name, ...)."""

    kind: Literal["infra.environment"] = "infra.environment"
    modality: Modality = Modality.INFRASTRUCTURE
    environment: str
    raw: str
    source: str
    tool: str


class ServingConfig(Evidence):
    """A model-serving configuration (KServe, Seldon, BentoML, Triton, MLServer).

    ``canary_percent`` is the share of traffic sent to a canary; ``traffic`` maps each variant
    to its percentage when the config splits traffic (both are progressive-delivery signals).
    """

    kind: Literal["infra.serving_config"] = "infra.serving_config"
    modality: Modality = Modality.INFRASTRUCTURE
    framework: str
    model_name: str | None = None
    model_format: str | None = None
    storage_uri: str | None = None
    runtime: str | None = None
    canary_percent: int | None = None
    traffic: dict[str, int] = {}
    batching: bool | None = None
    max_batch_size: int | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    settings: dict[str, str] = {}


# --------------------------------------------------------------------------- image references
@dataclass(frozen=True)
class ImageSpec:
    """A parsed image reference: ``registry/path/name:tag@digest``."""

    ref: str
    image: str
    registry: str | None
    tag: str | None
    digest: str | None
    pin: PinKind


_VARIABLE_RE = re.compile(r"\$\{?\w|\{\{|" + TEMPLATE_PLACEHOLDER)


def parse_image_ref(ref: str, stage_aliases: Iterable[str] = ()) -> ImageSpec:
    """Split an image reference and classify how it is pinned.

    ``localhost:5000/app`` has no tag (the colon belongs to the registry); a digest wins over
    a tag (``app:1.0@sha256:...`` is digest-pinned); names in ``stage_aliases`` are earlier
    Dockerfile stages (compared case-insensitively, as Docker does).
    """
    ref = ref.strip().strip("\"'")
    if _VARIABLE_RE.search(ref):
        return ImageSpec(ref, ref, None, None, None, "variable")
    if ref.lower() == "scratch":
        return ImageSpec(ref, ref, None, None, None, "scratch")
    if ref.lower() in {alias.lower() for alias in stage_aliases}:
        return ImageSpec(ref, ref, None, None, None, "stage")
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag: str | None = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    registry: str | None = None
    first, sep, _rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry = first
    pin: PinKind
    if digest:
        pin = "digest"
    elif tag == "latest":
        pin = "latest"
    elif tag:
        pin = "tag"
    else:
        pin = "untagged"
    return ImageSpec(ref, name, registry, tag or None, digest or None, pin)


def image_evidence(
    path: str,
    line: int | None,
    ref: str,
    source: str,
    *,
    context: str | None = None,
    stage_aliases: Iterable[str] = (),
    stage_alias: str | None = None,
    resolved_ref: str | None = None,
    owner: str | None = None,
) -> ImageRef:
    """An :class:`ImageRef` for ``ref``; ``owner`` (a node id) gets a ``runs`` edge to it."""
    spec = parse_image_ref(ref, stage_aliases)
    resolved_pin = parse_image_ref(resolved_ref).pin if resolved_ref else None
    links: list[Link] = []
    target = resolved_ref if spec.pin == "variable" else spec.ref
    if target and spec.pin not in {"stage", "scratch"} and not _VARIABLE_RE.search(target):
        src = owner or f"file:{path}"
        links.append(Link(src=src, dst=f"image:{target}", rel="runs" if owner else "uses"))
    return ImageRef(
        path=path,
        line=line,
        name=spec.ref,
        ref=spec.ref,
        image=spec.image,
        registry=spec.registry,
        tag=spec.tag,
        digest=spec.digest,
        pin=spec.pin,
        source=source,
        context=context,
        stage_alias=stage_alias,
        resolved_ref=resolved_ref,
        resolved_pin=resolved_pin,
        links=tuple(links),
    )


# --------------------------------------------------------------------------- secrets
_SECRET_PARTS = frozenset(
    {"SECRET", "SECRETS", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS"}
)
_SECRET_PAIRS = frozenset({
    ("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("SSH", "KEY"),
    ("ACCOUNT", "KEY"), ("CLIENT", "SECRET"), ("AUTH", "TOKEN"), ("SIGNING", "KEY"),
})  # fmt: skip
_REFERENCE_SUFFIXES = frozenset({"FILE", "PATH", "DIR", "NAME", "REF", "ARN"})
_NAME_SPLIT_RE = re.compile(r"[_\-.]+")
_CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")


def is_secret_name(name: str) -> bool:
    """Whether a variable name looks like it holds a credential (``AWS_SECRET_ACCESS_KEY``).

    Matches whole name parts so ``TOKENIZERS_PARALLELISM`` is not a token; names ending in
    ``_FILE``/``_PATH`` point at a secret rather than hold one.
    """
    parts = [p for p in _NAME_SPLIT_RE.split(_CAMEL_RE.sub(r"\1_\2", name).upper()) if p]
    if not parts or parts[-1] in _REFERENCE_SUFFIXES:
        return False
    if any(p in _SECRET_PARTS for p in parts):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(parts))


_USERINFO_RE = re.compile(r"(//)[^/@\s]+@")


_SIGNED_QUERY_KEYS = frozenset(
    {"sig", "signature", "code", "auth", "x-amz-signature", "x-amz-credential",
     "x-amz-security-token", "x-goog-signature", "x-goog-credential"}
)  # fmt: skip
_QUERY_PARAM_RE = re.compile(r"([?&])([^=&#?]{1,100})=([^&#]*)")


def redact_uri(uri: str) -> str:
    """``uri`` without credentials: userinfo and signed/secret query values are masked.

    Harmless parameters (``?ref=v1.2.0`` on a module source) are kept.
    """
    uri = _USERINFO_RE.sub(r"\1***@", uri)

    def mask(match: re.Match[str]) -> str:
        key = match.group(2)
        if key.lower() in _SIGNED_QUERY_KEYS or is_secret_name(key.replace("-", "_")):
            return f"{match.group(1)}{key}=***"
        return match.group(0)

    return _QUERY_PARAM_RE.sub(mask, uri) if "?" in uri else uri


# --------------------------------------------------------------------------- environments
_ENVIRONMENTS = {
    "dev": "dev", "develop": "dev", "development": "dev", "qa": "qa", "uat": "uat",
    "stage": "staging", "staging": "staging", "stg": "staging", "preprod": "preprod",
    "pre-prod": "preprod", "prod": "prod", "production": "prod", "prd": "prod",
}  # fmt: skip
_STEM_SPLIT_RE = re.compile(r"[-_.]+")


def environment_of(path: str) -> tuple[str, str, str] | None:
    """``(environment, raw word, "directory"|"file-name")`` named by ``path``, if any.

    Directories win (``overlays/prod/kustomization.yaml``); otherwise file-name tokens
    (``values-prod.yaml``, ``docker-compose.staging.yml``, ``prod.tfvars``) count. ``test`` is
    not an environment: test directories are everywhere.
    """
    parts = path.lower().split("/")
    for directory in reversed(parts[:-1]):
        env = _ENVIRONMENTS.get(directory)
        if env:
            return env, directory, "directory"
    for token in _STEM_SPLIT_RE.split(parts[-1]):
        env = _ENVIRONMENTS.get(token)
        if env:
            return env, token, "file-name"
    return None


def environment_evidence(path: str, tool: str) -> list[EnvironmentSignal]:
    """Zero or one :class:`EnvironmentSignal` for an infrastructure file at ``path``."""
    found = environment_of(path)
    if found is None:
        return []
    env, raw, how = found
    return [
        EnvironmentSignal(
            path=path, line=1, name=env, environment=env, raw=raw, source=how, tool=tool
        )
    ]


# --------------------------------------------------------------------------- located YAML
class YamlMap(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("end_line", "key_lines", "line")

    def __init__(self, line: int = 1, end_line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.end_line = end_line if end_line is not None and end_line >= line else line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[Any]):
    """A sequence that remembers its own line and the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_at(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _end_line(node: yaml.Node) -> int:
    """The last line a node's content occupies (1-based).

    A block collection's own end mark points at the next token (the next item's ``-``), so
    the last child decides; a mark at column 0 belongs to the line before.
    """
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        if node.flow_style:
            break
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    mark = node.end_mark
    return max(node.start_mark.line + 1, mark.line + (0 if mark.column == 0 else 1))


def _construct_map(loader: SafeConstructor, node: yaml.MappingNode) -> Any:
    data = YamlMap(node.start_mark.line + 1, _end_line(node))
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
        else:
            key = str(loader.construct_object(key_node, deep=True))
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines.setdefault(key, key_node.start_mark.line + 1)


def _construct_seq(loader: SafeConstructor, node: yaml.SequenceNode) -> Any:
    data = YamlList(node.start_mark.line + 1)
    yield data
    data.extend(loader.construct_object(child, deep=False) for child in node.value)
    data.item_lines = [child.start_mark.line + 1 for child in node.value]


def _construct_str(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    return str(loader.construct_scalar(node))


def _construct_local_tag(loader: SafeConstructor, suffix: str, node: yaml.Node) -> Any:
    """``!Ref x`` -> ``{"Ref": "x"}``, ``!Sub y`` -> ``{"Fn::Sub": "y"}`` (CloudFormation's JSON
    shape)."""
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        value = None
    return {name: value}


def _located(base: type[Any], tolerant: bool) -> Any:
    """A loader class on ``base`` that builds :class:`YamlMap`/:class:`YamlList` with lines.

    Scalar keys stay the raw text (``on`` stays ``"on"``, ``80`` stays ``"80"``); timestamps
    stay strings so evidence remains JSON-serialisable; with ``tolerant`` local tags
    (CloudFormation ``!Ref``, ``!GetAtt``...) become data instead of errors.
    """
    cls: Any = type("LocatedLoader", (base,), {})
    cls.add_constructor("tag:yaml.org,2002:map", _construct_map)
    cls.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
    cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)
    cls.add_constructor("tag:yaml.org,2002:value", _construct_str)  # a plain ``=`` scalar
    if tolerant:
        cls.add_multi_constructor("!", _construct_local_tag)
    return cls


def _libyaml_caps_nesting() -> bool:
    """libyaml >= 0.2.5 refuses nesting deeper than 1000 levels before PyYAML's recursive
    C composer could exhaust the stack; older builds must not compose untrusted text."""
    try:
        from yaml import _yaml  # type: ignore[attr-defined,unused-ignore]

        version = tuple(_yaml.get_version())
    except (ImportError, AttributeError):
        return False
    return hasattr(yaml, "CSafeLoader") and version >= (0, 2, 5)


# libyaml composes ~10x faster; the alias and depth limits of ``formats`` are then enforced on
# the composed node graph (shared nodes are aliases) before anything is constructed.
_FAST = _libyaml_caps_nesting()
_LOADERS = {
    tolerant: _located(yaml.CSafeLoader if _FAST else LimitedLoader, tolerant)
    for tolerant in (False, True)
}


def _check_node_limits(root: yaml.Node) -> None:
    """Refuse alias bombs, absurd nesting and huge node counts in a composed document (shared
    nodes are aliases)."""
    seen: set[int] = set()
    aliases = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise FormatError(f"YAML uses more than {MAX_ALIASES} aliases (alias bomb?)")
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise FormatError(f"YAML document has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise FormatError(f"YAML nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


def load_yaml_located(text: str, *, tolerant_tags: bool = False) -> list[Any]:
    """All documents of ``text`` with line-aware containers (see :class:`YamlMap`).

    Same limits and the same :class:`FormatError` messages as ``formats.load_yaml_all``.
    """
    loader = _LOADERS[tolerant_tags](text)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if _FAST:
                _check_node_limits(node)
            docs.append(loader.construct_document(node))
            if len(docs) > MAX_DOCUMENTS:
                raise FormatError(f"more than {MAX_DOCUMENTS} YAML documents")
    except Exception as exc:  # one-line FormatError for any loading failure
        raise as_format_error(exc) from None
    finally:
        loader.dispose()
    return docs


# --------------------------------------------------------------------------- tolerant access
def ymap(value: Any, line: int = 1) -> YamlMap:
    """``value`` as a :class:`YamlMap` (empty when it is not a mapping)."""
    if isinstance(value, YamlMap):
        return value
    out = YamlMap(line)
    if isinstance(value, dict):
        out.update((str(k), v) for k, v in value.items())
    return out


def ylist(value: Any, line: int = 1) -> YamlList:
    """``value`` as a :class:`YamlList` (a scalar becomes a one-item list, None empty)."""
    if isinstance(value, YamlList):
        return value
    out = YamlList(line)
    if isinstance(value, list):
        out.extend(value)
    elif value is not None:
        out.append(value)
    return out


def line_of(value: Any, default: int | None = None) -> int | None:
    """The line a located container starts on (``default`` for scalars)."""
    if isinstance(value, YamlMap | YamlList):
        return value.line
    return default


def text_or_none(value: Any) -> str | None:
    """A scalar as text (``None`` for missing values and containers)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bool_or_none(value: Any) -> bool | None:
    """A YAML boolean (also the strings ``"true"``/``"false"``), else ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def int_or_none(value: Any) -> int | None:
    """An integer (also numeric strings and ``"25%"`` percentages), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = value.strip().rstrip("%")
        if digits.isdigit():
            return int(digits)
    return None


def str_tuple(values: Iterable[Any]) -> tuple[str, ...]:
    """The scalar members of ``values`` as strings, in order."""
    return tuple(s for s in (text_or_none(v) for v in values) if s is not None)


_INLINE_SECRET_RES = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:token|password|passwd|secret|api[_-]?key|access[_-]?key)[\"']?\s*[=:]\s*[\"']?)"
        r"[^\s\"'&]+"
    ),
    re.compile(r"(?i)(--(?:token|password|secret|api-key)[= ])\S+"),
)


def mask_inline_secrets(text: str, limit: int = 160) -> str:
    """A short, display-safe excerpt of a command: bearer tokens, ``password=...`` values and
    URL credentials masked."""
    text = _USERINFO_RE.sub(r"\1***@", " ".join(text.split()))
    for pattern in _INLINE_SECRET_RES:
        text = pattern.sub(r"\1***", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
