"""Active learning: which unreviewed assessments would teach the calibration the most.

A review is worth most where the model is least sure. Two sources of doubt are combined:

* the calibration's posterior predictive: the width of the 90% credible interval for the
  assessment's features. It is wide where the reviewed assessments do not cover the feature
  space (an unusual dimension profile, a V far from the reviewed ones) -- exactly where a
  label moves the posterior most;
* the weight policy's own uncertainty: the spread of the calibrated score over weights drawn
  from the learned policy (zero before weights are learned). Projects whose score hinges on
  the weights (a component that only some reviewed projects had) rank higher.

Both are put on the same scale -- a 90% width in points; the policy's as 2 x 1.645 sd -- and
combined as independent errors, ``sqrt(w_cal^2 + w_policy^2)``. The ranking is deterministic
(fixed seed for the policy draws; ties by id).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hyperscore.evaluators.feedback.learning import feature_row
from hyperscore.evaluators.feedback.policy import Scoring, WeightPolicy
from hyperscore.evaluators.feedback.record import AssessmentRecord
from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.calibration import Calibration, features

_Z90 = 1.6448536269514722  # standard normal 95% quantile: a central 90% interval is +-1.645 sd
POLICY_SAMPLES = 64


@dataclass(frozen=True)
class QueueItem:
    record: AssessmentRecord
    predicted: float
    low: float
    high: float
    calibration_width: float
    policy_width: float

    @property
    def uncertainty(self) -> float:
        """Combined 90% width in points: what the queue is ranked by."""
        return math.hypot(self.calibration_width, self.policy_width)


def rank(
    records: Sequence[AssessmentRecord],
    calibration: Calibration,
    policy: WeightPolicy | None = None,
    seed: int = 0,
) -> list[QueueItem]:
    """``records`` ordered most uncertain first (module docstring)."""
    weights = policy.weights() if policy is not None else default_weights()
    draws = policy.sample(np.random.default_rng(seed), POLICY_SAMPLES) if policy else None
    items: list[QueueItem] = []
    for record in records:
        x = feature_row(record, weights, calibration)
        pred = calibration.predict(x, clip=False)
        spread = 0.0
        if draws is not None and any(t is not None for t in record.terms.values()):
            names = calibration.feature_names
            levels = [features(0.0, record.levels, names, record.coverage)]
            scores = Scoring.build([record.terms], levels, calibration).scores(draws)[:, 0]
            spread = 2.0 * _Z90 * float(np.std(scores))
        clipped = calibration.predict(x)
        items.append(
            QueueItem(
                record=record,
                predicted=clipped.score,
                low=clipped.low,
                high=clipped.high,
                calibration_width=pred.high - pred.low,
                policy_width=spread,
            )
        )
    items.sort(key=lambda i: (-i.uncertainty, i.record.id))
    return items
