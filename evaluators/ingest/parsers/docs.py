"""Documentation: Markdown, reStructuredText and plain-text files, plus governance files.

Prose is split into heading sections (``doc.section``) for the semantic parser; fenced code
becomes ``doc.code_block`` (a later sandbox runs the blocks marked runnable); relative links
become ``doc.link`` so a later check can verify the targets exist; status badges become
``doc.badge``. LICENSE/CODEOWNERS/SECURITY/CONTRIBUTING/model cards and friends are also
governance signals (``doc.governance``). The scanners live in :mod:`docs_markup` and
:mod:`docs_rst`, governance in :mod:`docs_governance`; this module turns scans into evidence
and is reused by the notebook parser for markdown cells.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from hyperscore.evaluators.ingest.parsers.docs_governance import (
    GOVERNANCE_ONLY,
    governance_evidence,
    governance_type,
    is_docs_path,
    stem_ext,
)
from hyperscore.evaluators.ingest.parsers.docs_kinds import (
    DocBadge,
    DocCodeBlock,
    DocFormat,
    DocLink,
    DocSection,
)
from hyperscore.evaluators.ingest.parsers.docs_markup import Markup, scan_markdown
from hyperscore.evaluators.ingest.parsers.docs_rst import scan_rst, scan_text
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_SECTION_CHARS = 4000
MAX_BLOCK_CHARS = 4000
LineMap = Callable[[int], int]


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


_LOOKS_MARKDOWN = re.compile(r"^(?:#{1,6} \S|```)", re.MULTILINE)


@parser("docs", Modality.DOCS, is_docs_path)
def parse_docs(inp: ParseInput) -> list[Evidence]:
    """Sections, code blocks, links, badges and governance facts of one documentation file."""
    doc_type = governance_type(inp.path)
    if doc_type in GOVERNANCE_ONLY:
        return governance_evidence(inp.path, inp.text, None)
    _, ext = stem_ext(inp.name)
    markup: Markup
    fmt: DocFormat
    if ext in (".rst", ".rest"):
        markup, fmt = scan_rst(inp.text), "rst"
    elif ext in (".txt", "") and not _LOOKS_MARKDOWN.search(inp.text):
        markup, fmt = scan_text(inp.text), "text"
    else:
        markup, fmt = scan_markdown(inp.text), "markdown"
    return markup_evidence(inp.path, markup, fmt) + governance_evidence(inp.path, inp.text, markup)
