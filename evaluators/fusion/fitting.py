"""Fitting the calibration on labelled projects, and its honest leave-one-out check.

Shared by ``make calibrate-fusion`` (the factory calibration, hack/calibrate_fusion.py) and
``hyperscore validate`` so that the figure reported is the figure shipped.

Meta is a term of V and is measured with the calibration (its replicates are calibrated
scores), so fitting is a fixed point too: fit with Meta computed under the previous
calibration, recompute Meta, refit, until the coefficients move less than 0.01 (at most 5
rounds). The expensive part (the perturbed re-detections) is computed once per project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hyperscore.evaluators.assessment import Assessment
from hyperscore.evaluators.fusion.ahp import default_matrix
from hyperscore.evaluators.fusion.apply import FusionState, practice_coverage, stage_terms
from hyperscore.evaluators.fusion.calibration import Calibration, Prediction, features
from hyperscore.evaluators.fusion.components import fuse
from hyperscore.evaluators.meta import Replicate, stability
from hyperscore.evaluators.model import IngestResult

FACTORY_FEATURES: tuple[str, ...] = ("intercept", "V", "coverage")
_ROUNDS = 5
_TOL = 0.01


def factory_prior() -> Calibration:
    """The prior of the factory fit (docs/scoring.md, section 4): score ~ 100 * coverage.

    Mean [0, 0, 100]: a project with every catalogue practice evidenced scores 100 and V's
    effect is unknown beforehand; sigma^2 ~ InvGamma(3, 200) (noise about 10 points); given
    sigma = 10, sds of 10 points (intercept), 25 (V) and 50 (coverage): weakly informative, so
    fourteen labels move it, but one outlying project cannot flip a slope's sign.
    """
    sds = np.array([10.0, 25.0, 50.0])
    noise_var = 100.0
    return Calibration(
        FACTORY_FEATURES,
        np.array([0.0, 0.0, 100.0]),
        np.diag(sds**2 / noise_var),
        3.0,
        200.0,
        0,
        "factory prior",
    )


@dataclass(frozen=True)
class Sample:
    """One labelled project: stage terms (no Meta), profile, replicates and the expert score."""

    name: str
    terms: dict[str, float | None]
    levels: dict[str, int]
    coverage: float
    replicates: tuple[Replicate, ...]
    label: float


def _state(cal: Calibration) -> FusionState:
    ahp = default_matrix().check()
    return FusionState(ahp.as_dict(), "ahp-default", ahp.cr, cal, cal.note)


def sample_row(sample: Sample, cal: Calibration) -> np.ndarray:
    """The feature row of ``sample`` with Meta measured under ``cal``."""
    state = _state(cal)
    meta = (
        stability(list(sample.replicates), sample.terms, state).value if sample.replicates else None
    )
    v = fuse({**sample.terms, "meta": meta}, state.weights).value
    return features(v, sample.levels, cal.feature_names, sample.coverage)


def fit_samples(
    samples: Sequence[Sample], prior: Calibration | None = None, note: str = "fitted"
) -> Calibration:
    """Fixed-point fit (module docstring) of ``prior`` on ``samples``."""
    prior = prior or factory_prior()
    cal = prior
    y = np.array([s.label for s in samples], dtype=np.float64)
    for _ in range(_ROUNDS):
        x = np.array([sample_row(s, cal) for s in samples])
        new = prior.update(x, y, note=note)
        moved = float(np.max(np.abs(new.mean - cal.mean)))
        cal = new
        if moved < _TOL:
            break
    return cal


def leave_one_out(samples: Sequence[Sample], prior: Calibration | None = None) -> list[Prediction]:
    """Prediction of each sample by a calibration fitted on all the others (honest figure)."""
    out = []
    for i, held in enumerate(samples):
        rest = [s for j, s in enumerate(samples) if j != i]
        cal = fit_samples(rest, prior) if rest else (prior or factory_prior())
        out.append(cal.predict(sample_row(held, cal)))
    return out


def sample_from(
    name: str, assessment: Assessment, ingest: IngestResult, label: float, replicates_n: int
) -> Sample:
    """A :class:`Sample` from an assessed project (claims are taken from its practices)."""
    from hyperscore.evaluators.decompose.context import DetectionContext
    from hyperscore.evaluators.meta import replicates

    claims = {p.id: list(p.claims) for p in assessment.practices if p.claims}
    ctx = DetectionContext(result=ingest, claims=claims)
    return Sample(
        name=name,
        terms=stage_terms(assessment.stages).terms,
        levels=dict(assessment.dimensions),
        coverage=practice_coverage(assessment.practices),
        replicates=tuple(replicates(ctx, replicates_n)) if replicates_n > 1 else (),
        label=float(label),
    )
