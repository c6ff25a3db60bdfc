"""V: the ImpactFore transform, validation, and renormalisation over missing stages."""

from __future__ import annotations

import itertools
import math

import pytest

from hyperscore.evaluators.fusion.components import (
    COMPONENTS,
    component_terms,
    fuse,
    impact_term,
    validate_weights,
)

EQUAL = dict.fromkeys(COMPONENTS, 0.2)


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0, 0.0), (100, 1.0), (9, math.log(10) / math.log(101)), (49.5, 0.849810)],
)
def test_impact_term(x: float, expected: float) -> None:
    assert impact_term(x) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("x", [-0.1, 100.5, math.nan, math.inf])
def test_impact_term_rejects_out_of_range(x: float) -> None:
    with pytest.raises(ValueError, match="ImpactFore"):
        impact_term(x)


def test_impact_term_is_increasing_and_concave() -> None:
    ys = [impact_term(x) for x in range(0, 101, 10)]
    steps = [b - a for a, b in itertools.pairwise(ys)]
    assert all(s > 0 for s in steps)
    assert all(b < a for a, b in itertools.pairwise(steps))


def test_all_present_is_the_weighted_sum() -> None:
    w = {"logic": 0.4, "novelty": 0.1, "impact": 0.2, "repro": 0.2, "meta": 0.1}
    terms = component_terms(logic=1.0, novelty=0.5, impact_fore=100, repro=0.25, meta=0.0)
    f = fuse(terms, w)
    assert f.value == pytest.approx(0.4 + 0.05 + 0.2 + 0.05 + 0.0)
    assert f.dropped == ()
    assert f.weights == pytest.approx(w)
    assert f.describe_dropped() == "All five components contributed to V."


def test_missing_components_drop_out_and_weights_renormalise() -> None:
    w = {"logic": 0.4, "novelty": 0.1, "impact": 0.2, "repro": 0.2, "meta": 0.1}
    terms = component_terms(logic=0.8, novelty=None, impact_fore=None, repro=0.5, meta=1.0)
    f = fuse(terms, w)
    assert f.dropped == ("novelty", "impact")
    assert f.present == ("logic", "repro", "meta")
    assert f.weights == pytest.approx({"logic": 4 / 7, "repro": 2 / 7, "meta": 1 / 7})
    assert sum(f.weights.values()) == pytest.approx(1.0)
    assert f.value == pytest.approx((0.4 * 0.8 + 0.2 * 0.5 + 0.1 * 1.0) / 0.7)
    assert f.nominal_weights == w
    text = f.describe_dropped()
    assert "novelty, impact" in text and "0.300" in text and "logic, repro, meta" in text


def test_v_stays_in_unit_interval_at_extremes() -> None:
    assert fuse(dict.fromkeys(COMPONENTS, 1.0), EQUAL).value == pytest.approx(1.0)
    assert fuse(dict.fromkeys(COMPONENTS, 0.0), EQUAL).value == 0.0


def test_errors() -> None:
    with pytest.raises(ValueError, match="no component ran"):
        fuse(dict.fromkeys(COMPONENTS), EQUAL)
    with pytest.raises(ValueError, match="sum to 1"):
        fuse(dict.fromkeys(COMPONENTS, 0.5), dict.fromkeys(COMPONENTS, 0.3))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        fuse({**dict.fromkeys(COMPONENTS, 0.5), "logic": 1.2}, EQUAL)
    with pytest.raises(ValueError, match="terms must name"):
        fuse(dict.fromkeys(COMPONENTS, 0.5), {"logic": 1.0})
    with pytest.raises(ValueError, match=r"missing \['meta'\], unknown \['x'\]"):
        validate_weights({"logic": 0.5, "x": 0.5}, ("logic", "meta"))
    with pytest.raises(ValueError, match="terms must name"):
        fuse({"logic": 0.5}, EQUAL)
    with pytest.raises(ValueError, match=">= 0"):
        fuse(dict.fromkeys(COMPONENTS, 0.5), {**EQUAL, "logic": -0.2, "meta": 0.6})
    zero_w = {"logic": 0.0, "novelty": 0.25, "impact": 0.25, "repro": 0.25, "meta": 0.25}
    with pytest.raises(ValueError, match="weight 0"):
        fuse({**dict.fromkeys(COMPONENTS), "logic": 0.9}, zero_w)
