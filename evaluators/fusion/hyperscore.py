"""The HyperScore: a boosted display scale for V, exactly as specified.

    HyperScore = 100 * [1 + sigma(beta * ln V + gamma) ** kappa]

sigma being the logistic function 1 / (1 + e^-z), with beta = 5, gamma = -ln 2, kappa = 2 by
default (configurable). The transform is steep near V = 1 and flat elsewhere: it separates the
very best projects and leaves the rest close to 100.

With the defaults, sigma(5 ln V - ln 2) = V^5 / (V^5 + 2), so HyperScore = 100 * (1 + (V^5 /
(V^5 + 2))^2). Hand-computed values:

* V = 1:   sigma(-ln 2) = 1/3, HyperScore = 100 * (1 + 1/9) = 111.111...
* V = 0.5: V^5 = 1/32, sigma = (1/32) / (65/32) = 1/65, HyperScore = 100 * (1 + 1/4225)
  = 100.02367 (to 5 decimals)
* V = 0:   ln V = -inf, sigma(-inf) = 0 (the limit, for beta > 0), HyperScore = 100 exactly.

So for V in (0, 1] the HyperScore lies in (100, 111.11], and it is 100 at V = 0: it is *not* a
0-100 score and must never be shown as one (the calibrated expert-scale score is
:mod:`calibration`'s job).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def logistic(z: float) -> float:
    """sigma(z) = 1 / (1 + e^-z), without overflow for large |z|; sigma(-inf) = 0."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class HyperScoreParams:
    """beta > 0 (steepness; > 0 keeps the score increasing in V), gamma (shift), kappa > 0."""

    beta: float = 5.0
    gamma: float = -math.log(2.0)
    kappa: float = 2.0

    def __post_init__(self) -> None:
        for name in ("beta", "gamma", "kappa"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"HyperScore {name} must be finite")
        if self.beta <= 0.0:
            raise ValueError(f"HyperScore beta must be > 0, got {self.beta}")
        if self.kappa <= 0.0:
            raise ValueError(f"HyperScore kappa must be > 0, got {self.kappa}")


DEFAULT_PARAMS = HyperScoreParams()


def hyperscore(v: float, params: HyperScoreParams = DEFAULT_PARAMS) -> float:
    """HyperScore of V in [0, 1]; V = 0 gives exactly 100 (the limit sigma(-inf) = 0)."""
    x = float(v)
    if not math.isfinite(x) or x < 0.0 or x > 1.0:
        raise ValueError(f"V must be in [0, 1], got {v!r}")
    if x == 0.0:
        return 100.0
    s = logistic(params.beta * math.log(x) + params.gamma)
    return 100.0 * (1.0 + float(s**params.kappa))


def hyperscore_range(params: HyperScoreParams = DEFAULT_PARAMS) -> tuple[float, float]:
    """(min, max) of the HyperScore over V in [0, 1]: (100, 100 * (1 + sigma(gamma)^kappa))."""
    return 100.0, hyperscore(1.0, params)
