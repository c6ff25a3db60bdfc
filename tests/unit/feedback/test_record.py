from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hyperscore.evaluators.feedback.record import (
    DIMENSIONS,
    FeedbackInputError,
    Review,
    assessment_id,
    parse_dimension_levels,
    parse_report,
    record_from_report,
)
from hyperscore.evaluators.fusion import default_weights, features, fuse
from hyperscore.evaluators.fusion.apply import practice_coverage


def test_record_keeps_what_learning_needs(mid_report: dict[str, Any]) -> None:
    record = record_from_report(mid_report)
    assert record.id.startswith("a-") and len(record.id) == 14
    assert record.source.endswith("mid-level")
    assert record.levels == {d: mid_report["dimensions"][d] for d in DIMENSIONS}
    assert record.score == mid_report["score"]
    components = mid_report["components"]
    assert record.terms == {c: components[c]["term"] for c in components}
    assert record.v == mid_report["fusion"]["v"]
    assert record.interval == tuple(mid_report["scoreInterval"])


def test_report_from_before_fusion_uses_the_stage_scores(mid_report: dict[str, Any]) -> None:
    mid_report["components"], mid_report["fusion"] = {}, None
    record = record_from_report(mid_report)
    assert record.terms["logic"] == mid_report["stages"]["logic"]["score"]
    assert record.terms["repro"] == mid_report["stages"]["repro"]["score"]
    assert record.terms["novelty"] is None and record.terms["meta"] is None
    assert record.v == pytest.approx(fuse(record.terms, default_weights()).value)
    assert 0.0 < record.coverage < 1.0
    assert record.coverage == pytest.approx(practice_coverage(parse_report(mid_report).practices))
    names = tuple(record.features)
    assert names[:3] == ("intercept", "V", "coverage")
    np.testing.assert_allclose(
        list(record.features.values()),
        features(record.v, record.levels, names, record.coverage),
    )
    assert "evidence" not in record.report and "graph" not in record.report
    assert "dimension_details" in record.report


def test_components_and_fusion_win_over_stage_scores(mid_report: dict[str, Any]) -> None:
    used = {"status": "used", "weight": 0.5, "nominal_weight": 0.313, "title": "x"}
    mid_report["components"] = {
        "logic": {"name": "logic", "term": 0.2, **used},
        "meta": {"name": "meta", "term": 0.6, **used},
    }
    mid_report["fusion"] = {"v": 0.4, "baseline_v": 0.5, "weights_source": "ahp-default"}
    record = record_from_report(mid_report)
    assert record.terms == {
        "logic": 0.2,
        "novelty": None,
        "impact": None,
        "repro": None,
        "meta": 0.6,
    }
    assert record.v == 0.4


def test_id_ignores_timings_but_not_content(mid_report: dict[str, Any]) -> None:
    first = assessment_id(mid_report)
    mid_report["stages"]["logic"]["timings"] = {"total": 123.0}
    assert assessment_id(mid_report) == first
    mid_report["dimensions"]["data"] = 4
    assert assessment_id(mid_report) != first


@pytest.mark.parametrize("data", [[1, 2], {"score": 50}, {}])
def test_not_a_report_is_refused_by_name(data: object) -> None:
    with pytest.raises(FeedbackInputError, match=r"^weird\.json: not a HyperScore JSON report"):
        record_from_report(data, "weird.json")  # type: ignore[arg-type]


def test_dimension_levels_parse() -> None:
    assert parse_dimension_levels(["testing=3", " Data = 0"]) == {"testing": 3, "data": 0}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("speed=3", "unknown dimension"),
        ("testing=5", "level must be 0-4"),
        ("testing=-1", "level must be 0-4"),
        ("testing", "expected NAME=LEVEL"),
        ("testing=high", "must be an integer"),
    ],
)
def test_bad_dimension_levels_name_the_item(item: str, message: str) -> None:
    with pytest.raises(FeedbackInputError, match=message) as err:
        parse_dimension_levels([item])
    assert item in str(err.value)


def test_duplicate_dimension_is_refused() -> None:
    with pytest.raises(FeedbackInputError, match="given twice"):
        parse_dimension_levels(["data=1", "data=2"])


@pytest.mark.parametrize("score", [-0.1, 100.5, float("nan")])
def test_review_score_must_be_on_the_scale(score: float) -> None:
    with pytest.raises(FeedbackInputError, match="--score"):
        Review("a-1", "alice", score, {})


def test_review_needs_a_judgement_and_a_reviewer() -> None:
    with pytest.raises(FeedbackInputError, match="needs --score"):
        Review("a-1", "alice", None, {})
    with pytest.raises(FeedbackInputError, match="reviewer"):
        Review("a-1", " ", 50.0, {})
    assert Review("a-1", "alice", None, {"data": 2}).levels == {"data": 2}
