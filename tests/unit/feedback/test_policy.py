"""REINFORCE over the fusion weights, on synthetic reviews generated from known weights."""

from __future__ import annotations

import numpy as np
import pytest

from hyperscore.evaluators.feedback.policy import (
    ReinforceSettings,
    Scoring,
    WeightPolicy,
    reinforce,
)
from hyperscore.evaluators.fusion import default_prior, default_weights, features, fuse
from hyperscore.evaluators.fusion.components import COMPONENTS

TRUE = dict(zip(COMPONENTS, (0.10, 0.35, 0.05, 0.20, 0.30), strict=True))


def _l1(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(abs(a[c] - b[c]) for c in COMPONENTS)


def _synthetic(n: int, seed: int, drop: str | None = None) -> tuple[Scoring, np.ndarray]:
    """n assessments with random terms and levels; expert = calibrated score under TRUE + noise."""
    rng = np.random.default_rng(seed)
    cal = default_prior()
    terms = [
        {c: (None if c == drop else float(rng.uniform())) for c in COMPONENTS} for _ in range(n)
    ]
    levels = [
        features(
            0.0, {d.removeprefix("level:"): int(rng.integers(0, 5)) for d in cal.feature_names[2:]}
        )
        for _ in range(n)
    ]
    scoring = Scoring.build(terms, levels, cal)
    truth = np.array([TRUE[c] for c in COMPONENTS])
    expert = scoring.scores(truth)[0] + rng.normal(0.0, 2.0, n)
    return scoring, np.clip(expert, 0.0, 100.0)


def test_vectorised_fusion_matches_fuse() -> None:
    rng = np.random.default_rng(1)
    terms = [
        {c: (None if rng.uniform() < 0.3 else float(rng.uniform())) for c in COMPONENTS}
        for _ in range(40)
    ]
    terms = [t if any(v is not None for v in t.values()) else {**t, "logic": 0.5} for t in terms]
    scoring = Scoring.build(
        terms, [features(0.0, None, ("intercept", "V"))] * 40, default_prior(("intercept", "V"))
    )
    for w in (default_weights(), TRUE):
        got = scoring.fused(np.array([w[c] for c in COMPONENTS]))[0]
        np.testing.assert_allclose(got, [fuse(t, w).value for t in terms], atol=1e-12)


def test_reinforce_recovers_the_generating_weights() -> None:
    scoring, expert = _synthetic(60, seed=7)
    start = WeightPolicy.from_weights(default_weights())
    before = _l1(start.weights(), TRUE)
    training = reinforce(start, scoring, expert, ReinforceSettings(seed=3))
    learned = training.policy.weights()
    after = _l1(learned, TRUE)
    assert before > 0.8  # the AHP default is far from the generating weights
    assert after < 0.05 and after < before / 10
    assert sum(learned.values()) == pytest.approx(1.0)
    # The reward it optimised: mean |error| falls from ~11 points to the noise level (sd 2).
    assert training.mean_abs_error[0] > 8.0
    assert training.mean_abs_error[-1] < 2.0


def test_is_deterministic_for_a_seed() -> None:
    scoring, expert = _synthetic(20, seed=11)
    start = WeightPolicy.from_weights(default_weights())
    settings = ReinforceSettings(steps=200, seed=5)
    assert reinforce(start, scoring, expert, settings) == reinforce(
        start, scoring, expert, settings
    )


def test_a_component_that_never_ran_keeps_its_prior_share() -> None:
    """The reviews say nothing about novelty's weight: it must not drift far from the AHP."""
    scoring, expert = _synthetic(60, seed=7, drop="novelty")
    prior = default_weights()
    learned = reinforce(WeightPolicy.from_weights(prior), scoring, expert).policy.weights()
    assert learned["novelty"] == pytest.approx(prior["novelty"], abs=0.05)
    # ... while the identified ones still move to the generating ratios.
    present = [c for c in COMPONENTS if c != "novelty"]
    mass = sum(learned[c] for c in present)
    true_mass = sum(TRUE[c] for c in present)
    assert (
        _l1(
            {**{c: learned[c] / mass for c in present}, "novelty": 0.0},
            {**{c: TRUE[c] / true_mass for c in present}, "novelty": 0.0},
        )
        < 0.08
    )


def test_the_prior_holds_back_few_uninformative_reviews() -> None:
    """Six expert scores unrelated to the terms: the AHP prior keeps the weights nearer."""
    scoring, _ = _synthetic(6, seed=4)
    noise = np.random.default_rng(1).uniform(20.0, 80.0, 6)
    start = WeightPolicy.from_weights(default_weights())
    drift = {
        kappa: _l1(
            reinforce(
                start, scoring, noise, ReinforceSettings(prior_strength=kappa)
            ).policy.weights(),
            default_weights(),
        )
        for kappa in (0.0, 4.0)
    }
    assert drift[4.0] < 0.8 * drift[0.0]


def test_policy_json_round_trip_and_validation() -> None:
    policy = WeightPolicy.from_weights(TRUE, sigma=0.2)
    assert WeightPolicy.from_json(policy.to_json()) == policy
    assert _l1(policy.weights(), TRUE) < 1e-9
    with pytest.raises(ValueError, match="weight policy"):
        WeightPolicy.from_json({**policy.to_json(), "format": "other"})
    with pytest.raises(ValueError, match="sigma"):
        WeightPolicy.from_json({**policy.to_json(), "sigma": 0})
    with pytest.raises(ValueError, match="weights must sum to 1"):
        WeightPolicy.from_weights(dict.fromkeys(COMPONENTS, 0.5))


def test_needs_one_expert_score_per_row() -> None:
    scoring, expert = _synthetic(5, seed=1)
    with pytest.raises(ValueError, match="one expert score"):
        reinforce(WeightPolicy.from_weights(TRUE), scoring, expert[:3])
