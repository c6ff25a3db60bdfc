"""From stored reviews to the state fusion reads: the calibration and the learned weights.

Every scored review is a label (the assessment's features, the expert's 0-100 score). After
each review the whole state is recomputed from all labels, starting from the same prior, so the
result is a pure function of the set of reviews: the order reviews arrive in, or two CLI calls
racing, cannot change it. Both updates are cheap (milliseconds for the calibration, well under
a second for the weights), so there is nothing to gain from carrying state between reviews.

1. Weights (:mod:`.policy`): from :data:`MIN_REVIEWS` scored reviews on, REINFORCE moves the
   AHP default weights to reduce ``|calibrated score - expert|``. Fewer reviews cannot pin four
   degrees of freedom down, so until then the AHP weights stay and no ``weights.json`` is
   written. The reward scores with the calibration of the previous round and the calibration
   is then refitted under the new weights (``ROUNDS`` alternations): weights and calibration
   are fitted to each other, as fusion will use them together.
2. Calibration (:mod:`fusion.calibration`): the prior (factory or default) updated with the
   features of all reviewed assessments -- V re-fused under the weights being written -- and
   the expert scores. Exact conjugate update, written as ``calibration.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hyperscore.evaluators.feedback.files import write_json_atomically
from hyperscore.evaluators.feedback.policy import (
    DEFAULT_SETTINGS,
    FloatArray,
    ReinforceSettings,
    Scoring,
    WeightPolicy,
    reinforce,
)
from hyperscore.evaluators.feedback.record import AssessmentRecord, now_utc
from hyperscore.evaluators.feedback.store import ReviewStore
from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.apply import factory_calibration
from hyperscore.evaluators.fusion.calibration import Calibration, default_prior, features
from hyperscore.evaluators.fusion.components import fuse
from hyperscore.evaluators.fusion.state import CALIBRATION_FILE, WEIGHTS_FILE

MIN_REVIEWS = 5
ROUNDS = 2


@dataclass(frozen=True)
class Label:
    record: AssessmentRecord
    expert: float


@dataclass(frozen=True)
class Outcome:
    reviews: int
    calibration: Calibration | None
    weights: dict[str, float]
    weights_source: Literal["ahp-default", "learned"]
    policy: WeightPolicy | None = None
    error_before: float | None = None  # mean |score - expert| under the AHP weights
    error_after: float | None = None


def labels(store: ReviewStore) -> list[Label]:
    """Every review with an overall score, joined with its assessment."""
    records = {r.id: r for r in store.assessments()}
    return [
        Label(records[s.review.assessment_id], float(s.review.score))
        for s in store.reviews()
        if s.review.score is not None and s.review.assessment_id in records
    ]


def fused_v(record: AssessmentRecord, weights: Mapping[str, float]) -> float:
    """V of a stored assessment under ``weights``; its recorded V when no component ran."""
    if any(t is not None for t in record.terms.values()):
        return fuse(record.terms, weights).value
    return record.v


def feature_row(
    record: AssessmentRecord, weights: Mapping[str, float], calibration: Calibration
) -> FloatArray:
    return features(
        fused_v(record, weights), record.levels, calibration.feature_names, record.coverage
    )


def initial_calibration() -> Calibration:
    """What reviews refine: the shipped factory calibration, else the documented prior --
    the same one fusion uses when there is no user calibration."""
    return factory_calibration() or default_prior()


def calibrate(
    items: Sequence[Label], weights: Mapping[str, float], prior: Calibration
) -> Calibration:
    x = np.array([feature_row(i.record, weights, prior) for i in items])
    y = np.array([i.expert for i in items])
    return prior.update(x, y, note=f"refitted on {len(items)} review(s)")


def relearn(
    items: Sequence[Label],
    prior: Calibration | None = None,
    min_reviews: int = MIN_REVIEWS,
    settings: ReinforceSettings = DEFAULT_SETTINGS,
    start: Mapping[str, float] | None = None,
) -> Outcome:
    """The calibration and weights that all ``items`` imply (module docstring). ``start`` is
    the AHP prior of the weights (a ScoringPolicy's matrix; the default matrix if None)."""
    start = dict(start) if start is not None else default_weights()
    if not items:
        return Outcome(0, None, start, "ahp-default")
    base = prior or initial_calibration()
    calibration = calibrate(items, start, base)
    usable = [i for i in items if any(t is not None for t in i.record.terms.values())]
    if len(usable) < min_reviews:
        return Outcome(len(items), calibration, start, "ahp-default")
    y = np.array([i.expert for i in usable])
    levels = [features(0.0, i.record.levels, base.feature_names, i.record.coverage) for i in usable]
    terms = [i.record.terms for i in usable]
    initial = WeightPolicy.from_weights(start, settings.sigma_start)
    before = after = math.nan
    policy = initial
    weights = start
    for round_ in range(ROUNDS):
        training = reinforce(initial, Scoring.build(terms, levels, calibration), y, settings)
        if round_ == 0:
            before = training.mean_abs_error[0]
        after = training.mean_abs_error[-1]
        policy, weights = training.policy, training.policy.weights()
        calibration = calibrate(items, weights, base)
    return Outcome(len(items), calibration, weights, "learned", policy, before, after)


def save(outcome: Outcome, directory: Path) -> list[Path]:
    """Write ``calibration.json`` and (once learned) ``weights.json`` atomically."""
    written: list[Path] = []
    if outcome.calibration is not None:
        path = directory / CALIBRATION_FILE
        write_json_atomically(path, outcome.calibration.to_json())
        written.append(path)
    if outcome.weights_source == "learned" and outcome.policy is not None:
        path = directory / WEIGHTS_FILE
        data: dict[str, Any] = {
            "weights": outcome.weights,
            "source": "learned",
            "reviews": outcome.reviews,
            "policy": outcome.policy.to_json(),
            "mean_abs_error": {"ahp": outcome.error_before, "learned": outcome.error_after},
            "updated": now_utc(),
        }
        write_json_atomically(path, data)
        written.append(path)
    return written


def load_calibration(directory: Path) -> Calibration | None:
    """The user's calibration, or None when no review has been scored yet."""
    path = directory / CALIBRATION_FILE
    if not path.is_file():
        return None
    return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))


def load_policy(directory: Path) -> WeightPolicy | None:
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return WeightPolicy.from_json(data["policy"]) if "policy" in data else None
