"""The fused value V: five stage terms in [0, 1], weighted, with missing stages dropped.

    V = w_logic * LogicScore + w_novelty * Novelty + w_impact * log(ImpactFore + 1) / log(101)
        + w_repro * DeltaRepro + w_meta * Meta

Every term is in [0, 1] and the weights are non-negative and sum to 1, so V is in [0, 1]. The
impact forecast is on a 0-100 scale and heavy-tailed (a few projects get very large forecasts),
so it enters through ``log(x + 1) / log(101)``: 0 -> 0, 100 -> 1, and the first few points of
impact count more than the last few.

A stage that did not run (sandbox switched off, no knowledge base) reports ``score=None``; its
term is *dropped*, not scored 0 -- a project should not lose points because the operator did
not enable a stage -- and the remaining weights are renormalised to sum to 1. The result
records which components were dropped so the report can say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: The five fused components, in the order of the AHP matrix and of every report table.
COMPONENTS: tuple[str, ...] = ("logic", "novelty", "impact", "repro", "meta")

#: Human-readable names, for report tables and error messages.
COMPONENT_TITLES: dict[str, str] = {
    "logic": "Logic (claims vs evidence)",
    "novelty": "Novelty",
    "impact": "Impact forecast",
    "repro": "Reproducibility delta",
    "meta": "Meta-evaluation",
}

IMPACT_MAX = 100.0
_WEIGHT_TOL = 1e-9


def impact_term(impact_fore: float) -> float:
    """Map an impact forecast on 0-100 to [0, 1] by ``log(x + 1) / log(101)``.

    The log compresses the heavy tail of impact forecasts; ``+1`` keeps 0 finite (-> 0).
    Values outside 0-100 are a bug upstream and are rejected rather than clipped.
    """
    x = float(impact_fore)
    if not math.isfinite(x) or x < 0.0 or x > IMPACT_MAX:
        raise ValueError(f"ImpactFore must be in [0, {IMPACT_MAX:g}], got {impact_fore!r}")
    return math.log(x + 1.0) / math.log(IMPACT_MAX + 1.0)


def component_terms(
    *,
    logic: float | None = None,
    novelty: float | None = None,
    impact_fore: float | None = None,
    repro: float | None = None,
    meta: float | None = None,
) -> dict[str, float | None]:
    """Stage outputs -> the five terms in [0, 1]; ``None`` means the stage did not run.

    Only ``impact_fore`` is transformed (0-100 -> [0, 1]); the others are already in [0, 1]
    and are validated by :func:`fuse`.
    """
    return {
        "logic": logic,
        "novelty": novelty,
        "impact": None if impact_fore is None else impact_term(impact_fore),
        "repro": repro,
        "meta": meta,
    }


def validate_weights(weights: Mapping[str, float], names: tuple[str, ...]) -> None:
    """Weights must name exactly ``names``, be finite and non-negative, and sum to 1."""
    if set(weights) != set(names):
        missing = sorted(set(names) - set(weights))
        extra = sorted(set(weights) - set(names))
        raise ValueError(f"weights must name {list(names)}; missing {missing}, unknown {extra}")
    for name, w in weights.items():
        if not math.isfinite(w) or w < 0.0:
            raise ValueError(f"weight of {name!r} must be finite and >= 0, got {w!r}")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"weights must sum to 1, got {total:.6g}")


@dataclass(frozen=True)
class Fusion:
    """The fused value and how it was made.

    ``terms`` holds the present terms only; ``weights`` the effective (renormalised) weights
    over them, summing to 1; ``nominal_weights`` the configured weights over all components;
    ``dropped`` the components whose stage did not run, in :data:`COMPONENTS` order.
    """

    value: float
    terms: dict[str, float]
    weights: dict[str, float]
    nominal_weights: dict[str, float]
    dropped: tuple[str, ...]

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def describe_dropped(self) -> str:
        """One sentence for the report: which stages dropped out and what that did."""
        if not self.dropped:
            return "All five components contributed to V."
        lost = math.fsum(self.nominal_weights[n] for n in self.dropped)
        return (
            f"Did not run: {', '.join(self.dropped)} (nominal weight {lost:.3f}); "
            f"the weights of {', '.join(self.present)} were renormalised to sum to 1."
        )


def fuse(terms: Mapping[str, float | None], weights: Mapping[str, float]) -> Fusion:
    """V = sum of w_i * x_i over the present terms, with the weights renormalised over them.

    ``terms`` and ``weights`` must name the same components. Raises ``ValueError`` when no
    component ran, or when every present component has weight 0 (V would be undefined).
    """
    names = tuple(n for n in COMPONENTS if n in weights) + tuple(
        sorted(n for n in weights if n not in COMPONENTS)
    )
    validate_weights(weights, names)
    if set(terms) != set(names):
        raise ValueError(f"terms must name {list(names)}, got {sorted(terms)}")
    present: dict[str, float] = {}
    for name in names:
        x = terms[name]
        if x is None:
            continue
        x = float(x)
        if not math.isfinite(x) or x < 0.0 or x > 1.0:
            raise ValueError(f"term {name!r} must be in [0, 1], got {x!r}")
        present[name] = x
    dropped = tuple(n for n in names if terms[n] is None)
    if not present:
        raise ValueError("no component ran: V is undefined")
    mass = math.fsum(weights[n] for n in present)
    if mass <= _WEIGHT_TOL:
        raise ValueError(f"the present components {list(present)} all have weight 0")
    effective = {n: weights[n] / mass for n in present}
    value = math.fsum(effective[n] * present[n] for n in present)
    return Fusion(
        value=min(1.0, max(0.0, value)),
        terms=present,
        weights=effective,
        nominal_weights={n: float(weights[n]) for n in names},
        dropped=dropped,
    )
