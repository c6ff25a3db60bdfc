"""Learning the five fusion weights from reviews by reinforcement learning (REINFORCE).

Why a policy-gradient learner rather than least squares: the score a reviewer sees is not
linear in the weights -- V renormalises over the components that ran, and the calibrated
score is clipped to 0-100 -- and the reward the issue asks for, ``-|score - expert|``, is not
differentiable where it matters. REINFORCE only needs to *evaluate* the reward of sampled
weights, so it optimises exactly that objective through the real fusion rules.

Policy: a Gaussian over the logits, ``z ~ N(theta, sigma^2 I)``, weights ``w = softmax(z)``
(always on the simplex). One step draws K weight vectors, scores every reviewed assessment
with each, and takes the reward ``r_k = -mean_i |score_i(w_k) - expert_i|``. The gradient of
the expected reward is estimated with a leave-one-out baseline (the mean reward of the other
K - 1 draws: unbiased, and it removes most of the variance):

    g = 1/K * sum_k (r_k - b_k) * (z_k - theta) / sigma^2,   b_k = mean_{j != k} r_j

plus the gradient of a Gaussian prior around the AHP logits, ``-(kappa / n) |theta -
theta_AHP|^2`` (a MAP reading: the mean absolute error is the Laplace log-likelihood / n with
scale b, a N(theta_AHP, tau^2) prior adds ``-b |theta - theta_AHP|^2 / (2 tau^2 n)``; kappa = 4
is b = 8 points, tau = 1 logit). It is projected onto the directions the reviews identify
(:func:`project`: not the logit of a component that never ran, nor a common shift of those that
ran), and theta moves by an Adam step on it. A few uninformative reviews thus move the weights
little; many consistent ones move them as far as they need.
sigma is annealed geometrically so the policy explores first and settles later. theta is kept
centred (softmax ignores a common shift). The details and the convergence figures are in
docs/feedback.md; the unit test shows it recovers the weights that generated synthetic reviews.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hyperscore.evaluators.fusion.calibration import SCORE_MAX, SCORE_MIN, Calibration
from hyperscore.evaluators.fusion.components import COMPONENTS, validate_weights

FloatArray = npt.NDArray[np.float64]
_FORMAT = "hyperscore.weight-policy/v1"


@dataclass(frozen=True)
class Scoring:
    """Reviewed assessments in array form: what the reward needs, vectorised.

    ``terms``/``mask`` are n x 5 (the terms, 0 where the stage did not run, and 1/0 for
    present); the calibrated score of row i under weights w is
    ``clip(offset_i + slope * V_i(w), 0, 100)`` -- the calibration mean is linear in V, so the
    level part of the features is folded into ``offset``.
    """

    terms: FloatArray
    mask: FloatArray
    offset: FloatArray
    slope: float

    @classmethod
    def build(
        cls,
        terms: Sequence[Mapping[str, float | None]],
        levels: Sequence[FloatArray],
        calibration: Calibration,
    ) -> Scoring:
        """``levels`` are the calibration feature rows with V set to 0 (see :func:`features`)."""
        t = np.array([[row[c] or 0.0 for c in COMPONENTS] for row in terms], dtype=np.float64)
        m = np.array([[row[c] is not None for c in COMPONENTS] for row in terms], np.float64)
        v_index = calibration.feature_names.index("V")
        x0 = np.array(levels, dtype=np.float64).reshape(len(levels), -1)
        return cls(
            terms=t.reshape(len(terms), len(COMPONENTS)),
            mask=m.reshape(len(terms), len(COMPONENTS)),
            offset=x0 @ calibration.mean,
            slope=float(calibration.mean[v_index]),
        )

    def fused(self, weights: FloatArray) -> FloatArray:
        """V of every row for each weight vector (k x 5 -> k x n), renormalised over the
        present components like :func:`fusion.components.fuse` (tested to agree)."""
        w = np.atleast_2d(weights)
        mass = w @ self.mask.T
        value = (w @ (self.terms * self.mask).T) / np.where(mass > 0.0, mass, 1.0)
        return np.clip(value, 0.0, 1.0)

    def scores(self, weights: FloatArray) -> FloatArray:
        """Calibrated scores, k x n."""
        raw = self.offset[None, :] + self.slope * self.fused(weights)
        return np.clip(raw, SCORE_MIN, SCORE_MAX)


def softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


@dataclass(frozen=True)
class WeightPolicy:
    """Gaussian over logits; its mean weights ``softmax(logits)`` are the learned weights."""

    logits: tuple[float, ...]
    sigma: float
    steps: int = 0

    @classmethod
    def from_weights(cls, weights: Mapping[str, float], sigma: float = 0.3) -> WeightPolicy:
        validate_weights(weights, COMPONENTS)
        # A weight of exactly 0 has no finite logit; 1e-6 is "off" in practice and can recover.
        logits = np.log(np.maximum([weights[c] for c in COMPONENTS], 1e-6))
        return cls(tuple(float(x) for x in logits - logits.mean()), sigma)

    @property
    def theta(self) -> FloatArray:
        return np.asarray(self.logits, dtype=np.float64)

    def weights(self) -> dict[str, float]:
        return dict(zip(COMPONENTS, (float(x) for x in softmax(self.theta)), strict=True))

    def sample(self, rng: np.random.Generator, k: int) -> FloatArray:
        """k weight vectors drawn from the policy (k x 5)."""
        z = self.theta + self.sigma * rng.standard_normal((k, len(COMPONENTS)))
        return softmax(z)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "components": list(COMPONENTS),
            "logits": list(self.logits),
            "sigma": self.sigma,
            "steps": self.steps,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeightPolicy:
        if data.get("format") != _FORMAT or list(data.get("components", [])) != list(COMPONENTS):
            raise ValueError(f"not a weight policy ({_FORMAT})")
        logits = tuple(float(x) for x in data["logits"])
        sigma = float(data["sigma"])
        if not (all(math.isfinite(x) for x in logits) and sigma > 0.0):
            raise ValueError("weight policy logits must be finite and sigma > 0")
        return cls(logits, sigma, int(data.get("steps", 0)))


@dataclass(frozen=True)
class ReinforceSettings:
    """Defaults chosen on the synthetic benchmark of docs/feedback.md (fixed seed)."""

    steps: int = 800
    samples: int = 16
    learning_rate: float = 0.05
    sigma_start: float = 0.3
    sigma_end: float = 0.03
    prior_strength: float = 4.0  # kappa, points per squared logit (module docstring)
    seed: int = 0


DEFAULT_SETTINGS = ReinforceSettings()


@dataclass(frozen=True)
class Training:
    policy: WeightPolicy
    mean_abs_error: list[float]  # of the policy's mean weights, before each step and at the end


def reward(scoring: Scoring, expert: FloatArray, weights: FloatArray) -> FloatArray:
    """-mean |score - expert| over the reviews, one value per weight vector (points)."""
    out: FloatArray = -np.abs(scoring.scores(weights) - expert[None, :]).mean(axis=1)
    return out


def project(grad: FloatArray, seen: npt.NDArray[np.bool_]) -> FloatArray:
    """Keep only the directions the reviews can identify.

    A component absent from every reviewed assessment has no effect on any score, and a common
    shift of the logits of the components that ran changes no V (each V renormalises over its
    own present components). The gradient estimate has noise along both; Adam would turn that
    noise into a random walk, so it is removed: zero for the unseen components, centred over
    the seen ones.
    """
    out = np.where(seen, grad, 0.0)
    if seen.any():
        out[seen] -= out[seen].mean()
    return out


def reinforce(
    policy: WeightPolicy,
    scoring: Scoring,
    expert: npt.ArrayLike,
    settings: ReinforceSettings = DEFAULT_SETTINGS,
) -> Training:
    """REINFORCE with a leave-one-out baseline and Adam (module docstring); deterministic."""
    y = np.asarray(expert, dtype=np.float64)
    if y.shape != (scoring.terms.shape[0],) or y.size == 0:
        raise ValueError("one expert score per scored assessment is needed")
    rng = np.random.default_rng(settings.seed)
    seen: npt.NDArray[np.bool_] = np.asarray(scoring.mask.any(axis=0), dtype=np.bool_)
    prior = policy.theta
    theta = prior.copy()
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    k = settings.samples
    strength = settings.prior_strength / y.size
    decay = (settings.sigma_end / settings.sigma_start) ** (1.0 / max(1, settings.steps - 1))
    history: list[float] = []
    for step in range(settings.steps):
        sigma = settings.sigma_start * decay**step
        history.append(float(-reward(scoring, y, softmax(theta))[0]))
        noise = rng.standard_normal((k, theta.size))
        r = reward(scoring, y, softmax(theta + sigma * noise))
        advantage = r - (r.sum() - r) / (k - 1)
        score_grad = (advantage[:, None] * noise).mean(axis=0) / sigma
        grad = project(score_grad - 2.0 * strength * (theta - prior), seen)
        first = beta1 * first + (1 - beta1) * grad
        second = beta2 * second + (1 - beta2) * grad**2
        m_hat = first / (1 - beta1 ** (step + 1))
        v_hat = second / (1 - beta2 ** (step + 1))
        theta = theta + settings.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        theta -= theta.mean()
    history.append(float(-reward(scoring, y, softmax(theta))[0]))
    learned = WeightPolicy(
        tuple(float(x) for x in theta), settings.sigma_end, policy.steps + settings.steps
    )
    return Training(learned, history)
