"""Reviews -> calibration.json and weights.json, on real reports of the mid-level fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hyperscore.evaluators.feedback.learning import (
    MIN_REVIEWS,
    Label,
    feature_row,
    initial_calibration,
    load_calibration,
    load_policy,
    relearn,
    save,
)
from hyperscore.evaluators.feedback.policy import ReinforceSettings
from hyperscore.evaluators.feedback.record import AssessmentRecord, record_from_report
from hyperscore.evaluators.fusion import Calibration, default_prior, default_weights
from hyperscore.evaluators.fusion.components import COMPONENTS

from .conftest import Variant

FAST = ReinforceSettings(steps=300)


def _records(variant: Variant, n: int, seed: int = 0) -> list[AssessmentRecord]:
    """n real reports made into distinct projects: other levels and stage terms."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        report = variant(
            f"project-{i}",
            levels={"data": int(rng.integers(0, 5)), "testing": int(rng.integers(0, 5))},
        )
        for name in ("logic", "repro", "meta"):
            report["components"][name]["term"] = float(rng.uniform(0.05, 0.95))
        report["fusion"]["v"] = float(rng.uniform(0.2, 0.9))
        out.append(record_from_report(report))
    return out


@pytest.mark.parametrize("which", ["factory", "default-prior"])
def test_recalibration_moves_the_prediction_towards_the_experts(
    variant: Variant, which: str
) -> None:
    records = _records(variant, 4)
    prior = initial_calibration() if which == "factory" else default_prior()
    # The weakly informative prior follows 4 labels far; a factory fit on a development set less.
    margin = 5.0 if which == "default-prior" else 1.0
    w = default_weights()
    before = [prior.predict(feature_row(r, w, prior)) for r in records]
    experts = [b.score + 25.0 for b in before]  # every expert rates 25 points higher
    outcome = relearn([Label(r, y) for r, y in zip(records, experts, strict=True)], prior)
    assert outcome.weights_source == "ahp-default"  # fewer than MIN_REVIEWS: weights stay
    assert outcome.weights == w
    cal = outcome.calibration
    assert cal is not None and cal.n_obs == prior.n_obs + 4
    for r, y, b in zip(records, experts, before, strict=True):
        after = cal.predict(feature_row(r, w, cal))
        assert abs(after.score - y) < abs(b.score - y) - margin
    # Experts who confirm the predictions make the model surer: the intervals narrow.
    agreeing = relearn([Label(r, b.score) for r, b in zip(records, before, strict=True)], prior)
    assert agreeing.calibration is not None
    for r, b in zip(records, before, strict=True):
        after = agreeing.calibration.predict(feature_row(r, w, agreeing.calibration), clip=False)
        unclipped = prior.predict(feature_row(r, w, prior), clip=False)
        assert after.score == pytest.approx(b.score, abs=1.0)
        assert after.high - after.low < unclipped.high - unclipped.low


def test_no_scored_review_means_no_state(tmp_path: Path) -> None:
    outcome = relearn([])
    assert outcome.calibration is None and outcome.weights_source == "ahp-default"
    assert save(outcome, tmp_path) == []
    assert load_calibration(tmp_path) is None and load_policy(tmp_path) is None


def test_weights_are_learned_from_enough_reviews(tmp_path: Path, variant: Variant) -> None:
    records = _records(variant, 12, seed=1)
    # Experts who care only about logic: their score is 100 * logic term.
    items = [Label(r, 100.0 * float(r.terms["logic"] or 0.0)) for r in records]
    assert len(items) >= MIN_REVIEWS
    outcome = relearn(items, settings=FAST)
    assert outcome.weights_source == "learned" and outcome.policy is not None
    assert outcome.error_after is not None and outcome.error_before is not None
    assert outcome.error_after < outcome.error_before
    assert outcome.weights["logic"] > default_weights()["logic"] + 0.1
    written = save(outcome, tmp_path)
    assert sorted(p.name for p in written) == ["calibration.json", "weights.json"]
    data = json.loads((tmp_path / "weights.json").read_text())
    assert data["source"] == "learned" and data["reviews"] == 12
    assert set(data["weights"]) == set(COMPONENTS)
    assert sum(data["weights"].values()) == pytest.approx(1.0)
    assert load_policy(tmp_path) == outcome.policy
    cal = Calibration.from_json(json.loads((tmp_path / "calibration.json").read_text()))
    assert cal.n_obs == initial_calibration().n_obs + 12
    assert not list(tmp_path.glob(".*.json.*"))  # no temporary file left behind


def test_result_does_not_depend_on_review_order(variant: Variant) -> None:
    records = _records(variant, 6, seed=2)
    items = [Label(r, 30.0 + 8.0 * i) for i, r in enumerate(records)]
    forward = relearn(items, settings=FAST)
    backward = relearn(items[::-1], settings=FAST)
    assert forward.weights == pytest.approx(backward.weights, abs=1e-9)
    assert forward.calibration is not None and backward.calibration is not None
    np.testing.assert_allclose(forward.calibration.mean, backward.calibration.mean)


def test_reports_before_fusion_count_for_calibration_not_weights(
    mid_report: dict[str, Any],
) -> None:
    mid_report["components"], mid_report["fusion"] = {}, None
    for stage in mid_report["stages"].values():
        stage["status"], stage["score"] = "skipped", None
    record = record_from_report(mid_report)
    assert all(t is None for t in record.terms.values())
    outcome = relearn([Label(record, 60.0)] * MIN_REVIEWS, settings=FAST)
    assert outcome.weights_source == "ahp-default"
    assert outcome.calibration is not None and outcome.calibration.n_obs >= MIN_REVIEWS
