"""Decide each catalogue practice's state and each dimension's level.

A practice is *present* when its detector cites artefacts, *claimed-only* when only prose
claims it (from the semantic parser), *absent* otherwise. A dimension's level is the highest
level whose rule in ``catalogue/levels.yaml`` holds, where claimed-only practices satisfy
level-1 rules only (the rubric caps claims at 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hyperscore.evaluators.assessment import (
    Citation,
    Dimension,
    DimensionResult,
    PracticeResult,
    PracticeState,
)
from hyperscore.evaluators.catalogue import (
    evaluate_rule,
    load_level_rules,
    load_practices,
    missing_for,
)
from hyperscore.evaluators.decompose.context import DetectionContext

Detector = Callable[[DetectionContext], list[Citation]]
F = TypeVar("F", bound=Detector)

_DETECTORS: dict[str, Detector] = {}
MAX_CITATIONS = 8


def detects(practice_id: str) -> Callable[[F], F]:
    """Register the detector for one catalogue practice."""

    def register(fn: F) -> F:
        if practice_id in _DETECTORS:
            raise ValueError(f"two detectors for practice {practice_id!r}")
        _DETECTORS[practice_id] = fn
        return fn

    return register


def detectors() -> dict[str, Detector]:
    from hyperscore.evaluators.decompose import detectors as package

    package.load_all()
    return dict(_DETECTORS)


def detect_practices(ctx: DetectionContext) -> list[PracticeResult]:
    results = []
    registry = detectors()
    for pid, practice in load_practices().items():
        detector = registry.get(pid)
        evidence = _dedupe(detector(ctx)) if detector else []
        claims = ctx.claims.get(pid, [])
        if evidence:
            state = PracticeState.PRESENT
        elif claims:
            state = PracticeState.CLAIMED_ONLY
        else:
            state = PracticeState.ABSENT
        results.append(
            PracticeResult(
                id=pid,
                dimension=practice.dimension,
                level=practice.level,
                title=practice.title,
                state=state,
                evidence=evidence[:MAX_CITATIONS],
                claims=claims[:MAX_CITATIONS],
            )
        )
    return results


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for c in citations:
        key = (c.path, c.line, c.what)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def dimension_levels(practices: list[PracticeResult]) -> list[DimensionResult]:
    rules = load_level_rules()
    present = {p.id for p in practices if p.state == PracticeState.PRESENT}
    claimed = {p.id for p in practices if p.state == PracticeState.CLAIMED_ONLY}
    by_id = {p.id: p for p in practices}
    out = []
    for dim in Dimension:
        level = 0
        for lvl in sorted(rules[dim]):
            usable = present | claimed if lvl == 1 else present
            if evaluate_rule(rules[dim][lvl], usable):
                level = lvl
        earned = sorted(p.id for p in practices if p.dimension == dim and p.id in present)
        dim_claims = sorted(p.id for p in practices if p.dimension == dim and p.id in claimed)
        next_steps = missing_for(rules[dim][level + 1], present) if level < 4 else []
        out.append(
            DimensionResult(
                name=dim,
                level=level,
                earned_by=earned,
                claimed_only=dim_claims,
                next_steps=next_steps,
                rationale=_rationale(dim, level, earned, dim_claims, next_steps, by_id),
            )
        )
    return out


def _rationale(
    dim: Dimension,
    level: int,
    earned: list[str],
    claims: list[str],
    next_steps: list[str],
    by_id: dict[str, PracticeResult],
) -> str:
    def titles(ids: list[str]) -> str:
        return ", ".join(by_id[i].title if i in by_id else i for i in ids)

    parts = [f"{dim.value} is at level {level}"]
    parts.append(f"present: {titles(earned)}" if earned else "no practice detected")
    if claims:
        parts.append(f"claimed in prose only (capped at level 1): {titles(claims)}")
    if next_steps:
        parts.append(f"for level {level + 1}: {titles(next_steps)}")
    return "; ".join(parts) + "."
