"""Pydantic models of the operator's three kinds: the one source of truth for their schemas.

The CRDs in ``crds/`` are generated from these models (``crdgen``), and the controller parses and
writes objects through them, so the API server and the operator can never disagree on a field.
Fields are snake_case in Python and camelCase on the wire (``alias_generator=to_camel``); dump
with ``model_dump(by_alias=True, exclude_none=True, mode="json")``.

Cross-field rules are written twice on purpose: as CEL (``x-kubernetes-validations``, carried
into the CRD through ``json_schema_extra``) so ``kubectl apply`` rejects a bad object at once,
and as a pydantic validator so objects built in Python fail the same way before they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

GROUP = "hyperscore.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

ConditionStatus = Literal["True", "False", "Unknown"]
SeverityName = Literal["critical", "high", "medium", "low"]
EffortName = Literal["low", "medium", "high"]

# metav1.Condition's own patterns and limits, so our conditions behave like built-in ones.
CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

# Condition types of a MaturityAssessment (Ready is the summary a human looks at first).
READY = "Ready"
SOURCE_AVAILABLE = "SourceAvailable"
SCORED = "Scored"
DEGRADED = "Degraded"
REVIEW_REQUESTED = "ReviewRequested"
ASSESSMENT_CONDITIONS = (READY, SOURCE_AVAILABLE, SCORED, DEGRADED, REVIEW_REQUESTED)

MIN_INTERVAL_SECONDS = 60  # a shorter period only re-scores an unchanged tree and loads the API
MAX_TOP_ITEMS = 10  # top findings / roadmap items kept in status; the rest go to the report
MAX_AHP_CRITERIA = 16  # bounds the CEL cost of the matrix rule (the API server estimates it)

SOURCE_RULE = "[has(self.git), has(self.configMapRef), has(self.pvc)].filter(x, x).size() == 1"
SOURCE_MESSAGE = "spec.source must set exactly one of git, configMapRef or pvc"
SCHEDULE_RULE = "has(self.intervalSeconds) != has(self.cron)"
SCHEDULE_MESSAGE = "spec.schedule must set exactly one of intervalSeconds (>= 60) or cron"
AHP_RULE = (
    "self.matrix.size() == self.criteria.size() && "
    "self.matrix.all(row, row.size() == self.criteria.size())"
)
AHP_MESSAGE = "spec.ahp.matrix must be square, one row and one column per criterion"


def _cel(rule: str, message: str) -> dict[str, Any]:
    return {"x-kubernetes-validations": [{"rule": rule, "message": message}]}


def _list_map(*keys: str) -> dict[str, Any]:
    """A list merged by key under server-side apply (like ``conditions`` in core types)."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are ignored (forward compat)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class LocalObjectReference(ApiModel):
    """A reference to an object in the same namespace as the referrer."""

    name: str = Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)


class Condition(ApiModel):
    """One aspect of the object's state, shaped exactly like metav1.Condition."""

    type: str = Field(max_length=316, pattern=CONDITION_TYPE_PATTERN)
    status: ConditionStatus
    reason: str = Field(min_length=1, max_length=1024, pattern=REASON_PATTERN)
    message: str = Field(default="", max_length=32768)
    last_transition_time: datetime
    observed_generation: int | None = Field(default=None, ge=0)


# --------------------------------------------------------------------------- MaturityAssessment


class GitSource(ApiModel):
    url: str = Field(min_length=1, max_length=2048, description="clone URL (https, ssh or git)")
    revision: str | None = Field(
        default=None,
        max_length=256,
        description="branch, tag or commit; the default branch if unset",
    )
    credentials_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description="Secret with username/password, token or ssh-privatekey keys for private repos",
    )


class PvcSource(ApiModel):
    claim_name: str = Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)
    path: str = Field(default="/", max_length=4096, description="project root inside the volume")


class Source(ApiModel):
    """Where the project's files come from: exactly one of the three."""

    model_config = ConfigDict(json_schema_extra=_cel(SOURCE_RULE, SOURCE_MESSAGE))

    git: GitSource | None = None
    config_map_ref: LocalObjectReference | None = Field(
        default=None, description="a ConfigMap whose keys are file paths (small projects, tests)"
    )
    pvc: PvcSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Source:
        if sum(x is not None for x in (self.git, self.config_map_ref, self.pvc)) != 1:
            raise ValueError(SOURCE_MESSAGE)
        return self


class Schedule(ApiModel):
    """Periodic re-scoring; without a schedule an assessment is scored on every spec change."""

    model_config = ConfigDict(json_schema_extra=_cel(SCHEDULE_RULE, SCHEDULE_MESSAGE))

    interval_seconds: int | None = Field(default=None, ge=MIN_INTERVAL_SECONDS)
    cron: str | None = Field(default=None, min_length=9, max_length=128, description="5 fields")

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.interval_seconds is None) == (self.cron is None):
            raise ValueError(SCHEDULE_MESSAGE)
        return self


class StageSettings(ApiModel):
    enabled: bool = True
    sandbox: bool | None = Field(
        default=None, description="run the stage in an isolated Job; the operator default if unset"
    )


class MaturityAssessmentSpec(ApiModel):
    source: Source
    schedule: Schedule | None = None
    suspend: bool = Field(default=False, description="stop scheduled scoring; status is kept")
    stages: dict[str, StageSettings] = Field(
        default_factory=dict, description="per-stage switches, keyed by stage name"
    )
    policy_ref: LocalObjectReference | None = Field(
        default=None, description="a ScoringPolicy in this namespace; `default` if unset"
    )


class ScoreInterval(ApiModel):
    lower: float = Field(ge=0, le=100)
    upper: float = Field(ge=0, le=100)
    confidence: float = Field(default=0.9, gt=0, lt=1)


class DimensionStatus(ApiModel):
    name: str
    level: int = Field(ge=0, le=4)
    score: float | None = Field(default=None, ge=0, le=100)


class ComponentStatus(ApiModel):
    """A scoring component and its Shapley value: its share of the fused score."""

    name: str
    score: float | None = Field(default=None, ge=0, le=100)
    weight: float | None = Field(
        default=None, ge=0, le=1, description="effective weight (renormalised over those used)"
    )
    shapley: float


class FindingCounts(ApiModel):
    critical: int = Field(default=0, ge=0)
    high: int = Field(default=0, ge=0)
    medium: int = Field(default=0, ge=0)
    low: int = Field(default=0, ge=0)


class FindingSummary(ApiModel):
    rule_id: str
    severity: SeverityName
    title: str
    path: str | None = None
    line: int | None = Field(default=None, ge=0)


class FindingsStatus(ApiModel):
    counts: FindingCounts = Field(default_factory=FindingCounts)
    top: list[FindingSummary] = Field(default_factory=list, max_length=MAX_TOP_ITEMS)


class RoadmapItem(ApiModel):
    title: str
    practice: str | None = None
    dimension: str | None = None
    expected_gain: float | None = Field(default=None, description="score points if done")
    effort: EffortName | None = None


class ReportRef(ApiModel):
    """The owned ConfigMaps holding the full report when it does not fit the status."""

    config_maps: list[str] = Field(default_factory=list, max_length=64)
    key: str = "report.json"
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class AppliedPolicy(ApiModel):
    """Which weights and calibration scored the assessment; a new fingerprint rescores it."""

    name: str | None = Field(default=None, description="the ScoringPolicy; unset = built-in")
    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$", description="hash of weights+calibration")
    weights_source: str | None = None
    calibration_source: str | None = None


class MaturityAssessmentStatus(ApiModel):
    observed_generation: int | None = Field(default=None, ge=0)
    score: float | None = Field(default=None, ge=0, le=100)
    score_interval: ScoreInterval | None = None
    hyper_score: float | None = Field(
        default=None, ge=100, le=200, description="100 * [1 + sigma(beta ln V + gamma)^kappa]"
    )
    level: int | None = Field(default=None, ge=0, le=4)
    dimensions: list[DimensionStatus] = Field(
        default_factory=list, json_schema_extra=_list_map("name")
    )
    components: list[ComponentStatus] = Field(
        default_factory=list, json_schema_extra=_list_map("name")
    )
    findings: FindingsStatus | None = None
    roadmap: list[RoadmapItem] = Field(default_factory=list, max_length=MAX_TOP_ITEMS)
    source_revision: str | None = None
    last_scored_time: datetime | None = None
    report: ReportRef | None = None
    policy: AppliedPolicy | None = None
    conditions: list[Condition] = Field(default_factory=list, json_schema_extra=_list_map("type"))


# --------------------------------------------------------------------------- MaturityReview


class MaturityReviewSpec(ApiModel):
    """An expert's judgement of one assessment; the operator answers in status (the debate)."""

    assessment_ref: LocalObjectReference
    reviewer: str = Field(min_length=1, max_length=256)
    score: float | None = Field(
        default=None, ge=0, le=100, description="the expert's overall score"
    )
    level: int | None = Field(default=None, ge=0, le=4)
    dimensions: dict[str, int] = Field(
        default_factory=dict, description="the expert's level (0-4) per dimension"
    )
    comment: str = Field(default="", max_length=16384)
    source_revision: str | None = Field(default=None, description="the revision reviewed")


class DebatePoint(ApiModel):
    dimension: str
    expert: int | None = Field(default=None, ge=0, le=4)
    system: int | None = Field(default=None, ge=0, le=4)
    verdict: Literal["agree", "concede", "maintain"]
    argument: str = Field(default="", max_length=4096)


class MaturityReviewStatus(ApiModel):
    observed_generation: int | None = Field(default=None, ge=0)
    reply: str | None = Field(default=None, max_length=32768, description="the system's answer")
    points: list[DebatePoint] = Field(
        default_factory=list, json_schema_extra=_list_map("dimension")
    )
    incorporated: bool | None = Field(default=None, description="fed to the policy's learning")
    conditions: list[Condition] = Field(default_factory=list, json_schema_extra=_list_map("type"))


# --------------------------------------------------------------------------- ScoringPolicy


class AhpMatrix(ApiModel):
    """Saaty pairwise comparisons: ``matrix[i][j]`` is how much more criterion i matters than j."""

    model_config = ConfigDict(json_schema_extra=_cel(AHP_RULE, AHP_MESSAGE))

    criteria: list[str] = Field(min_length=2, max_length=MAX_AHP_CRITERIA)
    matrix: list[list[float]] = Field(min_length=2, max_length=MAX_AHP_CRITERIA)

    @model_validator(mode="after")
    def _square(self) -> AhpMatrix:
        n = len(self.criteria)
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(AHP_MESSAGE)
        return self


class LearningSettings(ApiModel):
    enabled: bool = True
    learning_rate: float = Field(default=0.05, gt=0, le=1)
    min_reviews: int = Field(default=5, ge=1, description="reviews before weights move")


class ScoringPolicySpec(ApiModel):
    ahp: AhpMatrix | None = None
    learning: LearningSettings = Field(default_factory=LearningSettings)
    calibration: Literal["bayesian", "none"] = Field(
        default="bayesian",
        description="bayesian: reviews refit the conjugate calibration; none: factory/prior only",
    )


class CalibrationState(ApiModel):
    method: str
    samples: int = Field(default=0, ge=0, description="expert scores absorbed")
    last_calibrated_time: datetime | None = None
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="method-specific state (free-form)"
    )


class FeedbackCounts(ApiModel):
    reviews: int = Field(default=0, ge=0)
    agreed: int = Field(default=0, ge=0)
    conceded: int = Field(default=0, ge=0)
    maintained: int = Field(default=0, ge=0)


class ScoringPolicyStatus(ApiModel):
    observed_generation: int | None = Field(default=None, ge=0)
    consistency_ratio: float | None = Field(default=None, ge=0, description="AHP CR (< 0.1 ok)")
    weights: dict[str, float] = Field(default_factory=dict, description="AHP prior weights")
    learned_weights: dict[str, float] = Field(
        default_factory=dict, description="REINFORCE weights, once minReviews scored reviews"
    )
    calibration: CalibrationState | None = None
    feedback: FeedbackCounts | None = None
    conditions: list[Condition] = Field(default_factory=list, json_schema_extra=_list_map("type"))


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class KindInfo:
    """Names and printer columns of one kind; crdgen turns it into the CRD's ``spec.names``."""

    kind: str
    description: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    spec: type[ApiModel]
    status: type[ApiModel]
    columns: tuple[dict[str, str], ...]


def _col(name: str, type_: str, path: str, description: str = "") -> dict[str, str]:
    column = {"name": name, "type": type_, "jsonPath": path}
    return column | ({"description": description} if description else {})


_READY = '.status.conditions[?(@.type=="Ready")].status'
_AGE = _col("Age", "date", ".metadata.creationTimestamp")

KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        kind="MaturityAssessment",
        description="The MLOps maturity of one ML project, scored from its files.",
        plural="maturityassessments",
        singular="maturityassessment",
        short_names=("ma",),
        spec=MaturityAssessmentSpec,
        status=MaturityAssessmentStatus,
        columns=(
            _col("Score", "number", ".status.score", "explainable score 0-100"),
            _col("Level", "integer", ".status.level", "maturity level 0-4"),
            _col("Ready", "string", _READY),
            _col("Last-Scored", "date", ".status.lastScoredTime"),
            _AGE,
        ),
    ),
    KindInfo(
        kind="MaturityReview",
        description="An expert's scores and comment on an assessment, and the system's reply.",
        plural="maturityreviews",
        singular="maturityreview",
        short_names=("mr",),
        spec=MaturityReviewSpec,
        status=MaturityReviewStatus,
        columns=(
            _col("Assessment", "string", ".spec.assessmentRef.name"),
            _col("Reviewer", "string", ".spec.reviewer"),
            _col("Score", "number", ".spec.score"),
            _col("Ready", "string", _READY),
            _AGE,
        ),
    ),
    KindInfo(
        kind="ScoringPolicy",
        description="How scores are weighted and calibrated, and what reviews taught them.",
        plural="scoringpolicies",
        singular="scoringpolicy",
        short_names=("sp",),
        spec=ScoringPolicySpec,
        status=ScoringPolicyStatus,
        columns=(
            _col("Reviews", "integer", ".status.feedback.reviews"),
            _col("CR", "number", ".status.consistencyRatio", "AHP consistency ratio"),
            _col("Ready", "string", _READY),
            _AGE,
        ),
    ),
)
