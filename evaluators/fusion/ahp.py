"""Fusion weights by the Analytic Hierarchy Process (Saaty): pairwise judgements -> weights.

A reviewer finds "logic matters three times as much as novelty" easier to state, and to argue
about, than five raw weights; AHP turns such judgements into weights and, unlike raw weights,
says when the judgements contradict each other.

For an n x n positive reciprocal matrix A (a_ij = how many times more important i is than j,
a_ji = 1 / a_ij, a_ii = 1):

* weights w = the principal (Perron) eigenvector of A, normalised to sum to 1;
* lambda_max = its eigenvalue (>= n, with equality iff A is consistent: a_ij = w_i / w_j);
* consistency index CI = (lambda_max - n) / (n - 1);
* consistency ratio CR = CI / RI(n), RI being Saaty's random index (the mean CI of random
  reciprocal matrices). CR > 0.1 means the judgements are too contradictory to use: the matrix
  is rejected with :class:`AHPInconsistent`, whose message names the comparisons furthest from
  what the weights imply (deviation |ln(a_ij * w_j / w_i)|), so the author knows what to revise.

For n <= 2 every reciprocal matrix is consistent and CR is 0 by definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hyperscore.evaluators.fusion.components import COMPONENTS

#: Saaty's random index RI(n) for n = 1..10.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}

#: Saaty's threshold: a matrix with CR above this is rejected.
CR_THRESHOLD = 0.1

_RECIPROCAL_RTOL = 1e-6
_SHOWN_OFFENDERS = 3

#: The default judgements over COMPONENTS, upper triangle (row item vs column item).
#: Rationale (docs/scoring.md): logic (claims backed by evidence) and repro (the pipeline
#: actually reproduces) are direct verifications of the project and rank highest and equal;
#: impact is a forecast, so it counts less than a verification but more than novelty and the
#: meta-evaluation, which qualify rather than establish maturity.
DEFAULT_COMPARISONS: dict[tuple[str, str], float] = {
    ("logic", "novelty"): 3.0,
    ("logic", "impact"): 2.0,
    ("logic", "repro"): 1.0,
    ("logic", "meta"): 3.0,
    ("novelty", "impact"): 1 / 2,
    ("novelty", "repro"): 1 / 3,
    ("novelty", "meta"): 1.0,
    ("impact", "repro"): 1 / 2,
    ("impact", "meta"): 2.0,
    ("repro", "meta"): 3.0,
}


@dataclass(frozen=True)
class Inconsistency:
    """One comparison set against what the fitted weights imply."""

    row: str
    col: str
    given: float
    implied: float

    @property
    def deviation(self) -> float:
        """|ln(given / implied)|: symmetric in over- and under-statement, 0 if consistent."""
        return abs(math.log(self.given / self.implied))

    def __str__(self) -> str:
        return (
            f"{self.row} vs {self.col}: given {_fmt(self.given)}, weights imply {self.implied:.2g}"
        )


def _fmt(x: float) -> str:
    """Judgements are usually integers or their reciprocals: show 1/3 rather than 0.333."""
    if x < 1.0 and abs(1.0 / x - round(1.0 / x)) < 1e-9:
        return f"1/{round(1.0 / x)}"
    return f"{x:.3g}"


class AHPInconsistent(ValueError):
    """The judgements contradict each other too much (CR > threshold)."""

    def __init__(self, cr: float, threshold: float, offenders: list[Inconsistency]) -> None:
        self.cr = cr
        self.threshold = threshold
        self.offenders = offenders
        worst = "; ".join(str(o) for o in offenders[:_SHOWN_OFFENDERS])
        super().__init__(
            f"AHP matrix rejected: consistency ratio {cr:.3f} > {threshold:g}. "
            f"Most inconsistent comparisons: {worst}. Revise these judgements."
        )


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one matrix."""

    labels: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.weights, strict=True))


class AHPMatrix:
    """A validated positive reciprocal comparison matrix over named items."""

    def __init__(self, labels: Sequence[str], matrix: Sequence[Sequence[float]]) -> None:
        self.labels = tuple(labels)
        n = len(self.labels)
        if n == 0 or len(set(self.labels)) != n:
            raise ValueError(f"labels must be non-empty and distinct, got {list(labels)}")
        if n not in RANDOM_INDEX:
            raise ValueError(f"AHP supports 1 to {max(RANDOM_INDEX)} items, got {n}")
        a = np.asarray(matrix, dtype=float)
        if a.shape != (n, n):
            raise ValueError(f"matrix must be {n}x{n} for {n} labels, got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(a <= 0.0):
            raise ValueError("matrix entries must be finite and > 0")
        if not np.allclose(np.diag(a), 1.0, rtol=0.0, atol=_RECIPROCAL_RTOL):
            raise ValueError("matrix diagonal must be 1 (an item is as important as itself)")
        bad = [
            (self.labels[i], self.labels[j])
            for i in range(n)
            for j in range(i + 1, n)
            if not math.isclose(a[i, j] * a[j, i], 1.0, rel_tol=_RECIPROCAL_RTOL)
        ]
        if bad:
            pairs = ", ".join(f"{r} vs {c}" for r, c in bad)
            raise ValueError(f"matrix is not reciprocal (a_ji must be 1/a_ij) for: {pairs}")
        self.matrix = a

    @classmethod
    def from_comparisons(
        cls, labels: Sequence[str], comparisons: Mapping[tuple[str, str], float]
    ) -> AHPMatrix:
        """Build from one judgement per pair, in either orientation (the config format).

        Every unordered pair must be given exactly once, so a forgotten judgement is an error
        rather than a silent "equally important".
        """
        index = {name: k for k, name in enumerate(labels)}
        n = len(index)
        a = np.ones((n, n))
        seen: set[frozenset[str]] = set()
        for (row, col), value in comparisons.items():
            if row not in index or col not in index or row == col:
                raise ValueError(f"comparison {row!r} vs {col!r}: unknown or identical items")
            key = frozenset((row, col))
            if key in seen:
                raise ValueError(f"comparison {row!r} vs {col!r} given twice")
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"comparison {row!r} vs {col!r} must be > 0, got {value!r}")
            seen.add(key)
            a[index[row], index[col]] = value
            a[index[col], index[row]] = 1.0 / value
        missing = [
            f"{labels[i]} vs {labels[j]}"
            for i in range(n)
            for j in range(i + 1, n)
            if frozenset((labels[i], labels[j])) not in seen
        ]
        if missing:
            raise ValueError(f"missing comparisons: {', '.join(missing)}")
        return cls(labels, a.tolist())

    def evaluate(self) -> AHPResult:
        """Principal eigenvector, lambda_max, CI and CR, without judging them."""
        n = len(self.labels)
        values, vectors = np.linalg.eig(self.matrix)
        k = int(np.argmax(values.real))
        # Perron-Frobenius: the principal eigenvector of a positive matrix has one sign.
        w = np.abs(vectors[:, k].real)
        w = w / w.sum()
        lam = float(values[k].real)
        ci = max(0.0, (lam - n) / (n - 1)) if n > 1 else 0.0
        ri = RANDOM_INDEX[n]
        cr = ci / ri if ri > 0.0 else 0.0
        return AHPResult(self.labels, tuple(float(x) for x in w), lam, ci, cr)

    def inconsistencies(self, result: AHPResult | None = None) -> list[Inconsistency]:
        """Every upper-triangle comparison against w_i / w_j, worst first."""
        res = result or self.evaluate()
        w = res.weights
        n = len(self.labels)
        items = [
            Inconsistency(self.labels[i], self.labels[j], float(self.matrix[i, j]), w[i] / w[j])
            for i in range(n)
            for j in range(i + 1, n)
        ]
        return sorted(items, key=lambda x: x.deviation, reverse=True)

    def check(self, threshold: float = CR_THRESHOLD) -> AHPResult:
        """Evaluate, raising :class:`AHPInconsistent` when CR > threshold."""
        res = self.evaluate()
        if res.cr > threshold:
            raise AHPInconsistent(res.cr, threshold, self.inconsistencies(res))
        return res

    def weights(self, threshold: float = CR_THRESHOLD) -> dict[str, float]:
        """Label -> weight (summing to 1) of a matrix that passes the consistency check."""
        return self.check(threshold).as_dict()


def default_matrix() -> AHPMatrix:
    """The documented default matrix over :data:`COMPONENTS` (docs/scoring.md)."""
    return AHPMatrix.from_comparisons(COMPONENTS, DEFAULT_COMPARISONS)


def default_weights() -> dict[str, float]:
    """Weights of the default matrix: about logic .313, novelty .099, impact .176,
    repro .313, meta .099 (CR about 0.003)."""
    return default_matrix().weights()
