"""Fusion applied to one assessment: stage results -> V, Shapley, calibrated score, HyperScore.

The library modules of this package are pure formulas; this module decides *what goes into
them* for a real assessment and where the parameters come from:

* terms: ``StageResult.score`` of logic, novelty, repro (already in [0, 1]) and impact
  (``score`` is ImpactFore / 100, passed on as ImpactFore), plus Meta from :mod:`..meta`.
  A stage that is absent, skipped, not applicable or failed is *dropped* (its summary says
  why) rather than scored 0: a project must not lose points because a stage did not run.
* weights: learned weights from ``<data_dir>/weights.json`` when the review loop has written
  them, else the AHP default matrix.
* calibration: the user's ``<data_dir>/calibration.json`` when present, else the factory
  calibration shipped in ``fusion/data/factory-calibration.json`` (fitted on the development
  set by ``make calibrate-fusion``), else the documented default prior.

A corrupt state file is ignored with a one-line note in ``FusionSummary.note``; an assessment
never fails because of the user's data directory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hyperscore.evaluators.assessment import (
    ComponentResult,
    Dimension,
    FusionSummary,
    PracticeResult,
    PracticeState,
    StageResult,
)
from hyperscore.evaluators.fusion.ahp import default_matrix
from hyperscore.evaluators.fusion.calibration import Calibration, default_prior
from hyperscore.evaluators.fusion.components import (
    COMPONENT_TITLES,
    COMPONENTS,
    IMPACT_MAX,
    component_terms,
    fuse,
    validate_weights,
)
from hyperscore.evaluators.fusion.hyperscore import hyperscore
from hyperscore.evaluators.fusion.shapley import attribute
from hyperscore.evaluators.fusion.state import calibration_path, weights_path

FACTORY_CALIBRATION = "data/factory-calibration.json"

#: Below this Meta (stability) an assessment is reported as low-confidence (docs/scoring.md).
UNSTABLE_META = 0.6

#: The stages whose ``StageResult.score`` feeds a term, by component name.
STAGE_COMPONENTS: tuple[str, ...] = ("logic", "novelty", "impact", "repro")


def practice_coverage(practices: Iterable[PracticeResult]) -> float:
    """Level-weighted share of the catalogue's practices with evidence, in [0, 1]:

        coverage = sum of level over present practices / sum of level over all practices

    Why level-weighted: a level-3 practice (say, automated deployment) is more maturity than a
    level-1 one (a README), and experts grade it so; claims without evidence do not count.
    """
    items = list(practices)
    total = sum(p.level for p in items)
    if total <= 0:
        return 0.0
    return sum(p.level for p in items if p.state == PracticeState.PRESENT) / total


@dataclass(frozen=True)
class FusionState:
    """Where weights and calibration come from for this run, with notes on what was ignored."""

    weights: dict[str, float]
    weights_source: str
    consistency_ratio: float | None
    calibration: Calibration
    calibration_source: str
    notes: tuple[str, ...] = ()


@cache
def factory_calibration() -> Calibration | None:
    """The shipped factory calibration, or None when the package has none (then the prior)."""
    try:
        raw = resources.files(__package__).joinpath(FACTORY_CALIBRATION).read_text()
        return Calibration.from_json(json.loads(raw))
    except (FileNotFoundError, OSError, ValueError, KeyError, TypeError):
        return None


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _learned_weights(path: Path, notes: list[str]) -> tuple[dict[str, float], int] | None:
    if not path.is_file():
        return None
    try:
        data = _read_json(path)
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        validate_weights(weights, COMPONENTS)
        return weights, int(data.get("reviews", 0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        notes.append(f"ignored {path}: {' '.join(str(err).split())[:160]}")
        return None


def _user_calibration(path: Path, notes: list[str]) -> Calibration | None:
    if not path.is_file():
        return None
    try:
        cal = Calibration.from_json(_read_json(path))
        unknown = [n for n in cal.feature_names if n not in _KNOWN_FEATURES]
        if unknown:
            raise ValueError(f"unknown features {unknown}")
        return cal
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        notes.append(f"ignored {path}: {' '.join(str(err).split())[:160]}")
        return None


_KNOWN_FEATURES = frozenset({"intercept", "V", "coverage", *(f"level:{d}" for d in Dimension)})


def load_state(
    weights: Mapping[str, float] | None = None, calibration: Calibration | None = None
) -> FusionState:
    """Resolve weights and calibration: explicit arguments > user state > factory > default."""
    notes: list[str] = []
    ahp = default_matrix().check()
    if weights is not None:
        validate_weights(weights, COMPONENTS)
        w, wsource, cr = dict(weights), "policy", None
    elif (learned := _learned_weights(weights_path(), notes)) is not None:
        w, wsource, cr = learned[0], f"learned ({learned[1]} reviews)", None
    else:
        w, wsource, cr = ahp.as_dict(), "ahp-default", ahp.cr
    if calibration is not None:
        cal, csource = calibration, calibration.note or "given"
    elif (user := _user_calibration(calibration_path(), notes)) is not None:
        cal, csource = user, f"user calibration ({user.n_obs} labels, {calibration_path()})"
    elif (factory := factory_calibration()) is not None:
        cal, csource = factory, f"factory calibration ({factory.n_obs} labels, development set)"
    else:
        cal, csource = default_prior(), "default prior (no labels)"
    return FusionState(w, wsource, cr, cal, csource, tuple(notes))


def state_stamp() -> str:
    """What the assessment cache must know of the user state (paths and mtimes)."""
    parts = []
    for path in (weights_path(), calibration_path()):
        try:
            parts.append(f"{path}:{path.stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:absent")
    return ";".join(parts)


@dataclass(frozen=True)
class StageTerms:
    """The four stage terms (None = dropped), their raw outputs and why any was dropped."""

    terms: dict[str, float | None]
    raw: dict[str, float | None]
    why: dict[str, str]


def stage_terms(stages: Mapping[str, StageResult]) -> StageTerms:
    """Read the stage results; impact's score is ImpactFore / 100 and enters as ImpactFore."""
    raw: dict[str, float | None] = {}
    why: dict[str, str] = {}
    for name in STAGE_COMPONENTS:
        result = stages.get(name)
        if result is None:
            raw[name], why[name] = None, f"the {name} stage did not run in this assessment"
        elif result.status != "ok" or result.score is None:
            raw[name] = None
            why[name] = f"{result.status}: {result.summary}".strip().rstrip(":")
        else:
            raw[name] = float(result.score) * (IMPACT_MAX if name == "impact" else 1.0)
    impact = raw["impact"]
    terms = component_terms(
        logic=raw["logic"],
        novelty=raw["novelty"],
        impact_fore=None if impact is None else min(IMPACT_MAX, max(0.0, impact)),
        repro=raw["repro"],
    )
    terms.pop("meta")
    return StageTerms(terms, raw, why)


@dataclass(frozen=True)
class FusedScore:
    """Everything fusion adds to an :class:`Assessment`."""

    score: float
    interval: tuple[float, float]
    hyper_score: float
    components: dict[str, ComponentResult]
    summary: FusionSummary
    v: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def calibrated(state: FusionState, v: float, levels: Mapping[str, int], coverage: float) -> float:
    """The calibrated point score for V and the dimension profile (used by Meta's replicates)."""
    return state.calibration.score(v, levels, coverage).score


def fuse_assessment(
    stages: Mapping[str, StageResult],
    levels: Mapping[str, int],
    coverage: float,
    state: FusionState,
    meta: float | None = None,
    meta_details: Mapping[str, Any] | None = None,
    meta_why: str = "",
) -> FusedScore:
    """V, its Shapley attribution, the calibrated score with its 90% interval, the HyperScore.

    ``meta`` is the stability from :func:`hyperscore.evaluators.meta.meta_stability` (None:
    the meta component is dropped, ``meta_why`` says why).
    """
    st = stage_terms(stages)
    terms: dict[str, float | None] = {**st.terms, "meta": meta}
    why = dict(st.why)
    if meta is None:
        why["meta"] = meta_why or "the meta-evaluation did not run"
    raw: dict[str, float | None] = {**st.raw, "meta": meta}
    notes = list(state.notes)
    try:
        fusion = fuse(terms, state.weights)
    except ValueError as err:  # every present component has weight 0 (learned weights)
        notes.append(f"learned weights unusable ({err}); AHP default used")
        fusion = fuse(terms, default_matrix().weights())
    attribution = attribute(fusion)
    pred = state.calibration.score(fusion.value, levels, coverage)
    components = {
        name: ComponentResult(
            name=name,
            title=COMPONENT_TITLES[name],
            status="used" if name in fusion.terms else "dropped",
            term=fusion.terms.get(name),
            raw=raw.get(name),
            weight=fusion.weights.get(name, 0.0),
            nominal_weight=fusion.nominal_weights[name],
            shapley=attribution.contributions.get(name),
            why="" if name in fusion.terms else why.get(name, "did not run"),
        )
        for name in COMPONENTS
    }
    details = dict(meta_details or {})
    confidence = "low" if meta is not None and meta < UNSTABLE_META else "high"
    notes.insert(0, fusion.describe_dropped())
    if confidence == "low":
        notes.append(f"low confidence: Meta {meta:.2f} < {UNSTABLE_META} (unstable assessment)")
    summary = FusionSummary(
        v=fusion.value,
        baseline_v=attribution.baseline_value,
        weights_source=state.weights_source,
        consistency_ratio=state.consistency_ratio,
        dropped=list(fusion.dropped),
        note=" ".join(notes),
        calibration=state.calibration_source,
        confidence=confidence,
        meta=details,
    )
    return FusedScore(
        score=round(pred.score, 1),
        interval=(round(pred.low, 1), round(pred.high, 1)),
        hyper_score=round(hyperscore(fusion.value), 3),
        components=components,
        summary=summary,
        v=fusion.value,
        extra={"coverage": coverage, "shapley_sum": math.fsum(attribution.contributions.values())},
    )
