"""HyperScore against hand-computed values; V = 0; monotonicity; the 100-111.1 range."""

from __future__ import annotations

import itertools
import math

import pytest

from hyperscore.evaluators.fusion.hyperscore import (
    HyperScoreParams,
    hyperscore,
    hyperscore_range,
    logistic,
)


@pytest.mark.parametrize(
    ("v", "expected"),
    [
        (1.0, 100 * (1 + 1 / 9)),  # sigma(-ln 2) = 1/3
        (0.5, 100 * (1 + 1 / 65**2)),  # sigma(-6 ln 2) = 1/65
        (0.0, 100.0),  # the limit sigma(-inf) = 0
        # 0.9^5 = 0.59049: sigma = 0.59049 / 2.59049 = 0.2279453; squared 0.0519591
        (0.9, 105.195906),
    ],
)
def test_hand_computed_values(v: float, expected: float) -> None:
    assert hyperscore(v) == pytest.approx(expected, abs=1e-6)


def test_closed_form_for_defaults() -> None:
    for v in (0.01, 0.2, 0.37, 0.8, 0.99):
        assert hyperscore(v) == pytest.approx(100 * (1 + (v**5 / (v**5 + 2)) ** 2), rel=1e-12)


def test_range_and_monotonicity() -> None:
    lo, hi = hyperscore_range()
    assert lo == 100.0
    assert hi == pytest.approx(111.111111, abs=1e-6)
    values = [hyperscore(k / 200) for k in range(201)]
    assert all(100.0 <= h <= hi for h in values)
    assert all(b >= a for a, b in itertools.pairwise(values))
    # Strictly increasing wherever float64 can resolve it (below ~0.03, V^10 < 1e-16).
    assert all(b > a for a, b in itertools.pairwise(values[20:]))
    assert hyperscore(1e-300) == pytest.approx(100.0)


def test_custom_parameters() -> None:
    p = HyperScoreParams(beta=1.0, gamma=0.0, kappa=1.0)
    assert hyperscore(1.0, p) == pytest.approx(150.0)  # sigma(0) = 1/2
    assert hyperscore(0.5, p) == pytest.approx(100 * (1 + 1 / 3))  # sigma(-ln 2)
    assert hyperscore_range(p)[1] == pytest.approx(150.0)


@pytest.mark.parametrize("v", [-0.01, 1.0001, math.nan, math.inf])
def test_rejects_v_outside_unit_interval(v: float) -> None:
    with pytest.raises(ValueError, match="V must be"):
        hyperscore(v)


@pytest.mark.parametrize(
    "kwargs", [{"beta": 0.0}, {"beta": -5.0}, {"kappa": 0.0}, {"gamma": math.inf}]
)
def test_rejects_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="HyperScore"):
        HyperScoreParams(**kwargs)


def test_logistic_is_stable() -> None:
    assert logistic(0.0) == 0.5
    assert logistic(-1000.0) == 0.0
    assert logistic(1000.0) == 1.0
    assert logistic(-math.log(2)) == pytest.approx(1 / 3)
