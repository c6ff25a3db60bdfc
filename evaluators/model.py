"""Typed values that flow between the engine's layers.

Evidence is the unit everything downstream consumes: one fact seen in one file, with a line
span. Each parser module defines its own ``Evidence`` subclasses (a ``kind`` literal plus the
typed facts); :func:`evidence_adapter` rebuilds the right subclass from JSON by ``kind``, so a
report written by one run can be read back by another without a hand-kept union.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class Modality(enum.StrEnum):
    """The kinds of project material the ingestion layer understands."""

    DOCS = "docs"
    CODE = "code"
    DEPENDENCIES = "dependencies"
    CI = "ci"
    PIPELINE = "pipeline"
    INFRASTRUCTURE = "infrastructure"
    MONITORING = "monitoring"
    FILES = "files"


class Link(BaseModel):
    """An edge this evidence contributes to the evidence graph.

    Node ids are ``"<type>:<key>"``: ``file:src/train.py``, ``module:pkg.train``,
    ``stage:dvc:train``, ``artifact:data/prepared.csv``, ``ci-job:.github/workflows/ci.yml#test``,
    ``image:python:3.11-slim``, ``service:compose.yaml#api``, ``metric:model_latency_seconds``,
    ``dashboard:grafana/ml.json``, ``alert:HighDrift``. The graph builder derives the node type
    from the prefix, so parsers never touch networkx.
    """

    model_config = ConfigDict(frozen=True)

    src: str
    dst: str
    rel: str


class Evidence(BaseModel):
    """One fact extracted from one file.

    Subclasses set ``kind`` (a ``Literal``) and ``modality`` defaults and add typed fields.
    ``text`` carries prose meant for the semantic parser (section bodies, step names).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    modality: Modality
    path: str = Field(description="POSIX path relative to the source root")
    line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)
    name: str = ""
    text: str | None = None
    links: tuple[Link, ...] = ()

    _registry: ClassVar[dict[str, type[Evidence]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("kind")
        default = field.default if field is not None else None
        if isinstance(default, str) and default:
            existing = Evidence._registry.get(default)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"evidence kind {default!r} defined twice: {existing} and {cls}")
            Evidence._registry[default] = cls

    @property
    def id(self) -> str:
        """Stable id: the same fact in the same place gets the same id across runs."""
        raw = f"{self.kind}\0{self.path}\0{self.line}\0{self.name}"
        return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()

    @property
    def location(self) -> str:
        if self.line is None:
            return self.path
        if self.end_line and self.end_line != self.line:
            return f"{self.path}:{self.line}-{self.end_line}"
        return f"{self.path}:{self.line}"


class FileInfo(Evidence):
    """Every file the walker saw, with its classification."""

    kind: Literal["file"] = "file"
    modality: Modality = Modality.FILES
    size: int
    sha256: str | None = None
    language: str | None = None
    lines: int | None = None
    binary: bool = False
    encoding: str | None = None


class Unparseable(Evidence):
    """A file a parser could not read: recorded, never silently dropped."""

    kind: Literal["unparseable"] = "unparseable"
    modality: Modality = Modality.FILES
    parser: str
    reason: str


#: Why a file was not read (``Omitted.reason``); the sources module builds them with it.
OmitReason = Literal[
    "too-large", "binary", "missing-blob", "symlink-escape", "symlink-loop",
    "special-file", "unreadable", "file-limit", "archive-member",
]  # fmt: skip


class Omitted(Evidence):
    """A file deliberately not read: too large, binary, a missing blob, a symlink out of root."""

    kind: Literal["omitted"] = "omitted"
    modality: Modality = Modality.FILES
    reason: OmitReason
    detail: str = ""
    size: int | None = None


def evidence_class(kind: str) -> type[Evidence]:
    """The subclass registered for ``kind`` (import the parsers first)."""
    try:
        return Evidence._registry[kind]
    except KeyError:
        raise KeyError(f"unknown evidence kind {kind!r}") from None


def evidence_from_dict(data: dict[str, Any]) -> Evidence:
    """Rebuild a typed evidence item from its JSON form."""
    return evidence_class(str(data["kind"])).model_validate(data)


def known_kinds() -> list[str]:
    return sorted(Evidence._registry)


class SourceInfo(BaseModel):
    """Where the assessed files came from. ``location`` never contains credentials."""

    model_config = ConfigDict(frozen=True)

    type: Literal["directory", "git", "archive"]
    location: str
    revision: str | None = None
    ref: str | None = None


class IngestStats(BaseModel):
    files_seen: int = 0
    files_parsed: int = 0
    bytes_read: int = 0
    omitted: dict[str, int] = Field(default_factory=dict)
    unparseable: int = 0
    by_modality: dict[str, int] = Field(default_factory=dict)
    by_kind: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0


class IngestResult(BaseModel):
    """The normalised representation of a project: evidence plus the evidence graph."""

    schema_version: str = SCHEMA_VERSION
    source: SourceInfo
    evidence: list[Evidence]
    graph: dict[str, Any] = Field(description="networkx node-link JSON of the evidence graph")
    stats: IngestStats

    def of_kind(self, *kinds: str) -> list[Evidence]:
        wanted = set(kinds)
        return [e for e in self.evidence if e.kind in wanted]

    def of_modality(self, modality: Modality) -> list[Evidence]:
        return [e for e in self.evidence if e.modality == modality]

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", serialize_as_any=True)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> IngestResult:
        from hyperscore.evaluators.ingest.registry import load_parsers

        load_parsers()  # registers every evidence kind
        items = [evidence_from_dict(d) for d in data.get("evidence", [])]
        rest = {k: v for k, v in data.items() if k != "evidence"}
        return cls.model_validate({**rest, "evidence": items})


def count_by(items: Iterable[Evidence], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        value = str(getattr(item, key))
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))
