"""Meta-self-evaluation: stability of the score under perturbation (docs/scoring.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.fusion.ahp import CR_THRESHOLD, AHPMatrix
from hyperscore.evaluators.fusion.apply import calibrated, load_state
from hyperscore.evaluators.fusion.components import COMPONENTS, fuse
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.meta import (
    EPSILON,
    TAU,
    Replicate,
    jitter_claims,
    meta_stability,
    perturbed_weights,
    stability,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEVELS = dict.fromkeys(
    ("reproducibility", "data", "tracking", "testing", "automation", "deployment"), 2
) | {"monitoring": 1, "governance": 1}
TERMS: dict[str, float | None] = {"logic": 0.7, "novelty": None, "impact": None, "repro": 0.5}


def _reps(coverages: list[float]) -> list[Replicate]:
    rng = np.random.default_rng(1)
    return [Replicate(dict(LEVELS), c, perturbed_weights(rng)) for c in coverages]


def test_sensitive_case_is_less_stable_than_a_stable_one() -> None:
    state = load_state()
    stable = stability(_reps([0.30] * 16), TERMS, state)
    sensitive = stability(_reps([0.05, 0.45] * 8), TERMS, state)
    assert stable.value > 0.9
    assert sensitive.value < stable.value - 0.3


def test_meta_is_the_fixed_point_of_its_formula() -> None:
    state = load_state()
    reps = _reps([0.1, 0.2, 0.3, 0.25] * 4)
    result = stability(reps, TERMS, state)
    scores = [
        calibrated(
            state, fuse({**TERMS, "meta": result.value}, r.weights).value, r.levels, r.coverage
        )
        for r in reps
    ]
    expected = max(0.0, 1.0 - float(np.std(scores, ddof=1)) / TAU)
    assert result.value == pytest.approx(expected, abs=5 * EPSILON)
    assert result.rounds >= 1


def test_perturbed_weights_stay_consistent_and_vary() -> None:
    rng = np.random.default_rng(3)
    draws = [perturbed_weights(rng) for _ in range(20)]
    assert all(abs(sum(w.values()) - 1.0) < 1e-9 for w in draws)
    assert len({round(w["logic"], 6) for w in draws}) > 10
    # the default judgements perturbed within consistency: CR of what we used stays <= 0.1
    ratios = [
        AHPMatrix(COMPONENTS, [[w[a] / w[b] for b in COMPONENTS] for a in COMPONENTS]).evaluate().cr
        for w in draws
    ]
    assert max(ratios) <= CR_THRESHOLD


def test_threshold_jitter_only_drops_weak_claims() -> None:
    claims = {
        "p": [
            Citation(path="README.md", what='prose claims it (0.70): "we track runs"'),
            Citation(path="README.md", what='prose claims it (0.64): "we log"'),
        ]
    }
    kept = jitter_claims(claims, 0.03, lambda _pid: 0.62)
    assert [c.what[17:21] for c in kept["p"]] == ["0.70"]
    assert jitter_claims(claims, 0.0, lambda _pid: 0.62) == claims


def test_meta_on_fixture_is_deterministic_and_reports_details() -> None:
    result = ingest(str(FIXTURES / "mid-level"))
    ctx = DetectionContext(result=result)
    state = load_state()
    a = meta_stability(ctx, {}, state, n=8)
    b = meta_stability(ctx, {}, state, n=8)
    assert a.value == b.value and a.scores == b.scores
    assert 0.0 <= a.value <= 1.0
    assert a.details["replicates"] == 8 and a.details["level_profiles"] >= 1
