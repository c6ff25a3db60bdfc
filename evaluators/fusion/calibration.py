"""Bayesian calibration of V (and the dimension profile) onto the expert 0-100 scale.

V is a fused value in [0, 1], not a grade; experts grade on 0-100. The map between them is
learned from labelled assessments by conjugate Bayesian linear regression, which (a) works
with a handful of labels, because a prior carries it until data arrive, (b) gives an honest
90% credible interval rather than a point, and (c) updates exactly and cheaply with each new
review, so a factory calibration fitted on the development set can be refined by users' own
labels without refitting from scratch (sequential updating equals the batch fit).

Model (Normal-Inverse-Gamma): y = x . beta + eps, eps ~ N(0, sigma^2), with features
x = [1, V, level_d / 4 for the eight dimensions d] (:func:`feature_names`) and prior

    beta | sigma^2 ~ N(m0, sigma^2 S0),    sigma^2 ~ InvGamma(a0, b0).

Given X (n x p) and y, the posterior is NIG with

    S_n^-1 = S0^-1 + X'X,    m_n = S_n (S0^-1 m0 + X'y),    a_n = a0 + n / 2,
    b_n = b0 + (|y - X m_n|^2 + (m_n - m0)' S0^-1 (m_n - m0)) / 2,

and the posterior predictive of a new x is Student-t with 2 a_n degrees of freedom, location
x . m_n and scale sqrt(b_n / a_n * (1 + x S_n x')). :meth:`Calibration.predict` reports its
mean and central 90% interval, clipped to [0, 100] (the expert scale).

Default prior (:func:`default_prior`, used when there are no labels): centred on
score = 100 * V (m0 = [0, 100, 0, ...]); noise sigma^2 ~ InvGamma(3, 200), prior mean 100,
i.e. about 10 points; given sigma = 10, prior sds of 10 points for the intercept, 25 for the V
coefficient and 5 for each dimension coefficient. Weakly informative: a few dozen labels
dominate it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from hyperscore.evaluators.assessment import Dimension

FloatArray = npt.NDArray[np.float64]

LEVEL_MAX = 4
SCORE_MIN, SCORE_MAX = 0.0, 100.0
CREDIBLE = 0.9

_PRIOR_A = 3.0
_PRIOR_B = 200.0
_PRIOR_NOISE_VAR = _PRIOR_B / (_PRIOR_A - 1.0)  # prior mean of sigma^2 = 100
_PRIOR_SD = {"intercept": 10.0, "V": 25.0, "coverage": 25.0, "level": 5.0}
_FORMAT = "hyperscore.calibration/v1"


def feature_names(dimensions: Sequence[str] = tuple(Dimension)) -> tuple[str, ...]:
    """["intercept", "V", "level:<dimension>" ...]: the regression's columns, in order."""
    return ("intercept", "V", *(f"level:{d}" for d in dimensions))


DEFAULT_FEATURES = feature_names()


def features(
    v: float,
    levels: Mapping[str, int] | None = None,
    names: Sequence[str] = DEFAULT_FEATURES,
    coverage: float | None = None,
) -> FloatArray:
    """One feature row: 1, V, ``coverage`` (the level-weighted share of catalogue practices
    with evidence, :func:`hyperscore.evaluators.fusion.apply.practice_coverage`) and level / 4
    for each ``level:<dimension>`` in ``names``."""
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"V must be in [0, 1], got {v!r}")
    row: list[float] = []
    for name in names:
        if name == "intercept":
            row.append(1.0)
        elif name == "V":
            row.append(float(v))
        elif name == "coverage":
            if coverage is None or not (0.0 <= coverage <= 1.0):
                raise ValueError(f"coverage must be given in [0, 1], got {coverage!r}")
            row.append(float(coverage))
        elif name.startswith("level:"):
            dim = name.removeprefix("level:")
            if levels is None or dim not in levels:
                raise ValueError(f"no level given for dimension {dim!r}")
            level = levels[dim]
            if not (0 <= level <= LEVEL_MAX):
                raise ValueError(f"level of {dim!r} must be 0-{LEVEL_MAX}, got {level}")
            row.append(level / LEVEL_MAX)
        else:
            raise ValueError(f"unknown feature {name!r}")
    return np.asarray(row, dtype=np.float64)


@dataclass(frozen=True)
class Prediction:
    """A calibrated score and its central credible interval on the 0-100 scale."""

    score: float
    low: float
    high: float
    level: float = CREDIBLE


@dataclass(frozen=True, eq=False)
class Calibration:
    """A Normal-Inverse-Gamma posterior (or prior): beta | sigma^2 ~ N(mean, sigma^2 cov),
    sigma^2 ~ InvGamma(a, b); ``n_obs`` labels have been absorbed so far."""

    feature_names: tuple[str, ...]
    mean: FloatArray
    cov: FloatArray
    a: float
    b: float
    n_obs: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        p = len(self.feature_names)
        if self.mean.shape != (p,) or self.cov.shape != (p, p):
            raise ValueError(f"mean must be ({p},) and cov ({p}, {p}) for {p} features")
        if not (np.all(np.isfinite(self.mean)) and np.all(np.isfinite(self.cov))):
            raise ValueError("mean and cov must be finite")
        if not np.allclose(self.cov, self.cov.T, rtol=1e-9, atol=1e-12):
            raise ValueError("cov must be symmetric")
        try:
            np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError as err:
            raise ValueError("cov must be positive definite") from err
        if not (self.a > 0.0 and self.b > 0.0 and math.isfinite(self.a + self.b)):
            raise ValueError(f"a and b must be finite and > 0, got a={self.a}, b={self.b}")

    @property
    def noise_sd(self) -> float:
        """Posterior mean of sigma (approximately sqrt(b / (a - 1)) for a > 1), in points."""
        return math.sqrt(self.b / (self.a - 1.0)) if self.a > 1.0 else math.inf

    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.feature_names, (float(x) for x in self.mean), strict=True))

    def update(self, x: npt.ArrayLike, y: npt.ArrayLike, note: str | None = None) -> Calibration:
        """The posterior after observing rows ``x`` (n x p) with expert scores ``y`` (n)."""
        xm = np.atleast_2d(np.asarray(x, dtype=np.float64))
        yv = np.atleast_1d(np.asarray(y, dtype=np.float64))
        p = len(self.feature_names)
        if xm.ndim != 2 or xm.shape[1] != p or yv.shape != (xm.shape[0],):
            raise ValueError(f"x must be n x {p} and y length n; got {xm.shape} and {yv.shape}")
        if not (np.all(np.isfinite(xm)) and np.all(np.isfinite(yv))):
            raise ValueError("x and y must be finite")
        prec0 = np.linalg.inv(self.cov)
        prec_n = prec0 + xm.T @ xm
        cov_n = np.linalg.inv(prec_n)
        cov_n = (cov_n + cov_n.T) / 2.0
        mean_n = cov_n @ (prec0 @ self.mean + xm.T @ yv)
        resid = yv - xm @ mean_n
        shift = mean_n - self.mean
        b_n = self.b + 0.5 * (float(resid @ resid) + float(shift @ prec0 @ shift))
        return Calibration(
            feature_names=self.feature_names,
            mean=mean_n,
            cov=cov_n,
            a=self.a + 0.5 * len(yv),
            b=b_n,
            n_obs=self.n_obs + len(yv),
            note=self.note if note is None else note,
        )

    def predict(self, x: npt.ArrayLike, level: float = CREDIBLE, clip: bool = True) -> Prediction:
        """Posterior predictive mean and central ``level`` interval for one feature row."""
        xv = np.asarray(x, dtype=np.float64)
        if xv.shape != (len(self.feature_names),):
            raise ValueError(f"x must have {len(self.feature_names)} features, got {xv.shape}")
        if not (0.0 < level < 1.0):
            raise ValueError(f"level must be in (0, 1), got {level}")
        loc = float(xv @ self.mean)
        scale = math.sqrt(self.b / self.a * (1.0 + float(xv @ self.cov @ xv)))
        # The predictive t is symmetric: one quantile gives both ends of the central interval.
        q = float(stats.t.ppf(0.5 + level / 2.0, df=2.0 * self.a))
        low, high = loc - q * scale, loc + q * scale
        if clip:
            low, high = _truncated_interval(loc, scale, 2.0 * self.a, level, (low, high))
            loc = min(SCORE_MAX, max(SCORE_MIN, loc))
            low, high = min(low, loc), max(high, loc)
        return Prediction(score=loc, low=low, high=high, level=level)

    def score(
        self, v: float, levels: Mapping[str, int] | None = None, coverage: float | None = None
    ) -> Prediction:
        """Calibrated 0-100 score (with 90% interval) for a fused V and dimension levels."""
        return self.predict(features(v, levels, self.feature_names, coverage))

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (for the ScoringPolicy status); see :meth:`from_json`."""
        return {
            "format": _FORMAT,
            "features": list(self.feature_names),
            "mean": [float(x) for x in self.mean],
            "cov": [[float(x) for x in row] for row in self.cov],
            "a": self.a,
            "b": self.b,
            "n_obs": self.n_obs,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        if data.get("format") != _FORMAT:
            raise ValueError(f"not a calibration ({_FORMAT}): format={data.get('format')!r}")
        return cls(
            feature_names=tuple(str(n) for n in data["features"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            cov=np.asarray(data["cov"], dtype=np.float64),
            a=float(data["a"]),
            b=float(data["b"]),
            n_obs=int(data["n_obs"]),
            note=str(data.get("note", "")),
        )


def default_prior(names: Sequence[str] = DEFAULT_FEATURES) -> Calibration:
    """The documented no-labels prior: score ~ 100 * V, noise about 10 points (module doc)."""
    mean = np.asarray([100.0 if n == "V" else 0.0 for n in names], dtype=np.float64)
    sds = [_PRIOR_SD["level" if n.startswith("level:") else n] for n in names]
    cov = np.diag([(sd**2) / _PRIOR_NOISE_VAR for sd in sds]).astype(np.float64)
    return Calibration(tuple(names), mean, cov, _PRIOR_A, _PRIOR_B, 0, "default prior")


def fit(x: npt.ArrayLike, y: npt.ArrayLike, prior: Calibration | None = None) -> Calibration:
    """Posterior from labelled rows ``x`` (see :func:`features`) and expert scores ``y``.

    ``prior`` defaults to :func:`default_prior` over :data:`DEFAULT_FEATURES`; pass a factory
    calibration as the prior to refine it with a user's own reviews.
    """
    return (prior or default_prior()).update(x, y, note="fitted")


def _truncated_interval(
    loc: float, scale: float, df: float, level: float, untruncated: tuple[float, float]
) -> tuple[float, float]:
    """The central ``level`` interval of the predictive t restricted to the 0-100 scale.

    Clipping both ends of the untruncated interval would collapse it to ``100-100`` for a
    project predicted beyond the top of the scale; the truncated predictive keeps the
    uncertainty that is left inside the scale. Falls back to clipping when (numerically) no
    predictive mass lies inside the scale.
    """
    dist = stats.t(df=df, loc=loc, scale=scale)
    lo_cdf, hi_cdf = float(dist.cdf(SCORE_MIN)), float(dist.cdf(SCORE_MAX))
    mass = hi_cdf - lo_cdf
    if mass < 1e-9:
        return tuple(min(SCORE_MAX, max(SCORE_MIN, t)) for t in untruncated)  # type: ignore[return-value]
    tail = (1.0 - level) / 2.0 * mass
    low = float(dist.ppf(lo_cdf + tail))
    high = float(dist.ppf(hi_cdf - tail))
    return min(SCORE_MAX, max(SCORE_MIN, low)), min(SCORE_MAX, max(SCORE_MIN, high))
