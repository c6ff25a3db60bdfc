"""The system's answer to an expert who disagrees: its evidence, and what would change it.

A reviewer who disagrees deserves more than "noted": for every point of disagreement the
system states its position (the practices it found, with the files and lines that show them)
and the evidence that would move it -- the missing practices for a higher level, or the
practices whose evidence would have to be discounted for a lower one. That makes a review a
debate the expert can win with facts, and tells the maintainers which detector to check when
the expert is right.

Verdicts follow the MaturityReview status: ``agree`` (no disagreement), ``maintain`` (the
system keeps its rating and says why), ``concede`` (the expert rates higher and everything the
system misses for that level is *claimed* in the project's prose: the files do not show it, but
an expert who verified it is likely right). :func:`debate` is pure (report dict + review in,
reply out) so the operator can put the reply in ``MaturityReview.status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from hyperscore.evaluators.assessment import Assessment, PracticeResult, PracticeState
from hyperscore.evaluators.feedback.record import DIMENSIONS, Review, parse_report

Verdict = Literal["agree", "concede", "maintain"]

#: Without a credible interval, an overall score this many points away is a disagreement.
SCORE_TOLERANCE = 10.0
_CITATIONS_PER_PRACTICE = 2
_OVERALL_ITEMS = 5


@dataclass(frozen=True)
class DebatePoint:
    """One disagreement (or agreement) on ``topic``: "overall" or a dimension name."""

    topic: str
    expert: float | None
    system: float
    verdict: Verdict
    argument: str
    evidence: list[str] = field(default_factory=list)
    would_change: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DebateReply:
    assessment_id: str
    points: list[DebatePoint]

    @property
    def disagreements(self) -> list[DebatePoint]:
        return [p for p in self.points if p.verdict != "agree"]

    def to_json(self) -> dict[str, Any]:
        return {"assessment_id": self.assessment_id, "points": [asdict(p) for p in self.points]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DebateReply:
        return cls(str(data["assessment_id"]), [DebatePoint(**p) for p in data["points"]])

    def text(self) -> str:
        """The reply as plain text: one paragraph per point, evidence and counter-evidence."""
        if not self.disagreements:
            return "No disagreement: the system's ratings agree with this review."
        lines: list[str] = []
        for p in self.disagreements:
            lines.append(f"{p.topic}: {p.verdict} -- {p.argument}")
            lines.extend(f"    evidence: {e}" for e in p.evidence)
            lines.extend(f"    would change it: {w}" for w in p.would_change)
        return "\n".join(lines)


def debate(assessment_json: Mapping[str, Any], review: Review) -> DebateReply:
    """The system's position on every point where ``review`` disagrees with the report."""
    assessment = parse_report(assessment_json, review.assessment_id)
    practices = {p.id: p for p in assessment.practices}
    points: list[DebatePoint] = []
    if review.score is not None:
        points.append(_overall(assessment, practices, review.score))
    for dim in DIMENSIONS:
        if dim in review.levels:
            points.append(_dimension(assessment, practices, dim, review.levels[dim]))
    return DebateReply(review.assessment_id, points)


def _cite(practice: PracticeResult) -> str:
    cites = [f"{c.location} ({c.what})" for c in practice.evidence[:_CITATIONS_PER_PRACTICE]]
    more = len(practice.evidence) - len(cites)
    where = "; ".join(cites) + (f"; +{more} more" if more > 0 else "") if cites else "no citation"
    return f"{practice.title} [{practice.id}] at {where}"


def _missing(practice: PracticeResult) -> str:
    prose = " (claimed in the docs, not shown in the files)"
    note = prose if practice.state == PracticeState.CLAIMED_ONLY else ""
    return f"show {practice.title} [{practice.id}], level {practice.level}{note}"


def _dimension(
    assessment: Assessment, practices: Mapping[str, PracticeResult], dim: str, expert: int
) -> DebatePoint:
    detail = next(d for d in assessment.dimension_details if d.name.value == dim)
    system = detail.level
    earned = [practices[i] for i in detail.earned_by if i in practices]
    if expert == system:
        return DebatePoint(dim, expert, system, "agree", f"both rate {dim} at level {system}.")
    if expert < system:
        # What lifts the dimension above the expert's level: the present practices of the
        # levels above it. Discounting their evidence is what would bring the rating down.
        lifting = sorted((p for p in earned if p.level > expert), key=lambda p: -p.level)
        lifting = lifting or earned
        return DebatePoint(
            dim,
            expert,
            system,
            "maintain",
            f"the files show the practices of level {system} for {dim}; the rating would drop "
            f"to {expert} only if their evidence were discounted (stale, unused or not what it "
            "seems).",
            evidence=[_cite(p) for p in lifting],
            would_change=[f"discount the evidence of {p.title} [{p.id}]" for p in lifting],
        )
    needed = [
        p
        for p in practices.values()
        if p.dimension.value == dim
        and p.state != PracticeState.PRESENT
        and system < p.level <= expert
    ]
    first = [practices[i] for i in detail.next_steps if i in practices]
    needed = first + sorted((p for p in needed if p not in first), key=lambda p: (p.level, p.id))
    claimed_only = bool(first) and all(p.state == PracticeState.CLAIMED_ONLY for p in first)
    if claimed_only:
        argument = (
            f"the project claims what level {system + 1} of {dim} needs, but the files do "
            "not show it (prose claims count only for level 1); if the reviewer verified it, "
            "the expert's rating is likely right."
        )
    else:
        argument = (
            f"level {system + 1} of {dim} needs practices the files do not show; the rating "
            "rises when they appear."
        )
    return DebatePoint(
        dim,
        expert,
        system,
        "concede" if claimed_only else "maintain",
        argument,
        evidence=[_cite(p) for p in earned] or [f"no practice of {dim} was detected"],
        would_change=[_missing(p) for p in needed],
    )


def _overall(
    assessment: Assessment, practices: Mapping[str, PracticeResult], expert: float
) -> DebatePoint:
    system = float(assessment.score)
    if assessment.score_interval is not None:
        low, high = assessment.score_interval
        band = f"the 90% interval {low:.1f}-{high:.1f}"
    else:
        low, high = system - SCORE_TOLERANCE, system + SCORE_TOLERANCE
        band = f"{SCORE_TOLERANCE:g} points of the system's score"
    if low <= expert <= high:
        return DebatePoint(
            "overall", expert, system, "agree", f"{expert:g} is within {band} ({system:.1f})."
        )
    dims = sorted(assessment.dimension_details, key=lambda d: d.level, reverse=expert < low)
    evidence = [f"{d.name.value} at level {d.level}: {d.rationale}" for d in dims[:3]]
    evidence += [
        f"component {c.name} term {c.term:.2f} x weight {c.weight:.2f}"
        for c in assessment.components.values()
        if c.term is not None
    ]
    if expert > high:
        steps = [practices[i] for d in dims for i in d.next_steps[:1] if i in practices]
        would = [f"{_missing(p)} ({p.dimension.value})" for p in steps[:_OVERALL_ITEMS]]
        argument = (
            f"the expert's {expert:g} is above {band}: the files show only the practices "
            f"behind {system:.1f}; the cheapest next steps would raise it."
        )
    else:
        top = [
            practices[i]
            for d in dims
            for i in d.earned_by
            if i in practices and practices[i].level == d.level
        ]
        would = [f"discount the evidence of {_cite(p)}" for p in top[:_OVERALL_ITEMS]]
        argument = (
            f"the expert's {expert:g} is below {band}: the score rests on the practices "
            "found in the files, the strongest dimensions first."
        )
    return DebatePoint("overall", expert, system, "maintain", argument, evidence, would)
