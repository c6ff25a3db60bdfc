"""The review queue ranks unreviewed assessments by posterior predictive uncertainty."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.feedback.active import rank
from hyperscore.evaluators.feedback.learning import Label, calibrate
from hyperscore.evaluators.feedback.policy import WeightPolicy
from hyperscore.evaluators.feedback.record import AssessmentRecord, record_from_report
from hyperscore.evaluators.fusion import default_prior, default_weights

from .conftest import Variant

TYPICAL = {"data": 2, "testing": 2, "monitoring": 1}


def _record(variant: Variant, name: str, levels: dict[str, int], terms: float) -> AssessmentRecord:
    report = variant(name, levels=levels)
    for component in report["components"].values():
        if component["status"] == "used":
            component["term"] = terms
    return record_from_report(report)


def test_unusual_assessments_rank_first(variant: Variant) -> None:
    reviewed = [_record(variant, f"seen-{i}", TYPICAL, 0.5 + 0.02 * i) for i in range(8)]
    cal = calibrate(
        [Label(r, 55.0 + i) for i, r in enumerate(reviewed)], default_weights(), default_prior()
    )
    typical = _record(variant, "typical", TYPICAL, 0.55)
    odd = _record(variant, "odd", {"data": 4, "testing": 0, "monitoring": 4}, 0.55)
    odder = _record(
        variant,
        "odder",
        {"data": 4, "testing": 0, "monitoring": 4, "governance": 0, "deployment": 4},
        0.55,
    )
    queue = rank([typical, odd, odder], cal)
    assert [i.record.source for i in queue] == ["odder", "odd", "typical"]
    widths = [i.uncertainty for i in queue]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] + 1.0
    assert all(i.policy_width == 0.0 for i in queue)  # no learned policy yet
    for item in queue:
        assert item.low <= item.predicted <= item.high


def test_weight_uncertainty_adds_to_the_ranking(variant: Variant) -> None:
    cal = default_prior()
    policy = WeightPolicy.from_weights(default_weights(), sigma=0.5)
    # Equal terms: V is the same under any weights, so the policy cannot disagree about it.
    flat = _record(variant, "flat", TYPICAL, 0.5)
    spread = variant("spread", levels=TYPICAL)
    for component in spread["components"].values():
        if component["status"] == "used":
            component["term"] = 0.5
    spread["components"]["logic"]["term"] = 0.95
    spread["components"]["repro"]["term"] = 0.05
    uneven = record_from_report(spread)
    queue = rank([flat, uneven], cal, policy)
    by_source = {i.record.source: i for i in queue}
    assert by_source["flat"].policy_width == pytest.approx(0.0, abs=1e-9)
    assert by_source["spread"].policy_width > 1.0
    assert queue[0].record.source == "spread"
    assert rank([flat, uneven], cal, policy) == queue  # deterministic
