"""Whether a run of an assessment is due: a pure function of its spec, status and the clock.

Level-based on purpose: the timer asks this question on every tick with whatever the object
looks like *now*, so a missed event, a restart or a burst of edits can never lose or duplicate a
run. The inputs are what the API server stores (generation, observedGeneration,
lastScoredTime, the run annotations), never in-memory history of the operator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from hyperscore.operator.api.models import MaturityAssessmentSpec
from hyperscore.operator.controller import schedule

# Run bookkeeping lives in annotations: written with a direct API call *before* any child object
# exists, so an operator killed mid-run finds the run it must resume (same number, same names).
RUN_ANNOTATION = "hyperscore.dev/run"
COMPLETED_ANNOTATION = "hyperscore.dev/completed-run"

Reason = Literal["Resume", "SpecChanged", "Scheduled", "Suspended", "UpToDate", "NotYetDue"]


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: Reason
    message: str
    next_run: dt.datetime | None = None


@dataclass(frozen=True)
class RunNumbers:
    """The last run started and the last run finished (0 before the first)."""

    started: int
    completed: int

    @property
    def in_flight(self) -> bool:
        return self.started > self.completed

    @property
    def current(self) -> int:
        """The run to execute now: the unfinished one, or a new one."""
        return self.started if self.in_flight else self.completed + 1


def run_numbers(annotations: Mapping[str, str]) -> RunNumbers:
    """Read the run annotations; anything unreadable counts as 0 (a fresh start, never a crash)."""

    def number(key: str) -> int:
        text = annotations.get(key, "0")
        return int(text) if text.isdigit() else 0

    started, completed = number(RUN_ANNOTATION), number(COMPLETED_ANNOTATION)
    return RunNumbers(started=max(started, completed), completed=completed)


def next_scheduled(spec: MaturityAssessmentSpec, last_scored: dt.datetime) -> dt.datetime | None:
    """When the schedule next wants a run after ``last_scored``; None without a schedule.

    Raises :class:`schedule.CronError` for an invalid cron expression (the CRD only bounds its
    length, so this is where a bad one is caught).
    """
    if spec.schedule is None:
        return None
    if spec.schedule.interval_seconds is not None:
        return last_scored + dt.timedelta(seconds=spec.schedule.interval_seconds)
    assert spec.schedule.cron is not None  # the model's validator guarantees one of the two
    return schedule.parse(spec.schedule.cron).next_after(last_scored)


def decide(
    spec: MaturityAssessmentSpec,
    *,
    generation: int,
    observed_generation: int | None,
    last_scored: dt.datetime | None,
    runs: RunNumbers,
    now: dt.datetime,
) -> Decision:
    """Decide whether to run now. Suspend wins over everything, including an unfinished run:
    suspending is how a user stops an assessment whose runs misbehave."""
    if spec.suspend:
        return Decision(False, "Suspended", "spec.suspend is true: no runs until it is false")
    if runs.in_flight:
        return Decision(True, "Resume", f"run {runs.started} was started and did not finish")
    if observed_generation != generation:
        return Decision(
            True,
            "SpecChanged",
            f"generation {generation} was not scored yet (observed {observed_generation})",
        )
    if last_scored is None:
        return Decision(True, "SpecChanged", "never scored")
    due = next_scheduled(spec, last_scored)
    if due is None:
        return Decision(False, "UpToDate", "no schedule; scored for this generation")
    if due <= now:
        return Decision(True, "Scheduled", f"scheduled run due at {due.isoformat()}", due)
    return Decision(False, "NotYetDue", f"next run at {due.isoformat()}", due)
