"""Format-neutral views of the stage results, the score fusion and the roadmap.

Every renderer (text, Markdown, SARIF, HTML) lists the same checks, the same run facts and the
same roadmap lines; deciding *what* to show lives here once, so the formats differ only in
markup. The rule for readability: a check that failed (``refuted``, ``failed``, ``error``) is
shown in full with its counterexample, the rest are summarised by count -- a project with 50
proved obligations and one refuted one should read as "one thing to fix", not as a list of 51.
Every helper degrades gracefully: no stages, no fusion or an empty roadmap give empty output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hyperscore.evaluators.assessment import (
    Assessment,
    Check,
    ComponentResult,
    RoadmapItem,
    StageResult,
)

STAGE_ORDER = ("logic", "sandbox", "repro", "novelty", "impact")
COMPONENT_ORDER = ("logic", "novelty", "impact", "repro", "meta")
RESULT_ORDER = ("refuted", "failed", "error", "unknown", "proved", "passed", "not-applicable")
PROBLEM_RESULTS = frozenset({"refuted", "failed", "error"})
ROADMAP_TOP = 10
MAX_PROBLEMS = 20  # per stage, in the text and Markdown reports (HTML and JSON list all)
MAX_DETAILS = 8
MiB = 1024 * 1024


def ordered_stages(assessment: Assessment) -> list[StageResult]:
    """The stages in pipeline order (logic, sandbox, repro, novelty, impact), then the others."""
    rank = {name: i for i, name in enumerate(STAGE_ORDER)}
    return sorted(assessment.stages.values(), key=lambda s: (rank.get(s.stage, 99), s.stage))


def problem_checks(stage: StageResult) -> list[Check]:
    """The checks a reader must act on: refuted obligations, failed runs, errors."""
    return [c for c in stage.checks if c.result in PROBLEM_RESULTS]


def more_text(stage: StageResult, shown: int) -> str:
    """``... and 5 more refuted/failed checks (see --format html or json)``, or empty."""
    rest = len(problem_checks(stage)) - shown
    return f"... and {rest} more (see --format html or json)" if rest > 0 else ""


def result_counts(stage: StageResult) -> dict[str, int]:
    """Checks per result, most alarming first (only results that occur)."""
    counts: dict[str, int] = {}
    for check in stage.checks:
        counts[check.result] = counts.get(check.result, 0) + 1
    rank = {r: i for i, r in enumerate(RESULT_ORDER)}
    return dict(sorted(counts.items(), key=lambda kv: rank.get(kv[0], 99)))


def counts_text(counts: dict[str, int]) -> str:
    """``1 refuted, 40 proved`` (empty for no checks)."""
    return ", ".join(f"{n} {result}" for result, n in counts.items())


def score_text(stage: StageResult) -> str:
    return "n/a" if stage.score is None else f"{stage.score:.2f}"


def stage_seconds(stage: StageResult) -> float | None:
    """Wall time of a stage: its ``total`` timing, else the sum of its spans."""
    if not stage.timings:
        return None
    return stage.timings.get("total", sum(stage.timings.values()))


def seconds_text(stage: StageResult) -> str:
    seconds = stage_seconds(stage)
    return "" if seconds is None else f"{seconds:.2f} s"


def is_run(check: Check) -> bool:
    """A sandbox run (its ``detail`` has the exit status, test counts, times and memory)."""
    return check.kind.startswith("sandbox.")


def run_facts(check: Check) -> list[str]:
    """``exit status 1``, ``3 passed, 1 failed``, ``wall 2.10 s``, ``CPU 1.80 s``, peak memory."""
    d = check.detail
    facts: list[str] = []
    if d.get("timed_out"):
        facts.append("timed out")
    elif d.get("exit_status") is not None:
        facts.append(f"exit status {d['exit_status']}")
    if "tests_passed" in d or "tests_failed" in d:
        facts.append(f"{d.get('tests_passed', 0)} passed, {d.get('tests_failed', 0)} failed")
    for key, label in (("wall_seconds", "wall"), ("cpu_seconds", "CPU")):
        if isinstance(d.get(key), int | float):
            facts.append(f"{label} {d[key]:.2f} s")
    peak = d.get("peak_memory_bytes")
    if isinstance(peak, int | float) and peak > 0:
        facts.append(f"peak memory {peak / MiB:.1f} MiB")
    return facts


def run_label(check: Check) -> str:
    """The command a sandbox run executed (its statement when the command is not recorded)."""
    command = check.detail.get("command")
    if isinstance(command, list) and command:
        return " ".join(str(part) for part in command)
    return check.statement


def check_location(check: Check) -> str:
    return check.evidence[0].location if check.evidence else ""


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int | str):
        return str(value)
    return None


def key_details(stage: StageResult) -> list[tuple[str, str]]:
    """The stage's scalar details and flat mappings of scalars, as (name, value) pairs.

    ``details`` is free-form per stage (ΔRepro's static and dynamic scores, the novelty
    counts, the impact forecast); scalars and small flat dicts are what a reader can take in,
    nested structures stay in the JSON report.
    """
    out: list[tuple[str, str]] = []
    for name, value in stage.details.items():
        text = _scalar(value)
        if text is None and isinstance(value, dict) and value:
            parts = [(str(k), _scalar(v)) for k, v in value.items()]
            if all(v is not None for _, v in parts) and len(parts) <= 8:
                text = ", ".join(f"{k} {v}" for k, v in parts)
        if text is not None and len(text) <= 160:
            out.append((name.replace("_", " "), text))
        if len(out) >= MAX_DETAILS:
            break
    return out


# --------------------------------------------------------------------------- fusion


@dataclass(frozen=True)
class Step:
    """One bar of the Shapley waterfall: V moves from ``start`` to ``end`` by a component."""

    name: str
    title: str
    start: float
    end: float


def ordered_components(assessment: Assessment) -> list[ComponentResult]:
    rank = {name: i for i, name in enumerate(COMPONENT_ORDER)}
    return sorted(assessment.components.values(), key=lambda c: (rank.get(c.name, 99), c.name))


def waterfall(assessment: Assessment) -> list[Step]:
    """Baseline V plus each used component's Shapley value, in component order, ends at V."""
    if assessment.fusion is None:
        return []
    level = assessment.fusion.baseline_v
    steps = []
    for comp in ordered_components(assessment):
        if comp.status != "used" or comp.shapley is None:
            continue
        steps.append(Step(comp.name, comp.title, level, level + comp.shapley))
        level += comp.shapley
    return steps


def interval_text(assessment: Assessment) -> str:
    if assessment.score_interval is None:
        return ""
    low, high = assessment.score_interval
    return f"90% interval {low:.1f}-{high:.1f}"


def fusion_headline(assessment: Assessment) -> str:
    """``score 62.3/100 (90% interval 55.1-69.0) · HyperScore 143.2 · baseline 38.8``."""
    parts = [f"score {assessment.score:.1f}/100"]
    interval = interval_text(assessment)
    if interval:
        parts[0] += f" ({interval})"
    if assessment.hyper_score is not None:
        parts.append(f"HyperScore {assessment.hyper_score:.1f}")
    if assessment.baseline_score is not None:
        parts.append(f"baseline {assessment.baseline_score:.1f}")
    if assessment.fusion is not None and assessment.fusion.confidence == "low":
        parts.append("LOW CONFIDENCE")
    return " · ".join(parts)


def low_confidence(assessment: Assessment) -> bool:
    return assessment.fusion is not None and assessment.fusion.confidence == "low"


def number(value: float | None, fmt: str = ".3f", signed: bool = False) -> str:
    if value is None:
        return "-"
    return format(value, ("+" if signed else "") + fmt)


def component_cells(comp: ComponentResult) -> list[str]:
    """name, term, weight, nominal weight, Shapley, status (dropped with why)."""
    status = f"dropped: {comp.why}" if comp.status == "dropped" and comp.why else comp.status
    return [
        comp.title or comp.name,
        number(comp.term),
        number(comp.weight),
        number(comp.nominal_weight),
        number(comp.shapley, ".4f", signed=True),
        status,
    ]


COMPONENT_HEADER = ("component", "term", "weight", "nominal", "Shapley", "status")


def fusion_facts(assessment: Assessment) -> list[str]:
    """V, its Shapley baseline, where the weights came from, the calibration."""
    fusion = assessment.fusion
    if fusion is None:
        return []
    facts = [f"V {fusion.v:.4f} (baseline V {fusion.baseline_v:.4f})"]
    weights = f"weights: {fusion.weights_source}"
    if fusion.consistency_ratio is not None:
        weights += f" (AHP consistency ratio {fusion.consistency_ratio:.3f})"
    facts.append(weights)
    if fusion.calibration:
        facts.append(f"calibration: {fusion.calibration}")
    return facts


# --------------------------------------------------------------------------- roadmap


def roadmap_line(item: RoadmapItem) -> str:
    """``adopt Model registry: +6.5 points, prerequisites experiment-tracking``."""
    line = f"adopt {item.title}: {item.gain:+.1f} points"
    if item.prerequisites:
        line += ", prerequisites " + ", ".join(item.prerequisites)
    return line


def roadmap(assessment: Assessment, top: int | None = ROADMAP_TOP) -> list[RoadmapItem]:
    """The stage's priority order: a prerequisite before what needs it, then by gain."""
    items = list(assessment.roadmap)
    return items if top is None else items[:top]
