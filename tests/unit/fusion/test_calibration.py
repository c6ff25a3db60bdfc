"""Bayesian calibration: recovery of known coefficients, coverage, sequential == batch, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hyperscore.evaluators.fusion.calibration import (
    DEFAULT_FEATURES,
    Calibration,
    default_prior,
    features,
    fit,
)

P = len(DEFAULT_FEATURES)
TRUE_BETA = np.array([8.0, 55.0, 6.0, 2.0, 0.0, 4.0, 9.0, -3.0, 1.0, 5.0])
TRUE_SIGMA = 4.0


# A truth the default prior finds plausible (noise about 10 points, coefficients within a few
# prior sds): there the 90% interval must cover about 90% of new labels.
PLAUSIBLE_BETA = np.array([5.0, 70.0, 3.0, 2.0, 0.0, 4.0, 5.0, -3.0, 1.0, 5.0])
PLAUSIBLE_SIGMA = 10.0


def simulate(
    n: int, seed: int, beta: np.ndarray = TRUE_BETA, sigma: float = TRUE_SIGMA
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.0, 1.0, n)
    levels = rng.integers(0, 5, size=(n, P - 2)) / 4.0
    x = np.column_stack([np.ones(n), v, levels])
    return x, x @ beta + rng.normal(0.0, sigma, n)


def test_recovers_known_coefficients_and_noise() -> None:
    x, y = simulate(3000, seed=1)
    post = fit(x, y)
    sd = np.sqrt(np.diag(post.cov) * post.b / (post.a - 1))
    assert np.all(np.abs(post.mean - TRUE_BETA) < 4 * sd)
    assert post.mean == pytest.approx(TRUE_BETA, abs=1.5)
    assert post.noise_sd == pytest.approx(TRUE_SIGMA, rel=0.05)
    assert post.n_obs == 3000
    assert post.coefficients()["V"] == pytest.approx(55.0, abs=1.5)


def test_ninety_percent_interval_covers_about_ninety_percent() -> None:
    """Averaged over six training sets, since coverage given one posterior varies (+-3%)."""
    hits = total = 0
    for rep in range(6):
        post = fit(*simulate(300, 10 + rep, PLAUSIBLE_BETA, PLAUSIBLE_SIGMA))
        x_new, y_new = simulate(400, 100 + rep, PLAUSIBLE_BETA, PLAUSIBLE_SIGMA)
        for row, y in zip(x_new, y_new, strict=True):
            pred = post.predict(row, clip=False)
            assert pred.low < pred.score < pred.high
            hits += pred.low <= y <= pred.high
            total += 1
    assert 0.87 <= hits / total <= 0.93


def test_sequential_updates_equal_the_batch_fit() -> None:
    x, y = simulate(120, seed=4)
    batch = fit(x, y)
    seq = default_prior()
    for lo in range(0, 120, 25):
        seq = seq.update(x[lo : lo + 25], y[lo : lo + 25])
    assert seq.n_obs == batch.n_obs == 120
    assert seq.a == pytest.approx(batch.a)
    assert seq.b == pytest.approx(batch.b, rel=1e-9)
    assert seq.mean == pytest.approx(batch.mean, abs=1e-8)
    assert np.allclose(seq.cov, batch.cov, rtol=1e-8, atol=1e-12)
    one = default_prior()
    for row, target in zip(x, y, strict=True):
        one = one.update(row, target)
    assert one.mean == pytest.approx(batch.mean, abs=1e-8)


def test_default_prior_is_centred_on_100v_and_wide() -> None:
    prior = default_prior()
    levels = dict.fromkeys([n.removeprefix("level:") for n in DEFAULT_FEATURES[2:]], 2)
    for v in (0.2, 0.5, 0.9):
        pred = prior.score(v, levels)
        assert pred.score == pytest.approx(100 * v)
        assert pred.high - pred.low > 40  # weakly informative: about +-30 points or more
    post = fit(*simulate(200, seed=5))
    narrow = post.score(0.5, levels)
    assert narrow.high - narrow.low < 0.5 * (
        prior.score(0.5, levels).high - prior.score(0.5, levels).low
    )


def test_predictions_are_clipped_to_the_expert_scale() -> None:
    pred = default_prior().score(1.0, dict.fromkeys([n[6:] for n in DEFAULT_FEATURES[2:]], 4))
    assert pred.high == 100.0 and 0.0 <= pred.low < pred.score <= 100.0


def test_prediction_beyond_the_scale_keeps_an_interval_inside_it() -> None:
    """A project predicted above 100 scores 100 with the truncated predictive's interval,
    not a collapsed 100-100; far inside the scale truncation changes nothing."""
    x, y = simulate(400, seed=3)
    cal = fit(x, y)
    top = np.array([1.0, 1.0, *([1.8] * (P - 2))])  # a few points above the scale
    assert cal.predict(top, clip=False).score > 100.0
    pred = cal.predict(top)
    assert pred.score == 100.0 and pred.high == 100.0
    assert 80.0 < pred.low < 99.0
    beyond = cal.predict(np.array([1.0, 1.0, *([4.0] * (P - 2))]))  # no mass left inside
    assert beyond.score == beyond.low == beyond.high == 100.0
    mid = np.array([1.0, 0.5, *([0.5] * (P - 2))])
    inside, raw = cal.predict(mid), cal.predict(mid, clip=False)
    assert inside.score == pytest.approx(raw.score)
    assert inside.low == pytest.approx(raw.low, abs=1e-6)
    assert inside.high == pytest.approx(raw.high, abs=1e-6)


def test_json_round_trip_preserves_predictions() -> None:
    post = fit(*simulate(50, seed=6))
    data = json.loads(json.dumps(post.to_json()))
    back = Calibration.from_json(data)
    assert back.feature_names == post.feature_names and back.n_obs == 50
    row = features(0.7, dict.fromkeys([n[6:] for n in DEFAULT_FEATURES[2:]], 3))
    assert back.predict(row) == post.predict(row)
    with pytest.raises(ValueError, match="not a calibration"):
        Calibration.from_json({**data, "format": "other"})


def test_features_and_validation_errors() -> None:
    row = features(0.5, {"a": 2, "b": 4}, names=("intercept", "V", "level:a", "level:b"))
    assert row.tolist() == [1.0, 0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match="no level given"):
        features(0.5, {"a": 2}, names=("level:a", "level:b"))
    with pytest.raises(ValueError, match="0-4"):
        features(0.5, {"a": 5}, names=("level:a",))
    with pytest.raises(ValueError, match="V must be"):
        features(1.5)
    with pytest.raises(ValueError, match="unknown feature"):
        features(0.5, names=("bogus",))
    prior = default_prior()
    with pytest.raises(ValueError, match="x must be n x"):
        prior.update(np.ones((3, P - 1)), np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        prior.update(np.full((1, P), np.nan), [1.0])
    with pytest.raises(ValueError, match="positive definite"):
        Calibration(("V",), np.zeros(1), -np.eye(1), 1.0, 1.0)
    with pytest.raises(ValueError, match="a and b"):
        Calibration(("V",), np.zeros(1), np.eye(1), 0.0, 1.0)
