"""Schemas of an assessment: practices detected, dimension levels, findings, the report.

These are the typed values that module 2 (decomposition) produces and every report format,
later stage and the operator's status consume. ``Assessment.to_json_dict`` is the JSON report;
its top level always carries ``score`` (0-100), ``level`` (0-4) and ``dimensions``
(name -> level) so scripts can read them without knowing the rest of the schema.
"""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hyperscore.evaluators.model import SCHEMA_VERSION, IngestStats, SourceInfo

REPORT_SCHEMA_VERSION = "1.0"


class Dimension(enum.StrEnum):
    """The eight dimensions of the maturity model (../shared/bench/RUBRIC.md)."""

    REPRODUCIBILITY = "reproducibility"
    DATA = "data"
    TRACKING = "tracking"
    TESTING = "testing"
    AUTOMATION = "automation"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"
    GOVERNANCE = "governance"


class PracticeState(enum.StrEnum):
    PRESENT = "present"
    CLAIMED_ONLY = "claimed-only"
    ABSENT = "absent"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]


class Citation(BaseModel):
    """One piece of evidence behind a judgement: where, and what was seen."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int | None = None
    end_line: int | None = None
    what: str
    evidence_id: str | None = None

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class References(BaseModel):
    model_config = ConfigDict(frozen=True)

    ml_test_score: list[str] = Field(default_factory=list)
    google_mlops_level: int | None = Field(default=None, ge=0, le=2)
    azure_mlops_level: int | None = Field(default=None, ge=0, le=4)
    links: list[str] = Field(default_factory=list)


class Practice(BaseModel):
    """A catalogue entry (evaluators/catalogue/practices/*.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    dimension: Dimension
    level: int = Field(ge=1, le=4, description="the dimension level this practice evidences")
    title: str
    description: str
    detection: str = Field(description="how the detector decides, in words")
    remediation: str
    references: References = Field(default_factory=References)
    claims: list[str] = Field(
        default_factory=list,
        description="example sentences a README might use to claim this practice "
        "(used by the semantic parser)",
    )
    effort: Literal["low", "medium", "high"] = "medium"


class PracticeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dimension: Dimension
    level: int
    title: str
    state: PracticeState
    evidence: list[Citation] = Field(default_factory=list)
    claims: list[Citation] = Field(default_factory=list)


class DimensionResult(BaseModel):
    name: Dimension
    level: int = Field(ge=0, le=4)
    rationale: str
    earned_by: list[str] = Field(default_factory=list, description="practice ids")
    claimed_only: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(
        default_factory=list, description="practice ids missing for the next level"
    )


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    severity: Severity
    path: str
    line: int | None = None
    message: str
    remediation: str
    dimension: Dimension | None = None
    tags: list[str] = Field(default_factory=list)

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


CheckResult = Literal["proved", "refuted", "unknown", "not-applicable", "passed", "failed", "error"]
StageStatus = Literal["ok", "not-applicable", "skipped", "error"]


class Check(BaseModel):
    """One individual check of a stage (a proof obligation, a sandbox run, a KB match)."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    statement: str = Field(description="what is checked, in words")
    result: CheckResult
    evidence: list[Citation] = Field(default_factory=list)
    counterexample: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class StageResult(BaseModel):
    stage: str
    status: StageStatus
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    summary: str = ""
    checks: list[Check] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def not_applicable(cls, stage: str, why: str) -> StageResult:
        return cls(stage=stage, status="not-applicable", score=None, summary=why)

    @classmethod
    def skipped(cls, stage: str, why: str) -> StageResult:
        return cls(stage=stage, status="skipped", score=None, summary=why)


ComponentName = Literal["logic", "novelty", "impact", "repro", "meta"]


class ComponentResult(BaseModel):
    """One of the five fused components (docs/scoring.md): its term, weight and attribution."""

    model_config = ConfigDict(frozen=True)

    name: ComponentName
    title: str
    status: Literal["used", "dropped"]
    term: float | None = Field(default=None, ge=0.0, le=1.0, description="term in [0, 1]")
    raw: float | None = Field(
        default=None, description="the stage output before mapping (ImpactFore is 0-100)"
    )
    weight: float = Field(ge=0.0, le=1.0, description="effective weight (renormalised)")
    nominal_weight: float = Field(ge=0.0, le=1.0, description="configured weight")
    shapley: float | None = Field(default=None, description="Shapley share of V - baseline")
    why: str = Field(default="", description="why the component was dropped, if it was")


class FusionSummary(BaseModel):
    """How V, the calibrated score and the HyperScore were made (issue 7)."""

    v: float = Field(ge=0.0, le=1.0)
    baseline_v: float = Field(ge=0.0, le=1.0, description="Shapley baseline V")
    weights_source: str = Field(description="ahp-default | policy | learned")
    consistency_ratio: float | None = None
    dropped: list[str] = Field(default_factory=list)
    note: str = ""
    calibration: str = Field(default="", description="which calibration produced `score`")
    confidence: Literal["high", "low"] = "high"
    meta: dict[str, Any] = Field(default_factory=dict, description="stability details")


class RoadmapItem(BaseModel):
    """A what-if step: adopt a missing practice, forecast gain in points (issue 6)."""

    model_config = ConfigDict(frozen=True)

    practice: str
    title: str
    dimension: Dimension
    gain: float = Field(description="forecast change of ImpactFore in points (0-100 scale)")
    prerequisites: list[str] = Field(default_factory=list, description="practice ids")
    effort: Literal["low", "medium", "high"] = "medium"
    rationale: str = ""


class Assessment(BaseModel):
    """The whole report. Later stages (logic, sandbox, novelty, impact, fusion) add fields.

    ``score`` is the headline 0-100 number: the calibrated score when fusion ran, otherwise
    the rubric baseline. Camel-case JSON names (``hyperScore``, ``scoreInterval``) are the
    serialisation aliases the issue asks for; the Python names are snake case.
    """

    model_config = ConfigDict(populate_by_name=True)

    schema_version: str = REPORT_SCHEMA_VERSION
    evidence_schema_version: str = SCHEMA_VERSION
    tool_version: str
    source: SourceInfo
    score: float = Field(ge=0, le=100, description="explainable baseline score 0-100")
    level: int = Field(ge=0, le=4)
    dimensions: dict[str, int]
    dimension_details: list[DimensionResult]
    practices: list[PracticeResult]
    findings: list[Finding]
    stats: IngestStats
    stages: dict[str, StageResult] = Field(
        default_factory=dict, description="evaluation stage results by stage name"
    )
    summary: dict[str, Any] = Field(default_factory=dict)
    baseline_score: float | None = Field(
        default=None, ge=0, le=100, description="the explainable rubric score 0-100"
    )
    score_interval: tuple[float, float] | None = Field(
        default=None, alias="scoreInterval", description="90% credible interval of `score`"
    )
    hyper_score: float | None = Field(
        default=None, alias="hyperScore", description="100 * [1 + sigma(beta ln V + gamma)^kappa]"
    )
    components: dict[str, ComponentResult] = Field(
        default_factory=dict, description="the five fused components by name"
    )
    fusion: FusionSummary | None = None
    roadmap: list[RoadmapItem] = Field(
        default_factory=list,
        description="what-if roadmap in priority order: prerequisites first, then by gain",
    )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
