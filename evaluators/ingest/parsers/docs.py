"""Documentation: Markdown, reStructuredText and plain-text files, plus governance files.

Prose is split into heading sections (``doc.section``) for the semantic parser; fenced code
becomes ``doc.code_block`` (a later sandbox runs the blocks marked runnable); relative links
become ``doc.link`` so a later check can verify the targets exist; status badges become
``doc.badge``. LICENSE/CODEOWNERS/SECURITY/CONTRIBUTING/model cards and friends are also
governance signals (``doc.governance``). The scanners live in :mod:`docs_markup`; this module
turns their output into evidence and is reused by the notebook parser for markdown cells.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.ingest.formats import FormatError, as_dict, load_yaml
from hyperscore.evaluators.ingest.parsers.docs_markup import (
    Markup,
    scan_markdown,
    scan_rst,
    scan_text,
    split_lines,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_SECTION_CHARS = 4000
MAX_BLOCK_CHARS = 4000
DocFormat = Literal["markdown", "rst", "text", "notebook"]
LineMap = Callable[[int], int]


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


# --- which files ----------------------------------------------------------------------------

_DOC_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mdx", ".rst", ".rest", ".txt")
_NOT_DOC_TXT = re.compile(
    r"requirement|constraint|(?:^|[._-])lock(?:[._-]|$)|^deps?\b|^dependenc|^packages\.txt$|^apt\.txt$|^runtime\.txt$"
    r"|^environment.*\.txt$|^pip[-_.]|^cmakelists\.txt$|^robots\.txt$|vocab|^merges\.txt$"
    r"|^(labels|classes|stopwords|words)\.txt$"
)
_NOT_DOC_DIRS = frozenset(
    {"requirements", "requirements.d", "reqs", "data", "datasets", "dataset", "raw", "vocab"}
)
_GOVERNANCE = {
    "license": "license",
    "licence": "license",
    "copying": "license",
    "unlicense": "license",
    "notice": "notice",
    "codeowners": "codeowners",
    "security": "security-policy",
    "contributing": "contributing",
    "code_of_conduct": "code-of-conduct",
    "code-of-conduct": "code-of-conduct",
    "conduct": "code-of-conduct",
    "model_card": "model-card",
    "model-card": "model-card",
    "modelcard": "model-card",
    "datasheet": "datasheet",
    "data_card": "datasheet",
    "data-card": "datasheet",
    "datacard": "datasheet",
    "dataset_card": "datasheet",
    "dataset-card": "datasheet",
    "datasheet_for_dataset": "datasheet",
    "changelog": "changelog",
    "changes": "changelog",
    "history": "changelog",
    "news": "changelog",
    "release_notes": "changelog",
    "release-notes": "changelog",
    "releases": "changelog",
    "support": "support",
    "governance": "governance",
    "maintainers": "maintainers",
    "owners": "maintainers",
    "authors": "maintainers",
    "readme": "readme",
    "citation": "citation",
    "pull_request_template": "pr-template",
}
_CODE_SUFFIXES = frozenset(
    {
        "html",
        "htm",
        "py",
        "json",
        "yaml",
        "yml",
        "js",
        "ts",
        "xml",
        "toml",
        "cfg",
        "ini",
        "sh",
        "css",
        "pdf",
        "png",
        "jpg",
        "svg",
        "in",
        "j2",
        "tmpl",
        "template",
    }
)
# Governance files read as governance only: their prose is boilerplate, not project docs.
_GOVERNANCE_ONLY = frozenset({"license", "notice", "codeowners"})


def _stem_ext(name: str) -> tuple[str, str]:
    low = name.lower()
    for ext in _DOC_EXTENSIONS:
        if low.endswith(ext):
            return low[: -len(ext)], ext
    return low, ""


def governance_type(path: str) -> str | None:
    """The governance ``doc_type`` a file name implies (``LICENSE-MIT`` -> ``license``)."""
    stem, ext = _stem_ext(path.rsplit("/", 1)[-1])
    base, dot, suffix = stem.partition(".")
    if dot and (ext or base in ("license", "licence", "copying", "notice")):
        # README.ja.md, COPYING.LESSER -- but never history.py or authors.json
        if not ext and (not suffix.isalpha() or suffix in _CODE_SUFFIXES):
            return None
        stem = base
    elif dot:
        return None
    doc_type = _GOVERNANCE.get(stem)
    if doc_type is None and stem.startswith(("license-", "licence-", "license_", "copying.")):
        doc_type = "license"
    return doc_type


def is_docs_path(path: str) -> bool:
    """Docs and governance files, excluding dependency lists and word/data lists in ``.txt``."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    stem, ext = _stem_ext(name)
    if not ext:
        return governance_type(path) is not None
    if ext == ".txt":
        if _NOT_DOC_TXT.search(name):
            return False
        dirs = low.split("/")[:-1]
        if any(part in _NOT_DOC_DIRS for part in dirs):
            return False
    return bool(stem)


# --- evidence builders ----------------------------------------------------------------------


def _identity(idx: int) -> int:
    return idx + 1


def _trim(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def markup_evidence(
    path: str,
    markup: Markup,
    fmt: DocFormat,
    line_map: LineMap = _identity,
    cell: int | None = None,
) -> list[Evidence]:
    """Sections, code blocks, local links and badges of one scanned document (or cell)."""
    out: list[Evidence] = []
    for section in markup.sections:
        body, truncated = _trim(section.body, MAX_SECTION_CHARS)
        out.append(
            DocSection(
                path=path,
                line=line_map(section.line),
                end_line=line_map(max(section.end_line, section.line)),
                name=section.heading or "(preamble)",
                text=body or None,
                heading=section.heading,
                level=section.level,
                heading_path=section.heading_path,
                format=fmt,
                cell=cell,
                continuation=section.continuation,
                truncated=truncated,
            )
        )
    for block in markup.blocks:
        text, truncated = _trim(block.text, MAX_BLOCK_CHARS)
        out.append(
            DocCodeBlock(
                path=path,
                line=line_map(block.line),
                end_line=line_map(max(block.end_line, block.line)),
                name=block.language or "text",
                text=text,
                language=block.language,
                info=block.info,
                runnable=block.runnable_marker is not None,
                runnable_marker=block.runnable_marker,
                doctest=block.doctest,
                heading_path=block.heading_path,
                cell=cell,
                truncated=truncated,
            )
        )
    seen: set[tuple[str, int]] = set()
    for ref in markup.refs:
        resolved = resolve_local(path, ref.target)
        if resolved is None or (ref.target, ref.line) in seen:
            continue
        seen.add((ref.target, ref.line))
        target_path, anchor = resolved
        links = (
            (Link(src=f"file:{path}", dst=f"file:{target_path}", rel="references"),)
            if (target_path is not None)
            else ()
        )
        out.append(
            DocLink(
                path=path,
                line=line_map(ref.line),
                name=ref.target[:200],
                target=ref.target[:500],
                resolved=target_path,
                anchor=anchor,
                label=ref.label[:200],
                link_type=ref.link_type,
                cell=cell,
                links=links,
            )
        )
    for badge in markup.badges:
        category, service, workflow = classify_badge(badge.image_url, badge.alt)
        links = ()
        if workflow:
            links = (Link(src=f"file:{path}", dst=f"file:{workflow}", rel="badge-for"),)
        out.append(
            DocBadge(
                path=path,
                line=line_map(badge.line),
                name=f"{category}:{service}",
                category=category,
                service=service,
                image_url=badge.image_url[:500],
                link_url=badge.link_url[:500] if badge.link_url else None,
                alt=badge.alt[:200],
                workflow=workflow,
                links=links,
            )
        )
    return out


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def resolve_local(doc_path: str, target: str) -> tuple[str | None, str | None] | None:
    """Root-relative path and anchor for a local target; None for URLs and bare anchors.

    ``/x`` is root-relative (as GitHub renders it); anything else is relative to the
    document's folder. A target escaping the root resolves to ``(None, anchor)``.
    """
    target = target.strip()
    if not target or target.startswith(("#", "//", "{", "$", "<")) or _SCHEME.match(target):
        return None
    anchor: str | None = None
    if "#" in target:
        target, anchor = target.split("#", 1)
    target = target.split("?", 1)[0]
    if not target:
        return None
    target = unquote(target)
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(doc_path), target)
    normalised = posixpath.normpath(joined) if joined else "."
    if normalised == ".." or normalised.startswith("../"):
        return None, anchor
    return normalised, anchor


_WORKFLOW_BADGE = re.compile(r"github\.com/[^/]+/[^/]+/actions/workflows/([^/?#]+)/badge\.svg")
_BADGE_SERVICES = (
    ("/actions/workflows/", "github-actions", "ci"),
    ("/workflows/", "github-actions", "ci"),
    ("codecov.io", "codecov", "coverage"),
    ("coveralls.io", "coveralls", "coverage"),
    ("travis-ci.", "travis", "ci"),
    ("circleci.com", "circleci", "ci"),
    ("dev.azure.com", "azure-pipelines", "ci"),
    ("/pipeline.svg", "gitlab-ci", "ci"),
    ("/coverage.svg", "gitlab", "coverage"),
    ("readthedocs", "readthedocs", "docs"),
    ("api.securityscorecards.dev", "openssf-scorecard", "security"),
    ("bestpractices.", "openssf-best-practices", "security"),
    ("snyk.io", "snyk", "security"),
    ("app.codacy.com", "codacy", "quality"),
    ("sonarcloud.io", "sonarcloud", "quality"),
    ("codeclimate.com", "codeclimate", "quality"),
    ("deepsource.io", "deepsource", "quality"),
    ("badge.fury.io", "fury", "release"),
    ("pepy.tech", "pepy", "downloads"),
    ("colab.research.google.com", "colab", "notebook"),
    ("mybinder.org", "binder", "notebook"),
    ("huggingface.co", "huggingface", "model-hub"),
)
_BADGE_KEYWORDS = (
    (("coverage", "codecov", "coveralls"), "coverage"),
    (("build", "/ci", "ci/", "ci-", "test", "workflow", "pipeline", "check"), "ci"),
    (("docs", "documentation"), "docs"),
    (("license", "licence"), "license"),
    (("pypi", "/v/", "version", "release", "conda", "tag"), "release"),
    (("download",), "downloads"),
    (("code style", "code%20style", "black", "ruff", "pre-commit", "lint"), "style"),
    (("python",), "python-version"),
    (("security", "scorecard", "openssf"), "security"),
)


def classify_badge(image_url: str, alt: str) -> tuple[str, str, str | None]:
    """(category, service, workflow file) of a badge, from its URL and alt text."""
    low = image_url.lower()
    workflow_match = _WORKFLOW_BADGE.search(image_url)
    workflow = f".github/workflows/{workflow_match.group(1)}" if workflow_match else None
    service = "shields" if "shields.io" in low else "other"
    for needle, name, category in _BADGE_SERVICES:
        if needle in low:
            return category, name, workflow
    haystack = f"{low} {alt.lower()}"
    for needles, category in _BADGE_KEYWORDS:
        if any(needle in haystack for needle in needles):
            return category, service, workflow
    return "other", service, workflow


# --- governance -----------------------------------------------------------------------------

_SPDX_ID = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?:\s+(?:OR|AND)\s+[\w.+-]+)*)")
_LICENSE_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license",)),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("LGPL-2.1", ("gnu library general public license",)),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("Apache-2.0", ("licensed under the apache license, version 2.0",)),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("EPL-2.0", ("eclipse public license", "2.0")),
    ("BSL-1.0", ("boost software license",)),
    ("Unlicense", ("this is free and unencumbered software",)),
    ("CC0-1.0", ("cc0 1.0",)),
    ("CC-BY-NC-SA-4.0", ("attribution-noncommercial-sharealike 4.0",)),
    ("CC-BY-NC-4.0", ("attribution-noncommercial 4.0",)),
    ("CC-BY-SA-4.0", ("attribution-sharealike 4.0",)),
    ("CC-BY-4.0", ("creative commons attribution 4.0",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("MIT", ("mit license",)),
)
_SPDX_CANONICAL = {ident.lower(): ident for ident, _ in _LICENSE_SIGNATURES} | {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "bsd-3-clause": "BSD-3-Clause",
    "gpl-3.0": "GPL-3.0",
    "openrail": "OpenRAIL",
    "llama2": "Llama-2",
    "other": "other",
}


def guess_spdx(text: str, name: str = "") -> str | None:
    """Best-effort SPDX id from an explicit identifier, the licence text or the file name."""
    explicit = _SPDX_ID.search(text)
    if explicit:
        return explicit.group(1).strip()
    head = " ".join(text[:20000].lower().split())
    for ident, needles in _LICENSE_SIGNATURES:
        if all(needle in head for needle in needles):
            return ident
    low = name.lower()
    if "apache" in low:
        return "Apache-2.0"
    if low.endswith(("-mit", "_mit", "-mit.txt", "-mit.md")):
        return "MIT"
    return None


def codeowners_rules(lines: list[str]) -> tuple[CodeOwnersRule, ...]:
    """``pattern owner...`` lines; skips comments, blank lines, GitLab ``[Section]`` headers."""
    rules: list[CodeOwnersRule] = []
    for idx, raw in enumerate(lines):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "[", "^[")):
            continue
        parts = line.split()
        rules.append(CodeOwnersRule(pattern=parts[0], owners=tuple(parts[1:]), line=idx + 1))
        if len(rules) >= 500:
            break
    return tuple(rules)


_VERSION_HEADING = re.compile(r"\bv?(\d+\.\d+(?:\.\d+)?(?:[-.]?\w+)?)\b")
_MODEL_CARD_KEYS = frozenset({"model-index", "pipeline_tag", "library_name", "base_model"})
_DATASET_CARD_KEYS = frozenset({"task_categories", "dataset_info", "size_categories"})


def _front_matter(markup: Markup) -> dict[str, object]:
    if not markup.front_matter:
        return {}
    try:
        return as_dict(load_yaml(markup.front_matter))
    except FormatError:
        return {}


def governance_evidence(path: str, text: str, markup: Markup | None) -> list[Evidence]:
    """``doc.governance`` items this file contributes (by name, and by card front matter)."""
    doc_type = governance_type(path)
    front = _front_matter(markup) if markup is not None else {}
    types: list[str] = [doc_type] if doc_type else []
    if front.keys() & _MODEL_CARD_KEYS and "model-card" not in types:
        types.append("model-card")
    if front.keys() & _DATASET_CARD_KEYS and "datasheet" not in types:
        types.append("datasheet")
    if not types:
        return []
    headings = tuple(s.heading for s in markup.sections if s.heading)[:60] if markup else ()
    out: list[Evidence] = []
    for kind in types:
        spdx: str | None = None
        rules: tuple[CodeOwnersRule, ...] = ()
        versions, latest = 0, None
        if kind == "license":
            spdx = guess_spdx(text, path.rsplit("/", 1)[-1])
        elif kind in ("model-card", "datasheet", "readme") and "license" in front:
            raw = str(front["license"])
            spdx = _SPDX_CANONICAL.get(raw.lower(), raw)
        elif kind == "codeowners":
            rules = codeowners_rules(split_lines(text))
        elif kind == "changelog" and markup is not None:
            found = [
                m.group(1) for s in markup.sections if (m := _VERSION_HEADING.search(s.heading))
            ]
            versions, latest = len(found), (found[0] if found else None)
        out.append(
            DocGovernance(
                path=path,
                line=1,
                name=kind,
                doc_type=kind,
                spdx=spdx,
                rules=rules,
                headings=headings,
                front_matter_keys=tuple(sorted(front))[:50],
                versions=versions,
                latest_version=latest,
            )
        )
    return out


_LOOKS_MARKDOWN = re.compile(r"^(?:#{1,6} \S|```)", re.MULTILINE)


@parser("docs", Modality.DOCS, is_docs_path)
def parse_docs(inp: ParseInput) -> list[Evidence]:
    """Sections, code blocks, links, badges and governance facts of one documentation file."""
    doc_type = governance_type(inp.path)
    if doc_type in _GOVERNANCE_ONLY:
        return governance_evidence(inp.path, inp.text, None)
    _, ext = _stem_ext(inp.name)
    markup: Markup
    fmt: DocFormat
    if ext in (".rst", ".rest"):
        markup, fmt = scan_rst(inp.text), "rst"
    elif ext in (".txt", "") and not _LOOKS_MARKDOWN.search(inp.text):
        markup, fmt = scan_text(inp.text), "text"
    else:
        markup, fmt = scan_markdown(inp.text), "markdown"
    return markup_evidence(inp.path, markup, fmt) + governance_evidence(inp.path, inp.text, markup)
