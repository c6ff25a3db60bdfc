"""MaturityReview: spec validation, debate reply -> status, feedback counts, the report read back
from its chunk ConfigMaps, and learning from reviews as the policy's review store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators import pipeline
from hyperscore.evaluators.feedback.debate import debate
from hyperscore.evaluators.feedback.learning import Label, relearn
from hyperscore.evaluators.feedback.record import Review, record_from_report
from hyperscore.operator.api.models import MaturityReviewStatus
from hyperscore.operator.controller import resources
from hyperscore.operator.controller.reviews import (
    InvalidReview,
    NotReady,
    feedback_counts,
    parse_spec,
    read_report,
    review_status,
    to_review,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "mid-level"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    assessment, _ = pipeline.assess(str(FIXTURE), pipeline.Options(semantic=False))
    # What the controller writes to the report ConfigMaps.
    return json.loads(assessment.model_dump_json(by_alias=True))  # type: ignore[no-any-return]


def _spec(**extra: Any) -> dict[str, Any]:
    return {"assessmentRef": {"name": "a"}, "reviewer": "jane", **extra}


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec(dimensions={"vibes": 3}), "spec.dimensions: unknown dimension vibes (one of"),
        (_spec(), "a review needs spec.score and/or at least one spec.dimensions entry"),
        (_spec(score=140), "spec.score: Input should be less than or equal to 100"),
        ({"reviewer": "jane", "score": 50}, "spec.assessmentRef: Field required"),
    ],
)
def test_bad_reviews_are_one_line_messages(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidReview) as err:
        parse_spec(spec)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- debate -> status


def test_the_reply_and_one_point_per_rated_dimension(report: dict[str, Any]) -> None:
    record = record_from_report(report)
    system = record.levels
    higher = next(d for d, level in system.items() if level < 4)
    lower = next(d for d, level in system.items() if level > 0 and d != higher)
    same = next(d for d in system if d not in (higher, lower))
    spec = parse_spec(
        _spec(
            score=0,
            dimensions={higher: 4, lower: system[lower] - 1, same: system[same]},
            comment="c",
        )
    )
    review = to_review(spec, record.id, "2026-11-27T12:00:00Z")
    reply = debate(record.report, review)
    data = review_status(reply, generation=2, incorporated=True)
    MaturityReviewStatus.model_validate(data)  # what the CRD accepts
    assert data["observedGeneration"] == 2 and data["incorporated"] is True
    points = {p["dimension"]: p for p in data["points"]}
    assert set(points) == {higher, lower, same}  # the overall point goes into the reply
    assert points[same]["verdict"] == "agree"
    assert points[lower]["verdict"] == "maintain"
    assert (points[lower]["expert"], points[lower]["system"]) == (system[lower] - 1, system[lower])
    assert points[higher]["verdict"] in ("maintain", "concede")
    assert points[higher]["expert"] == 4 and points[higher]["argument"]
    assert data["reply"].startswith("overall: maintain")  # 0 is far outside the interval
    assert f"{lower}: maintain" in data["reply"] and "evidence:" in data["reply"]


def test_an_agreeing_review_still_gets_an_answer(report: dict[str, Any]) -> None:
    record = record_from_report(report)
    review = Review(record.id, "jane", round(record.score), {})
    data = review_status(debate(record.report, review), generation=1, incorporated=False)
    assert data["points"] == [] and data["incorporated"] is False
    assert data["reply"].startswith("overall: agree -- ")


def test_feedback_counts_reviews_and_verdicts_per_point(report: dict[str, Any]) -> None:
    record = record_from_report(report)
    dim, level = next(iter(record.levels.items()))
    replies = [
        debate(record.report, Review(record.id, "a", round(record.score), {dim: level})),
        debate(record.report, Review(record.id, "b", 0.0, {})),
    ]
    counts = feedback_counts(replies)
    assert (counts.reviews, counts.agreed, counts.maintained, counts.conceded) == (2, 2, 1, 0)


# --------------------------------------------------------------------------- the report back


def test_the_report_is_read_back_from_the_chunks_the_controller_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = json.dumps({"note": "é" * 50, "n": list(range(40))}, ensure_ascii=False)
    monkeypatch.setattr(resources, "CONFIG_MAP_CHUNK_BYTES", 7)  # splits the two-byte é
    maps, ref = resources.report_config_maps(text, namespace="ns", uid="u" * 36, owner={})
    assert len(maps) > 10 and any("binaryData" in m for m in maps)
    stored = ref.model_dump(by_alias=True)
    assert read_report(maps, stored) == json.loads(text)
    with pytest.raises(NotReady) as missing:
        read_report([maps[0], None], stored)
    assert missing.value.reason == "NotScored"
    with pytest.raises(NotReady, match="being replaced"):
        read_report(maps[:-1], stored)


# --------------------------------------------------------------------------- learning


def test_five_scored_reviews_learn_weights_from_the_policy_prior(report: dict[str, Any]) -> None:
    record = record_from_report(report)
    start = {"logic": 0.6, "novelty": 0.1, "impact": 0.1, "repro": 0.1, "meta": 0.1}
    labels = [Label(record, 40.0 + i) for i in range(4)]
    early = relearn(labels, start=start)
    assert early.weights_source == "ahp-default" and early.weights == start
    assert early.calibration is not None and early.reviews == 4
    late = relearn([*labels, Label(record, 44.0)], start=start)
    assert late.weights_source == "learned" and late.policy is not None
    assert sum(late.weights.values()) == pytest.approx(1.0)
    assert late.weights != start
