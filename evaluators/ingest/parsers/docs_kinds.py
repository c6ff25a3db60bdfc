"""Evidence kinds of the ``doc.`` family (documentation, notebooks' markdown, governance).

Shared by :mod:`docs`, :mod:`docs_governance` and :mod:`notebooks`; every value is
JSON-serialisable and bounded in size by the builders.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.model import Evidence, Modality

DocFormat = Literal["markdown", "rst", "text", "notebook"]


class DocSection(Evidence):
    """One heading section; ``text`` is its own body (subsections are separate items)."""

    kind: Literal["doc.section"] = "doc.section"
    modality: Modality = Modality.DOCS
    heading: str
    level: int
    heading_path: tuple[str, ...]
    format: DocFormat
    cell: int | None = None
    continuation: bool = False
    truncated: bool = False


class DocCodeBlock(Evidence):
    """A fenced code block or code directive; ``runnable`` when explicitly marked so."""

    kind: Literal["doc.code_block"] = "doc.code_block"
    modality: Modality = Modality.DOCS
    language: str
    info: str = ""
    runnable: bool = False
    runnable_marker: str | None = None
    doctest: bool = False
    heading_path: tuple[str, ...] = ()
    cell: int | None = None
    truncated: bool = False


class DocLink(Evidence):
    """A relative reference to a project file; ``resolved`` is root-relative (None: escapes)."""

    kind: Literal["doc.link"] = "doc.link"
    modality: Modality = Modality.DOCS
    target: str
    resolved: str | None
    anchor: str | None = None
    label: str = ""
    link_type: str = "link"
    cell: int | None = None


class DocBadge(Evidence):
    """A status badge image (CI, coverage, docs, release...)."""

    kind: Literal["doc.badge"] = "doc.badge"
    modality: Modality = Modality.DOCS
    category: str
    service: str
    image_url: str
    link_url: str | None = None
    alt: str = ""
    workflow: str | None = None


class CodeOwnersRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    pattern: str
    owners: tuple[str, ...]
    line: int


class DocGovernance(Evidence):
    """A governance document: licence (with an SPDX guess), CODEOWNERS rules, policies, cards."""

    kind: Literal["doc.governance"] = "doc.governance"
    modality: Modality = Modality.DOCS
    doc_type: str
    spdx: str | None = None
    rules: tuple[CodeOwnersRule, ...] = ()
    headings: tuple[str, ...] = ()
    front_matter_keys: tuple[str, ...] = ()
    versions: int = 0
    latest_version: str | None = None
