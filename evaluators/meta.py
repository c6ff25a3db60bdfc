"""Meta-self-evaluation: how stable is this assessment's score under plausible perturbations?

A score that moves a lot when one piece of evidence goes missing, when the fusion weights are
judged slightly differently, or when the claim matcher is a little stricter, deserves less
trust than one that does not. Meta measures that and feeds it back into V as the fifth term.

Each of R replicates (default 16, fixed seed, so the result is deterministic) perturbs:

1. **evidence** -- a bootstrap resample (n draws with replacement) of the evidence items;
   practice detection and the dimension levels are re-run on it (a fresh
   :class:`DetectionContext`; the semantic claims are reused, not re-embedded);
2. **similarity thresholds** -- each claim is kept only if its similarity still clears its
   practice's threshold raised by delta ~ U(0, 0.04) (claims below the threshold were never
   embedded as claims, so the jitter is one-sided: stricter, never laxer);
3. **AHP weights** -- every upper-triangle judgement a_ij of the comparison matrix is multiplied
   by exp(u), u ~ U(-ln 1.5, ln 1.5), and the perturbed matrix is used only if its consistency
   ratio stays <= 0.1 (else it is redrawn, at most 20 times, then the default is used).

The replicate score s_r is the calibrated score of the replicate's V, levels and coverage, and

    Meta = max(0, 1 - sd_r(s_r) / TAU),    TAU = 20 points

(sd over replicates; an assessment whose score wobbles by 2 points has Meta 0.9, by 10 points
0.5). Meta is itself a term of V, so the computation is a fixed-point iteration: start from
Meta_0 = 1, re-score every replicate with Meta_k in V, set Meta_{k+1} from their spread, and
stop when |Meta_{k+1} - Meta_k| < EPSILON (1e-3; at most 20 rounds). The evidence replicates are
computed once; only the weights/fusion part is iterated, so the loop is cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperscore.evaluators.assessment import Citation, PracticeResult, StageResult
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.practices import detect_practices, dimension_levels
from hyperscore.evaluators.fusion.ahp import (
    CR_THRESHOLD,
    DEFAULT_COMPARISONS,
    AHPMatrix,
)
from hyperscore.evaluators.fusion.apply import (
    FusionState,
    calibrated,
    practice_coverage,
    stage_terms,
)
from hyperscore.evaluators.fusion.components import COMPONENTS, fuse

REPLICATES = 16
SEED = 20261127
TAU = 20.0
EPSILON = 1e-3
MAX_ROUNDS = 20
WEIGHT_JITTER = math.log(1.5)
THRESHOLD_JITTER = 0.04
_MAX_REDRAWS = 20
_SIM = re.compile(r"\((\d\.\d+)\)")


@dataclass(frozen=True)
class Replicate:
    """One perturbed re-assessment: its dimension levels, coverage and fusion weights."""

    levels: dict[str, int]
    coverage: float
    weights: dict[str, float]


@dataclass(frozen=True)
class MetaResult:
    """Meta in [0, 1] and how it was obtained (for ``FusionSummary.meta``)."""

    value: float
    sd: float
    rounds: int
    scores: tuple[float, ...]
    details: dict[str, Any] = field(default_factory=dict)


def perturbed_weights(rng: np.random.Generator) -> dict[str, float]:
    """AHP weights of the default judgements, each scaled by exp(U(-ln 1.5, ln 1.5)), keeping
    only consistent matrices (CR <= 0.1); the default weights after too many redraws."""
    for _ in range(_MAX_REDRAWS):
        jittered = {
            pair: value * math.exp(rng.uniform(-WEIGHT_JITTER, WEIGHT_JITTER))
            for pair, value in DEFAULT_COMPARISONS.items()
        }
        result = AHPMatrix.from_comparisons(COMPONENTS, jittered).evaluate()
        if result.cr <= CR_THRESHOLD:
            return result.as_dict()
    return AHPMatrix.from_comparisons(COMPONENTS, DEFAULT_COMPARISONS).weights()


def _similarity(claim: Citation) -> float | None:
    match = _SIM.search(claim.what)
    return float(match.group(1)) if match else None


def jitter_claims(
    claims: Mapping[str, list[Citation]], delta: float, threshold: Callable[[str], float]
) -> dict[str, list[Citation]]:
    """Claims that still clear ``threshold(practice) + delta`` (unparseable ones are kept)."""
    out: dict[str, list[Citation]] = {}
    for pid, cites in claims.items():
        kept = [c for c in cites if (s := _similarity(c)) is None or s >= threshold(pid) + delta]
        if kept:
            out[pid] = kept
    return out


def _claim_threshold() -> Callable[[str], float]:
    """The semantic matcher's per-practice threshold (only consulted when there are claims)."""
    from hyperscore.evaluators.decompose.semantic import calibration

    cal = calibration()
    return lambda pid: cal.thresholds.get(pid, cal.default)


def replicates(ctx: DetectionContext, n: int = REPLICATES, seed: int = SEED) -> list[Replicate]:
    """The evidence/threshold/weight perturbations, each re-running practice detection."""
    rng = np.random.default_rng(seed)
    evidence = ctx.result.evidence
    threshold = _claim_threshold() if ctx.claims else (lambda _pid: 0.0)
    out = []
    for _ in range(n):
        picks: list[int] = sorted({int(i) for i in rng.integers(0, len(evidence), len(evidence))})
        result = ctx.result.model_copy(update={"evidence": [evidence[i] for i in picks]})
        delta = float(rng.uniform(0.0, THRESHOLD_JITTER))
        claims = jitter_claims(ctx.claims, delta, threshold) if ctx.claims else {}
        practices: list[PracticeResult] = detect_practices(
            DetectionContext(result=result, claims=claims)
        )
        levels = {d.name.value: d.level for d in dimension_levels(practices)}
        out.append(Replicate(levels, practice_coverage(practices), perturbed_weights(rng)))
    return out


def stability(
    reps: list[Replicate], terms: Mapping[str, float | None], state: FusionState
) -> MetaResult:
    """Iterate Meta_{k+1} = max(0, 1 - sd(scores under Meta_k) / TAU) to a fixed point;
    ``terms`` are the four stage terms (:func:`stage_terms`), None for a dropped stage."""
    meta, rounds, sd = 1.0, 0, 0.0
    scores: list[float] = []
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 -- rounds is reported
        scores = [
            calibrated(state, fuse({**terms, "meta": meta}, r.weights).value, r.levels, r.coverage)
            for r in reps
        ]
        sd = float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0
        new = max(0.0, 1.0 - sd / TAU)
        converged = abs(new - meta) < EPSILON
        meta = new
        if converged:
            break
    levels_changed = sum(1 for r in reps if r.levels != reps[0].levels)
    return MetaResult(
        value=round(meta, 4),
        sd=sd,
        rounds=rounds,
        scores=tuple(round(s, 2) for s in scores),
        details={
            "replicates": len(reps),
            "score_sd": round(sd, 3),
            "score_range": [round(min(scores), 1), round(max(scores), 1)] if scores else [],
            "rounds": rounds,
            "tau": TAU,
            "epsilon": EPSILON,
            "seed": SEED,
            "level_profiles": len({tuple(sorted(r.levels.items())) for r in reps}),
            "replicates_differing_from_first": levels_changed,
        },
    )


def meta_stability(
    ctx: DetectionContext,
    stages: Mapping[str, StageResult],
    state: FusionState,
    n: int = REPLICATES,
    seed: int = SEED,
) -> MetaResult:
    """Meta of one assessment (module docstring); deterministic for a given ``seed``."""
    return stability(replicates(ctx, n, seed), stage_terms(stages).terms, state)
