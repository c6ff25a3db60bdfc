"""Shapley attribution: the axioms, brute force over permutations, missing components."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest

from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.components import COMPONENTS, component_terms, fuse
from hyperscore.evaluators.fusion.shapley import (
    DEFAULT_BASELINE,
    attribute,
    baseline_vector,
    linear_value_function,
    shapley,
)

SetFn = Callable[[frozenset[str]], float]


def brute_force(players: tuple[str, ...], v: SetFn) -> dict[str, float]:
    """Average marginal contribution over all n! orders of arrival."""
    totals = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        seen: frozenset[str] = frozenset()
        for p in order:
            totals[p] += v(seen | {p}) - v(seen)
            seen = seen | {p}
    return {p: t / len(orders) for p, t in totals.items()}


def nonlinear(c: frozenset[str]) -> float:
    """A game with interactions: a and b are complements, c is capped, d is a null player."""
    value = 0.3 * ("a" in c and "b" in c) + min(0.2, 0.15 * len(c & {"c", "e"}))
    return value + 0.1 * ("e" in c) * ("a" in c)


TERMS = component_terms(logic=0.9, novelty=0.2, impact_fore=40, repro=0.75, meta=0.5)


def test_linear_fusion_matches_closed_form_and_efficiency() -> None:
    f = fuse(TERMS, default_weights())
    att = attribute(f)
    for name in COMPONENTS:
        expected = f.weights[name] * (f.terms[name] - DEFAULT_BASELINE)
        assert att.contributions[name] == pytest.approx(expected, abs=1e-12)
    assert att.baseline_value == pytest.approx(DEFAULT_BASELINE)
    assert sum(att.contributions.values()) == pytest.approx(f.value - att.baseline_value)


def test_matches_brute_force_on_linear_and_nonlinear_games() -> None:
    f = fuse(TERMS, default_weights())
    v = linear_value_function(f.terms, f.weights, baseline_vector(f.present))
    assert shapley(f.present, v) == pytest.approx(brute_force(f.present, v), abs=1e-12)
    players = ("a", "b", "c", "d", "e")
    exact = shapley(players, nonlinear)
    assert exact == pytest.approx(brute_force(players, nonlinear), abs=1e-12)
    grand, empty = nonlinear(frozenset(players)), nonlinear(frozenset())
    assert sum(exact.values()) == pytest.approx(grand - empty)


def test_symmetry_and_null_player() -> None:
    exact = shapley(("a", "b", "c", "d", "e"), nonlinear)
    assert exact["d"] == pytest.approx(0.0, abs=1e-15)
    sym = shapley(("x", "y", "z"), lambda c: float(len(c & {"x", "y"}) == 2))
    assert sym["x"] == pytest.approx(sym["y"]) == pytest.approx(0.5)
    assert sym["z"] == 0.0


def test_component_at_baseline_gets_nothing_and_signs_follow_the_term() -> None:
    terms = component_terms(logic=1.0, novelty=0.5, impact_fore=0, repro=0.5, meta=0.5)
    att = attribute(fuse(terms, default_weights()))
    assert att.contributions["novelty"] == 0.0
    assert att.contributions["logic"] > 0.0 > att.contributions["impact"]


def test_missing_components_are_not_players() -> None:
    terms = {**TERMS, "novelty": None, "meta": None}
    f = fuse(terms, default_weights())
    att = attribute(f, baseline=0.25)
    assert tuple(att.contributions) == ("logic", "impact", "repro")
    assert att.dropped == ("novelty", "meta")
    assert att.baseline_value == pytest.approx(0.25)
    assert sum(att.contributions.values()) == pytest.approx(f.value - 0.25)
    assert att.contributions == pytest.approx(
        brute_force(
            f.present, linear_value_function(f.terms, f.weights, baseline_vector(f.present, 0.25))
        )
    )


def test_per_component_baseline_and_waterfall_and_table() -> None:
    f = fuse(TERMS, default_weights())
    base = {"logic": 0.6, "novelty": 0.1, "impact": 0.3, "repro": 0.7, "meta": 0.5}
    att = attribute(f, baseline=base)
    assert att.baseline_value == pytest.approx(sum(f.weights[n] * base[n] for n in COMPONENTS))
    steps = att.waterfall()
    assert [s[0] for s in steps] == list(COMPONENTS)
    assert steps[0][1] == pytest.approx(att.baseline_value)
    assert steps[-1][2] == pytest.approx(f.value)
    assert all(math.isclose(a[2], b[1]) for a, b in itertools.pairwise(steps))
    table = att.markdown_table()
    assert table.count("\n") == len(COMPONENTS) + 3
    assert f"**{f.value:.4f}**" in table and "Novelty | 0.200 | 0.10 |" in table


def test_table_lists_dropped_components() -> None:
    att = attribute(fuse({**TERMS, "repro": None}, default_weights()))
    assert "Reproducibility delta | did not run" in att.markdown_table()


def test_errors() -> None:
    with pytest.raises(ValueError, match="distinct"):
        shapley(("a", "a"), lambda c: 0.0)
    with pytest.raises(ValueError, match="max 20"):
        shapley(tuple(str(i) for i in range(21)), lambda c: 0.0)
    with pytest.raises(ValueError, match="no value for"):
        baseline_vector(("a", "b"), {"a": 0.5})
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        baseline_vector(("a",), 1.5)
    assert shapley((), lambda c: 1.0) == {}
