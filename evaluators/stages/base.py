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
from typing import Protocol

from hyperscore.evaluators.assessment import (
    Check,
    CheckResult,
    PracticeResult,
    StageResult,
    StageStatus,
)
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.model import IngestResult


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

__all__ = ["Check", "CheckResult", "Stage", "StageInput", "StageResult", "StageStatus", "timed"]
