"""Report renderers: text, JSON, Markdown, SARIF 2.1.0 and a self-contained HTML page.

:func:`render` is the one entry point. The helpers here (level names, next steps, ordering of
findings) are shared by every format, so the terminal, the PR comment and the HTML page never
disagree about what to do next. Renderers are imported lazily: importing this package costs
nothing, and a renderer's dependencies (rich, the rule registry) load only when used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hyperscore.evaluators.assessment import (
    Assessment,
    Dimension,
    Finding,
    Practice,
    PracticeResult,
    PracticeState,
    Severity,
)
from hyperscore.evaluators.model import IngestResult

if TYPE_CHECKING:
    from collections.abc import Iterable

Format = Literal["text", "json", "markdown", "sarif", "html"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown", "sarif", "html")
INFORMATION_URI = "https://github.com/hyperscore/hyperscore"
MAX_LEVEL = 4

# The overall maturity levels (shared/bench/RUBRIC.md, "Overall").
LEVELS: dict[int, tuple[str, str]] = {
    0: ("No MLOps", "Manual process: notebooks and scripts, nothing automated."),
    1: ("DevOps, no MLOps", "CI for the code; training and deployment are still manual."),
    2: ("Automated training", "Training runs as a pipeline, with experiment tracking."),
    3: ("Automated deployment", "Models are delivered by CD with validation gates."),
    4: ("Full MLOps", "Monitoring-triggered retraining, governance and automated operations."),
}

# What each level of each dimension means (the rubric, abridged); index = level.
DIMENSION_LEVELS: dict[Dimension, tuple[str, str, str, str, str]] = {
    Dimension.REPRODUCIBILITY: (
        "no dependency spec",
        "unpinned requirements",
        "pinned versions or a container",
        "lockfile, container and config/seeds",
        "hermetic, one-command rebuild",
    ),
    Dimension.DATA: (
        "ad-hoc data handling",
        "scripted download/preparation",
        "data versioning or schemas",
        "automated data validation in the pipeline",
        "lineage, gates and data contracts",
    ),
    Dimension.TRACKING: (
        "no tracking",
        "metrics written by hand",
        "a tracking tool",
        "a model registry with versions",
        "registry with promotion gates and lineage",
    ),
    Dimension.TESTING: (
        "no tests",
        "a few tests or linting only",
        "unit tests and lint run in CI",
        "data and model-evaluation tests",
        "robustness, integration tests, coverage gates",
    ),
    Dimension.AUTOMATION: (
        "no CI",
        "CI that builds or lints",
        "CI runs tests on every change",
        "an automated training pipeline",
        "continuous training and delivery",
    ),
    Dimension.DEPLOYMENT: (
        "no deployment path",
        "manual script or notebook",
        "packaged model or service",
        "infrastructure as code, automated deploy",
        "progressive delivery and rollback",
    ),
    Dimension.MONITORING: (
        "none",
        "application logging",
        "service metrics or inference logging",
        "drift or model-performance monitoring",
        "alerts, dashboards, retraining loop",
    ),
    Dimension.GOVERNANCE: (
        "no documentation",
        "README only",
        "usage docs, license, configuration docs",
        "model cards, secrets hygiene, code owners",
        "approvals, audit trail, fairness checks",
    ),
}

SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
)


def render(
    assessment: Assessment,
    fmt: str,
    *,
    color: bool = False,
    ingest: IngestResult | None = None,
    link_base: str | None = None,
) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`).

    ``color`` applies to text only; ``ingest`` adds the evidence and its graph to the JSON
    report; ``link_base`` prefixes the file links of the Markdown report.
    """
    if fmt == "text":
        from hyperscore.evaluators.report.text import render_text

        return render_text(assessment, color=color)
    if fmt == "json":
        from hyperscore.evaluators.report.json_report import render_json

        return render_json(assessment, ingest)
    if fmt == "markdown":
        from hyperscore.evaluators.report.markdown import render_markdown

        return render_markdown(assessment, link_base=link_base)
    if fmt == "sarif":
        from hyperscore.evaluators.report.sarif import render_sarif

        return render_sarif(assessment)
    if fmt == "html":
        from hyperscore.evaluators.report.html import render_html

        return render_html(assessment)
    raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


# --------------------------------------------------------------------------- shared helpers


def level_name(level: int) -> str:
    return LEVELS.get(level, ("?", ""))[0]


def dimension_level_text(dim: str, level: int) -> str:
    try:
        return DIMENSION_LEVELS[Dimension(dim)][level]
    except (ValueError, IndexError, KeyError):
        return ""


def level_bar(level: int, width: int = MAX_LEVEL, full: str = "█", empty: str = "░") -> str:
    filled = max(0, min(width, level))
    return full * filled + empty * (width - filled)


def catalogue() -> dict[str, Practice]:
    """The practice catalogue, or nothing when it cannot be loaded (reports never fail on it)."""
    from hyperscore.evaluators.catalogue import load_practices

    try:
        return load_practices()
    except (ValueError, OSError):
        return {}


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by location: the order every format lists findings in."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.line or 0, f.rule_id))


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.rank >= threshold.rank]


def claimed_only(assessment: Assessment) -> list[PracticeResult]:
    return [p for p in assessment.practices if p.state == PracticeState.CLAIMED_ONLY]


@dataclass(frozen=True)
class NextStep:
    """One practice to add: it is missing for the next level of a weak dimension."""

    dimension: str
    current_level: int
    target_level: int
    practice_id: str
    title: str
    remediation: str
    effort: str
    claimed: bool  # the README claims it, but the files do not show it


def next_steps(assessment: Assessment, max_dimensions: int = 3) -> list[NextStep]:
    """The missing practices for the next level of the weakest dimensions, weakest first."""
    order = {d.value: i for i, d in enumerate(Dimension)}
    weak = sorted(
        (d for d in assessment.dimension_details if d.level < MAX_LEVEL and d.next_steps),
        key=lambda d: (d.level, order.get(d.name.value, len(order))),
    )[:max_dimensions]
    known = catalogue()
    results = {p.id: p for p in assessment.practices}
    steps: list[NextStep] = []
    for dim in weak:
        for pid in dim.next_steps:
            entry, result = known.get(pid), results.get(pid)
            title = entry.title if entry else result.title if result else pid
            steps.append(
                NextStep(
                    dimension=dim.name.value,
                    current_level=dim.level,
                    target_level=dim.level + 1,
                    practice_id=pid,
                    title=title,
                    remediation=entry.remediation.strip() if entry else "",
                    effort=entry.effort if entry else "",
                    claimed=result is not None and result.state == PracticeState.CLAIMED_ONLY,
                )
            )
    return steps


def practice_title(assessment: Assessment, pid: str) -> str:
    for practice in assessment.practices:
        if practice.id == pid:
            return practice.title
    entry = catalogue().get(pid)
    return entry.title if entry else pid


Block = tuple[Literal["p", "code"], str]


def text_blocks(text: str) -> list[Block]:
    """Paragraphs and code blocks (indented four spaces, or fenced) of a remediation text."""
    blocks: list[Block] = []
    para: list[str] = []
    code: list[str] = []
    fenced = False

    def flush() -> None:
        if para:
            blocks.append(("p", " ".join(para)))
            para.clear()
        while code and not code[-1].strip():
            code.pop()
        if code:
            blocks.append(("code", "\n".join(code)))
            code.clear()

    for line in text.strip("\n").splitlines():
        if line.strip().startswith("```"):
            flush()
            fenced = not fenced
        elif fenced:
            code.append(line)
        elif line.startswith("    ") and not para:
            code.append(line[4:])
        elif not line.strip():
            if code:
                code.append("")
            else:
                flush()
        else:
            if code:
                flush()
            para.append(line.strip())
    flush()
    return blocks


def first_paragraph(text: str, limit: int = 0) -> str:
    for kind, body in text_blocks(text):
        if kind == "p":
            return one_line(body, limit)
    return one_line(text, limit)


def one_line(text: str, limit: int = 0) -> str:
    """Whitespace collapsed to single spaces; cut to ``limit`` characters (0: no limit)."""
    flat = " ".join(text.split())
    if limit and len(flat) > limit:
        return flat[: max(limit - 1, 0)].rstrip() + "…"
    return flat


__all__ = [
    "DIMENSION_LEVELS",
    "FORMATS",
    "LEVELS",
    "SEVERITY_ORDER",
    "Format",
    "NextStep",
    "at_or_above",
    "claimed_only",
    "level_bar",
    "level_name",
    "next_steps",
    "render",
    "severity_counts",
    "sorted_findings",
]
