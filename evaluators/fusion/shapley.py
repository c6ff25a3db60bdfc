"""Exact Shapley attribution of V to its components.

The report must say *why* V is what it is: how much each stage moved it away from what an
uninformative assessment would give. The Shapley value is the unique attribution that is
efficient (contributions sum to V - V(baseline)), symmetric, and gives 0 to a component that
never changes the value. For a set function v over players N (|N| = n):

    phi_i = sum over S subset of N \\ {i} of |S|! (n - |S| - 1)! / n! * (v(S + {i}) - v(S))

computed exactly over all 2^n coalitions (n <= 5 here: 32 evaluations). :func:`shapley` takes
any set function, so the attribution stays correct if V later becomes non-linear.

For V the coalition value is "the present components in S take their measured terms, the rest
take the baseline":

    v(S) = sum_{i in S} w_i x_i + sum_{i not in S} w_i b_i

with the effective (renormalised) weights of the present components. The baseline b is
:data:`DEFAULT_BASELINE` = 0.5 for every term: the midpoint of [0, 1], i.e. a stage that says
nothing either way. It does not depend on a development set, so it is reproducible and means
the same thing for every project; a caller can pass other baselines (e.g. development-set
means). For this linear v, phi_i = w_i (x_i - b_i), which the tests check against the general
algorithm and against brute force over permutations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hyperscore.evaluators.fusion.components import COMPONENT_TITLES, Fusion

#: The baseline term of every component: "an uninformative stage".
DEFAULT_BASELINE = 0.5

#: 2^20 coalitions is the most an exact attribution is allowed to enumerate.
MAX_PLAYERS = 20

SetFunction = Callable[[frozenset[str]], float]


def shapley(players: Sequence[str], value: SetFunction) -> dict[str, float]:
    """Exact Shapley values of ``players`` under ``value`` (evaluated once per coalition)."""
    names = tuple(players)
    n = len(names)
    if len(set(names)) != n:
        raise ValueError(f"players must be distinct, got {list(players)}")
    if n > MAX_PLAYERS:
        raise ValueError(
            f"exact Shapley over {n} players needs 2^{n} evaluations; max {MAX_PLAYERS}"
        )
    if n == 0:
        return {}
    v = [
        float(value(frozenset(names[k] for k in range(n) if mask >> k & 1)))
        for mask in range(1 << n)
    ]
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    phi = dict.fromkeys(names, 0.0)
    for i, name in enumerate(names):
        bit = 1 << i
        terms = [
            weight[mask.bit_count()] * (v[mask | bit] - v[mask])
            for mask in range(1 << n)
            if not mask & bit
        ]
        phi[name] = math.fsum(terms)
    return phi


def baseline_vector(
    players: Sequence[str], baseline: float | Mapping[str, float] = DEFAULT_BASELINE
) -> dict[str, float]:
    """A scalar baseline for every player, or a per-player mapping (validated in [0, 1])."""
    if isinstance(baseline, Mapping):
        missing = [p for p in players if p not in baseline]
        if missing:
            raise ValueError(f"baseline has no value for {missing}")
        b = {p: float(baseline[p]) for p in players}
    else:
        b = dict.fromkeys(players, float(baseline))
    for p, x in b.items():
        if not (0.0 <= x <= 1.0):
            raise ValueError(f"baseline of {p!r} must be in [0, 1], got {x!r}")
    return b


def linear_value_function(
    terms: Mapping[str, float], weights: Mapping[str, float], baseline: Mapping[str, float]
) -> SetFunction:
    """v(S) = sum_{i in S} w_i x_i + sum_{i not in S} w_i b_i over the keys of ``terms``."""

    def v(coalition: frozenset[str]) -> float:
        return math.fsum(weights[i] * (terms[i] if i in coalition else baseline[i]) for i in terms)

    return v


@dataclass(frozen=True)
class Attribution:
    """V split into a baseline value plus one contribution per present component."""

    value: float
    baseline_value: float
    terms: dict[str, float]
    baseline: dict[str, float]
    contributions: dict[str, float]
    dropped: tuple[str, ...]

    def waterfall(self) -> list[tuple[str, float, float]]:
        """(label, start, end) steps from V(baseline) to V, for the HTML waterfall chart.

        Steps go in component order; the first step starts at the baseline value and the last
        ends at V (up to rounding), so the chart needs no arithmetic of its own.
        """
        steps: list[tuple[str, float, float]] = []
        level = self.baseline_value
        for name, phi in self.contributions.items():
            steps.append((name, level, level + phi))
            level += phi
        return steps

    def markdown_table(self) -> str:
        """The text/Markdown form of the waterfall: one row per component, then the totals."""
        rows = [
            "| Component | Term | Baseline | Contribution to V |",
            "|---|---:|---:|---:|",
            f"| Baseline V |  |  | {self.baseline_value:.4f} |",
        ]
        for name, phi in self.contributions.items():
            title = COMPONENT_TITLES.get(name, name)
            rows.append(
                f"| {title} | {self.terms[name]:.3f} | {self.baseline[name]:.2f} | {phi:+.4f} |"
            )
        rows.extend(f"| {COMPONENT_TITLES.get(d, d)} | did not run | | 0 |" for d in self.dropped)
        rows.append(f"| **V** |  |  | **{self.value:.4f}** |")
        return "\n".join(rows)


def attribute(
    fusion: Fusion, baseline: float | Mapping[str, float] = DEFAULT_BASELINE
) -> Attribution:
    """Shapley attribution of ``fusion.value`` over its present components.

    Dropped components are not players (they were not measured); they are listed in
    ``dropped`` with no contribution.
    """
    players = fusion.present
    b = baseline_vector(players, baseline)
    v = linear_value_function(fusion.terms, fusion.weights, b)
    phi = shapley(players, v)
    return Attribution(
        value=fusion.value,
        baseline_value=v(frozenset()),
        terms=dict(fusion.terms),
        baseline=b,
        contributions=phi,
        dropped=fusion.dropped,
    )
