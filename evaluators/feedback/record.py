"""What the feedback loop keeps of an assessment and of an expert's review of it.

A review is only useful for learning if the numbers the system produced are kept beside it:
the fused component terms (to re-fuse V under other weights), the dimension levels and the
calibration features (to refit the calibration), the score and its interval (to decide what
the expert disagrees with). :func:`record_from_report` extracts them from a JSON report as
``hyperscore assess --format json`` writes it, validated against the report schema so that a
file that is not a HyperScore report is refused at the door, not half-used later.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from hyperscore.evaluators.assessment import Assessment, Dimension
from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.apply import practice_coverage, stage_terms
from hyperscore.evaluators.fusion.calibration import LEVEL_MAX, feature_names, features
from hyperscore.evaluators.fusion.components import COMPONENTS, fuse

DIMENSIONS: tuple[str, ...] = tuple(d.value for d in Dimension)

#: Every feature a calibration may use (the default prior's and the factory's): a stored
#: assessment keeps them all, so a calibration over any subset can be refitted from the store.
ALL_FEATURES: tuple[str, ...] = ("intercept", "V", "coverage", *feature_names()[2:])

#: Report keys not kept in the store: the raw evidence and graph are large (about 100 kB for a
#: small project) and neither the debate nor the learning reads them.
_HEAVY_KEYS = ("evidence", "graph")


class FeedbackInputError(ValueError):
    """Bad user input to the feedback loop (a report, a review); the CLI prints it on one line."""


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_report(data: object, name: str = "report") -> Assessment:
    """The typed assessment of a JSON report, or :class:`FeedbackInputError` naming ``name``."""
    if not isinstance(data, Mapping):
        raise FeedbackInputError(f"{name}: not a HyperScore JSON report (expected an object)")
    try:
        return Assessment.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise FeedbackInputError(
            f"{name}: not a HyperScore JSON report ({where}: {first['msg']})"
        ) from None


def slim_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report without its raw evidence and graph: what the store keeps for the debate."""
    return {k: v for k, v in report.items() if k not in _HEAVY_KEYS}


def assessment_id(report: Mapping[str, Any]) -> str:
    """A content id: the same report gives the same id, so importing it twice is a no-op.

    Stage timings are left out of the hash: two runs of one unchanged project differ only
    there, and they are the same assessment for a reviewer.
    """
    slim = slim_report(report)
    stages = {
        name: {k: v for k, v in stage.items() if k != "timings"}
        for name, stage in (slim.get("stages") or {}).items()
        if isinstance(stage, Mapping)
    }
    canonical = json.dumps({**slim, "stages": stages}, sort_keys=True, separators=(",", ":"))
    return "a-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def component_terms_of(assessment: Assessment) -> dict[str, float | None]:
    """The five fused terms in [0, 1] (None: the stage did not run).

    From the report's ``components`` when fusion ran; for a report written before fusion, the
    stage terms as fusion reads them (:func:`fusion.apply.stage_terms`; no meta term then).
    """
    if assessment.components:
        return {
            c: (r.term if (r := assessment.components.get(c)) and r.status == "used" else None)
            for c in COMPONENTS
        }
    return {**stage_terms(assessment.stages).terms, "meta": None}


def fused_value(assessment: Assessment, terms: Mapping[str, float | None]) -> float:
    """V as the report states it; else fused with the AHP default weights; else, when no
    component ran, the rubric score / 100 (the centre of the default calibration prior)."""
    if assessment.fusion is not None:
        return assessment.fusion.v
    if any(t is not None for t in terms.values()):
        return fuse(terms, default_weights()).value
    base = assessment.baseline_score if assessment.baseline_score is not None else assessment.score
    return base / 100.0


@dataclass(frozen=True)
class AssessmentRecord:
    """One assessment as the feedback loop stores it (see the module docstring)."""

    id: str
    source: str
    recorded_at: str
    score: float
    interval: tuple[float, float] | None
    v: float
    terms: dict[str, float | None]
    levels: dict[str, int]
    coverage: float
    features: dict[str, float]
    report: dict[str, Any] = field(repr=False, compare=False)


def record_from_report(
    report: Mapping[str, Any], name: str = "report", recorded_at: str | None = None
) -> AssessmentRecord:
    """Validate a JSON report and extract what learning and the debate need."""
    assessment = parse_report(report, name)
    terms = component_terms_of(assessment)
    v = fused_value(assessment, terms)
    src = assessment.source
    source = src.location + (f"@{src.revision}" if src.revision else "")
    levels = {d: int(assessment.dimensions.get(d, 0)) for d in DIMENSIONS}
    interval = assessment.score_interval
    coverage = practice_coverage(assessment.practices)
    row = features(v, levels, ALL_FEATURES, coverage)
    return AssessmentRecord(
        id=assessment_id(report),
        source=source,
        recorded_at=recorded_at or now_utc(),
        score=float(assessment.score),
        interval=None if interval is None else (float(interval[0]), float(interval[1])),
        v=float(v),
        terms=terms,
        levels=levels,
        coverage=coverage,
        features=dict(zip(ALL_FEATURES, (float(x) for x in row), strict=True)),
        report=slim_report(report),
    )


@dataclass(frozen=True)
class Review:
    """An expert's judgement: overall score 0-100 and/or levels 0-4 per dimension."""

    assessment_id: str
    reviewer: str
    score: float | None
    levels: dict[str, int]
    comment: str = ""
    created_at: str = field(default_factory=now_utc)

    def __post_init__(self) -> None:
        if not self.reviewer.strip():
            raise FeedbackInputError("reviewer: must not be empty")
        if self.score is not None and not (
            math.isfinite(self.score) and 0.0 <= self.score <= 100.0
        ):
            raise FeedbackInputError(f"--score {self.score:g}: must be in 0-100")
        for dim, level in self.levels.items():
            if dim not in DIMENSIONS:
                raise FeedbackInputError(
                    f"--dimension {dim}: unknown dimension (one of {', '.join(DIMENSIONS)})"
                )
            if not 0 <= level <= LEVEL_MAX:
                raise FeedbackInputError(f"--dimension {dim}={level}: level must be 0-{LEVEL_MAX}")
        if self.score is None and not self.levels:
            raise FeedbackInputError("a review needs --score and/or at least one --dimension")


def parse_dimension_levels(items: Iterable[str]) -> dict[str, int]:
    """``["testing=3", "data=2"]`` -> ``{"testing": 3, "data": 2}``; a bad item names itself."""
    levels: dict[str, int] = {}
    for item in items:
        dim, sep, raw = item.partition("=")
        dim = dim.strip().lower()
        if not sep or not dim:
            raise FeedbackInputError(f"--dimension {item!r}: expected NAME=LEVEL, e.g. testing=3")
        if dim not in DIMENSIONS:
            raise FeedbackInputError(
                f"--dimension {item!r}: unknown dimension (one of {', '.join(DIMENSIONS)})"
            )
        try:
            level = int(raw.strip())
        except ValueError:
            raise FeedbackInputError(f"--dimension {item!r}: level must be an integer") from None
        if not 0 <= level <= LEVEL_MAX:
            raise FeedbackInputError(f"--dimension {item!r}: level must be 0-{LEVEL_MAX}")
        if dim in levels:
            raise FeedbackInputError(f"--dimension {dim}: given twice")
        levels[dim] = level
    return levels
