"""The stage interface: typed input, typed result, explicit 'nothing to check'.

Every evaluation stage (logic, sandbox, novelty, impact, reproducibility) is a pure function
of a :class:`StageInput` plus explicit resources, returning a :class:`StageResult`. A stage
with nothing to check returns ``status="not-applicable"`` and ``score=None`` -- never a silent
0 or 1 -- so fusion can drop its term and renormalise the weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from hyperscore.evaluators.assessment import Citation, PracticeResult
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.model import IngestResult

CheckResult = Literal["proved", "refuted", "unknown", "not-applicable", "passed", "failed",
                      "error"]
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


@dataclass
class StageInput:
    """Everything a stage may read: the evidence, its index, the practices."""

    ingest: IngestResult
    ctx: DetectionContext
    practices: list[PracticeResult]
    timings: dict[str, float] = field(default_factory=dict)


class Stage(Protocol):
    name: str

    def run(self, inp: StageInput) -> StageResult: ...


@contextmanager
def timed(timings: dict[str, float], key: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = round(time.perf_counter() - started, 4)


StageFactory = Callable[[], Stage]
