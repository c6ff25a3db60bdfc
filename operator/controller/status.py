"""The MaturityAssessment status: the assessment mapped onto the API model, and its conditions.

Conditions follow the Kubernetes API conventions (metav1.Condition): one entry per type, a
CamelCase reason, ``observedGeneration``, and a ``lastTransitionTime`` that moves only when the
condition's *status* changes (a new message or reason alone keeps the time). They are applied
with a patch function (kopf's ``patch.fns``) against the freshest stored object, so two writers
of different condition types never overwrite each other's entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperscore.evaluators.assessment import Assessment, Severity
from hyperscore.operator.api.models import (
    ASSESSMENT_CONDITIONS,
    DEGRADED,
    MAX_TOP_ITEMS,
    READY,
    REVIEW_REQUESTED,
    SCORED,
    SOURCE_AVAILABLE,
    ComponentStatus,
    ConditionStatus,
    DimensionStatus,
    FindingCounts,
    FindingsStatus,
    FindingSummary,
    MaturityAssessmentStatus,
    ReportRef,
    RoadmapItem,
    ScoreInterval,
)

_MESSAGE_LIMIT = 1024  # conditions are read by humans in `kubectl describe`; keep them short


@dataclass(frozen=True)
class ConditionUpdate:
    type: str
    status: ConditionStatus
    reason: str
    message: str = ""


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_conditions(
    current: Sequence[Mapping[str, Any]],
    updates: Iterable[ConditionUpdate],
    *,
    generation: int | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """``current`` with ``updates`` applied; other types are kept as they are, in order."""
    out = [dict(c) for c in current if isinstance(c, Mapping) and c.get("type")]
    index = {c["type"]: i for i, c in enumerate(out)}
    for update in updates:
        previous = out[index[update.type]] if update.type in index else None
        changed = previous is None or previous.get("status") != update.status
        condition: dict[str, Any] = {
            "type": update.type,
            "status": update.status,
            "reason": update.reason,
            "message": " ".join(update.message.split())[:_MESSAGE_LIMIT],
            "lastTransitionTime": (
                rfc3339(now) if changed or previous is None else previous["lastTransitionTime"]
            ),
        }
        if generation is not None:
            condition["observedGeneration"] = generation
        if previous is None:
            index[update.type] = len(out)
            out.append(condition)
        else:
            out[index[update.type]] = condition
    order = {t: i for i, t in enumerate(ASSESSMENT_CONDITIONS)}
    return sorted(out, key=lambda c: order.get(c["type"], len(order)))


def conditions_patch(
    updates: Sequence[ConditionUpdate], *, generation: int | None, now: dt.datetime
) -> Callable[[Any], None]:
    """A kopf ``patch.fns`` function: merges ``updates`` into the body it is given."""

    def apply(body: Any) -> None:  # kopf's RawBody: a TypedDict, mutated in place
        status = body.setdefault("status", {})
        status["conditions"] = merge_conditions(
            status.get("conditions") or [], updates, generation=generation, now=now
        )

    return apply


def scored_conditions(assessment: Assessment, revision: str | None) -> list[ConditionUpdate]:
    """All five conditions after a successful run."""
    shown = f" at {revision[:12]}" if revision else ""
    review = assessment.fusion is not None and assessment.fusion.confidence == "low"
    return [
        ConditionUpdate(READY, "True", "Scored", f"score {assessment.score:.1f}{shown}"),
        ConditionUpdate(SOURCE_AVAILABLE, "True", "Fetched", f"source fetched{shown}"),
        ConditionUpdate(
            SCORED, "True", "Scored", f"level {assessment.level}, score {assessment.score:.1f}"
        ),
        ConditionUpdate(DEGRADED, "False", "AsExpected", ""),
        ConditionUpdate(
            REVIEW_REQUESTED,
            "True" if review else "False",
            "LowConfidence" if review else "ConfidenceHigh",
            "the fused score has low confidence: an expert review would help" if review else "",
        ),
    ]


def source_unavailable_conditions(message: str) -> list[ConditionUpdate]:
    """The source cannot be fetched (yet): retried; the last score, if any, is kept."""
    return [
        ConditionUpdate(SOURCE_AVAILABLE, "False", "FetchFailed", message),
        ConditionUpdate(READY, "False", "SourceUnavailable", message),
    ]


def degraded_conditions(reason: str, message: str) -> list[ConditionUpdate]:
    """A run that cannot succeed until the spec (or a referenced object) changes."""
    return [
        ConditionUpdate(DEGRADED, "True", reason, message),
        ConditionUpdate(READY, "False", reason, message),
        ConditionUpdate(SCORED, "False", reason, message),
    ]


def pending_patch(generation: int, now: dt.datetime, why: str = "") -> Callable[[Any], None]:
    """Ready=Unknown for a generation not scored yet -- decided against the freshest body when
    kopf applies the patch, so an intent recorded late never hides the timer's verdict on the
    same generation (a run that already finished or failed for it)."""
    message = f"generation {generation} awaits scoring" + (f" ({why})" if why else "")
    pending = ConditionUpdate(READY, "Unknown", "Pending", message)
    apply_pending = conditions_patch([pending], generation=generation, now=now)

    def apply(body: Any) -> None:
        if (body.get("status") or {}).get("observedGeneration") != generation:
            apply_pending(body)

    return apply


def assessment_status(
    assessment: Assessment,
    *,
    generation: int,
    revision: str | None,
    scored_at: dt.datetime,
    report: ReportRef | None,
) -> dict[str, Any]:
    """The status fields of a scored assessment (camelCase, no conditions), validated by the
    same pydantic model the CRD is generated from, so the API server never prunes a field."""
    interval = None
    if assessment.score_interval is not None:
        lower, upper = assessment.score_interval
        interval = ScoreInterval(lower=lower, upper=upper)
    counts = {s.value: 0 for s in Severity}
    for finding in assessment.findings:
        counts[finding.severity.value] += 1
    status = MaturityAssessmentStatus(
        observed_generation=generation,
        score=round(assessment.score, 2),
        score_interval=interval,
        hyper_score=None if assessment.hyper_score is None else round(assessment.hyper_score, 2),
        level=assessment.level,
        dimensions=[
            DimensionStatus(name=d.name.value, level=d.level) for d in assessment.dimension_details
        ],
        components=[
            ComponentStatus(
                name=name,
                score=None if c.term is None else round(100 * c.term, 2),
                weight=round(c.weight, 4),
                shapley=round(c.shapley, 4),
            )
            for name, c in sorted(assessment.components.items())
            if c.shapley is not None
        ],
        findings=FindingsStatus(
            counts=FindingCounts(**counts),
            top=[
                FindingSummary(
                    rule_id=f.rule_id,
                    severity=f.severity.value,
                    title=f.title,
                    path=f.path,
                    line=f.line,
                )
                for f in assessment.findings[:MAX_TOP_ITEMS]
            ],
        ),
        roadmap=[
            RoadmapItem(
                title=r.title,
                practice=r.practice,
                dimension=r.dimension.value,
                expected_gain=round(r.gain, 2),
                effort=r.effort,
            )
            for r in assessment.roadmap[:MAX_TOP_ITEMS]
        ],
        source_revision=revision,
        last_scored_time=scored_at.replace(microsecond=0),
        report=report,
    )
    data = status.model_dump(by_alias=True, exclude_none=True, mode="json")
    data.pop("conditions", None)
    data["lastScoredTime"] = rfc3339(scored_at)
    # A merge patch keeps keys it does not mention: clear what this run did not produce, so a
    # field of an earlier run (a HyperScore when fusion is now off) never lingers.
    for key in ("scoreInterval", "hyperScore", "sourceRevision", "report"):
        data.setdefault(key, None)
    return data
