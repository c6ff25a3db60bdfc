"""The status the controller writes: the assessment mapped onto the CRD's status model, and
conditions per the API conventions (lastTransitionTime moves only when the status does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hyperscore.evaluators import pipeline
from hyperscore.evaluators.assessment import Assessment, ComponentResult, FusionSummary, RoadmapItem
from hyperscore.operator.api.models import MaturityAssessmentStatus, ReportRef
from hyperscore.operator.controller.status import (
    ConditionUpdate,
    assessment_status,
    conditions_patch,
    merge_conditions,
    pending_patch,
    scored_conditions,
)

T0 = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


@pytest.fixture(scope="module")
def assessment(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    project = tmp_path_factory.mktemp("project")
    (project / "README.md").write_text("# Tiny model\n")
    (project / "train.py").write_text("import mlflow\nmlflow.autolog()\n")
    (project / "requirements.txt").write_text("mlflow==2.17.0\n")
    result, _ = pipeline.assess(
        str(project), pipeline.Options(semantic=False, stages=("repro",), use_cache=False)
    )
    return result


def test_a_status_change_moves_the_transition_time_and_a_message_change_does_not() -> None:
    first = merge_conditions(
        [], [ConditionUpdate("Ready", "Unknown", "Pending", "wait")], generation=1, now=T0
    )
    assert first == [
        {
            "type": "Ready",
            "status": "Unknown",
            "reason": "Pending",
            "message": "wait",
            "lastTransitionTime": "2026-11-27T12:00:00Z",
            "observedGeneration": 1,
        }
    ]
    same = merge_conditions(
        first, [ConditionUpdate("Ready", "Unknown", "Pending", "still")], generation=2, now=T1
    )
    assert same[0]["lastTransitionTime"] == "2026-11-27T12:00:00Z"
    assert (same[0]["message"], same[0]["observedGeneration"]) == ("still", 2)
    moved = merge_conditions(
        same, [ConditionUpdate("Ready", "True", "Scored")], generation=2, now=T1
    )
    assert moved[0]["lastTransitionTime"] == "2026-11-27T12:05:00Z"


def test_other_condition_types_are_kept_and_ordered() -> None:
    foreign = {
        "type": "example.com/Audited",
        "status": "True",
        "reason": "Ok",
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    merged = merge_conditions(
        [foreign],
        [
            ConditionUpdate("Degraded", "False", "AsExpected"),
            ConditionUpdate("Ready", "True", "Scored"),
        ],
        generation=1,
        now=T0,
    )
    assert [c["type"] for c in merged] == ["Ready", "Degraded", "example.com/Audited"]
    assert merged[2] == foreign


def test_conditions_patch_applies_to_the_freshest_body() -> None:
    body = {
        "status": {
            "score": 3,
            "conditions": [
                {
                    "type": "Scored",
                    "status": "True",
                    "reason": "Scored",
                    "message": "",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
        }
    }
    conditions_patch(
        [ConditionUpdate("Ready", "False", "SourceUnavailable", "a\nb")], generation=3, now=T0
    )(body)
    types = {c["type"]: c for c in body["status"]["conditions"]}
    assert set(types) == {"Ready", "Scored"} and body["status"]["score"] == 3
    assert types["Ready"]["message"] == "a b"  # one line


def test_status_of_a_scored_assessment_fits_the_crd_model(assessment: Assessment) -> None:
    report = ReportRef(config_maps=["hs-x-report-0"], sha256="0" * 64)
    assessment = assessment.model_copy(update={"hyper_score": None, "score_interval": None})
    status = assessment_status(
        assessment, generation=7, revision="abc123", scored_at=T0, report=report
    )
    parsed = MaturityAssessmentStatus.model_validate(status)  # what the API server would keep
    assert parsed.observed_generation == 7
    assert parsed.score == pytest.approx(assessment.score, abs=0.01)
    assert parsed.level == assessment.level
    assert {d.name: d.level for d in parsed.dimensions} == assessment.dimensions
    assert parsed.findings is not None
    counts = parsed.findings.counts.model_dump()
    assert sum(counts.values()) == len(assessment.findings)
    assert [f.rule_id for f in parsed.findings.top] == [f.rule_id for f in assessment.findings[:10]]
    assert status["lastScoredTime"] == "2026-11-27T12:00:00Z"
    assert status["sourceRevision"] == "abc123"
    # fields this run did not produce are cleared explicitly (merge patch semantics)
    assert status["hyperScore"] is None and status["scoreInterval"] is None
    assert "conditions" not in status


def test_fusion_fields_are_mapped_when_present(assessment: Assessment) -> None:
    fused = assessment.model_copy(
        update={
            "score_interval": (41.5, 58.25),
            "hyper_score": 104.2,
            "components": {
                "logic": ComponentResult(
                    name="logic",
                    title="LogicScore",
                    status="used",
                    term=0.8,
                    weight=0.3,
                    nominal_weight=0.3,
                    shapley=0.12,
                ),
                "impact": ComponentResult(
                    name="impact",
                    title="ImpactFore",
                    status="dropped",
                    weight=0.0,
                    nominal_weight=0.2,
                    why="no model",
                ),
            },
            "fusion": FusionSummary(
                v=0.6, baseline_v=0.4, weights_source="ahp-default", confidence="low"
            ),
            "roadmap": [
                RoadmapItem(
                    practice="experiment-tracking",
                    title="Track experiments",
                    dimension="tracking",
                    gain=6.789,
                    effort="low",
                )
            ],
        }
    )
    status = assessment_status(fused, generation=1, revision=None, scored_at=T0, report=None)
    MaturityAssessmentStatus.model_validate(status)
    assert status["scoreInterval"] == {"lower": 41.5, "upper": 58.25, "confidence": 0.9}
    assert status["hyperScore"] == 104.2
    assert status["components"] == [
        {"name": "logic", "score": 80.0, "weight": 0.3, "shapley": 0.12}
    ]
    assert status["roadmap"] == [
        {
            "title": "Track experiments",
            "practice": "experiment-tracking",
            "dimension": "tracking",
            "expectedGain": 6.79,
            "effort": "low",
        }
    ]
    review = {c.type: c for c in scored_conditions(fused, None)}["ReviewRequested"]
    assert (review.status, review.reason) == ("True", "LowConfidence")


def test_scored_conditions_cover_every_type(assessment: Assessment) -> None:
    updates = {c.type: c for c in scored_conditions(assessment, "0123456789abcdef")}
    assert set(updates) == {"Ready", "SourceAvailable", "Scored", "Degraded", "ReviewRequested"}
    assert updates["Ready"].status == "True" and "0123456789ab" in updates["Ready"].message
    assert updates["Degraded"].status == "False"
    assert updates["ReviewRequested"].status == "False"


def test_pending_never_hides_a_verdict_on_the_same_generation() -> None:
    waiting: dict[str, Any] = {"status": {"observedGeneration": 1}}
    pending_patch(2, T0, "spec changed")(waiting)
    ready = waiting["status"]["conditions"][0]
    assert (ready["status"], ready["message"]) == (
        "Unknown",
        "generation 2 awaits scoring (spec changed)",
    )
    judged: dict[str, Any] = {"status": {"observedGeneration": 2, "conditions": []}}
    pending_patch(2, T0)(judged)  # the timer already scored (or failed) generation 2
    assert judged["status"]["conditions"] == []
