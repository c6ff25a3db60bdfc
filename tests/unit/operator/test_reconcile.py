"""When a run is due: generation vs observedGeneration, schedules against lastScoredTime,
suspend, and resuming an unfinished run (the decision the timer takes on every tick)."""

from __future__ import annotations

import datetime as dt

import pytest

from hyperscore.operator.api.models import MaturityAssessmentSpec
from hyperscore.operator.controller.reconcile import (
    COMPLETED_ANNOTATION,
    RUN_ANNOTATION,
    RunNumbers,
    decide,
    next_scheduled,
    run_numbers,
)
from hyperscore.operator.controller.schedule import CronError

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
IDLE = RunNumbers(started=3, completed=3)


def spec(**extra: object) -> MaturityAssessmentSpec:
    return MaturityAssessmentSpec.model_validate(
        {"source": {"configMapRef": {"name": "p"}}, **extra}
    )


def test_a_new_generation_is_due() -> None:
    decision = decide(
        spec(), generation=2, observed_generation=1, last_scored=NOW, runs=IDLE, now=NOW
    )
    assert (decision.run, decision.reason) == (True, "SpecChanged")


def test_never_observed_is_due() -> None:
    decision = decide(
        spec(),
        generation=1,
        observed_generation=None,
        last_scored=None,
        runs=RunNumbers(0, 0),
        now=NOW,
    )
    assert decision.run and decision.reason == "SpecChanged"


def test_scored_without_schedule_is_up_to_date() -> None:
    decision = decide(
        spec(), generation=4, observed_generation=4, last_scored=NOW, runs=IDLE, now=NOW
    )
    assert (decision.run, decision.reason) == (False, "UpToDate")


@pytest.mark.parametrize(
    ("ago", "due"), [(dt.timedelta(seconds=3599), False), (dt.timedelta(seconds=3600), True)]
)
def test_interval_schedule_against_last_scored(ago: dt.timedelta, due: bool) -> None:
    decision = decide(
        spec(schedule={"intervalSeconds": 3600}),
        generation=1,
        observed_generation=1,
        last_scored=NOW - ago,
        runs=IDLE,
        now=NOW,
    )
    assert decision.run is due
    assert decision.reason == ("Scheduled" if due else "NotYetDue")
    assert decision.next_run == NOW - ago + dt.timedelta(hours=1)


def test_cron_schedule_fires_after_the_last_run() -> None:
    nightly = spec(schedule={"cron": "0 3 * * *"})
    last = dt.datetime(2026, 11, 27, 3, 0, 5, tzinfo=dt.UTC)
    assert next_scheduled(nightly, last) == dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
    early = decide(
        nightly, generation=1, observed_generation=1, last_scored=last, runs=IDLE, now=NOW
    )
    late = decide(
        nightly,
        generation=1,
        observed_generation=1,
        last_scored=last,
        runs=IDLE,
        now=dt.datetime(2026, 11, 28, 3, 0, 1, tzinfo=dt.UTC),
    )
    assert (early.run, late.run) == (False, True)


def test_suspend_wins_over_everything() -> None:
    for runs in (IDLE, RunNumbers(started=4, completed=3)):
        decision = decide(
            spec(suspend=True, schedule={"intervalSeconds": 60}),
            generation=9,
            observed_generation=1,
            last_scored=NOW - dt.timedelta(days=9),
            runs=runs,
            now=NOW,
        )
        assert (decision.run, decision.reason) == (False, "Suspended")


def test_an_unfinished_run_is_resumed_with_its_own_number() -> None:
    runs = RunNumbers(started=4, completed=3)
    decision = decide(
        spec(), generation=1, observed_generation=1, last_scored=NOW, runs=runs, now=NOW
    )
    assert (decision.run, decision.reason) == (True, "Resume")
    assert runs.in_flight and runs.current == 4
    assert not IDLE.in_flight and IDLE.current == 4


def test_run_numbers_from_annotations() -> None:
    assert run_numbers({}) == RunNumbers(0, 0)
    assert run_numbers({RUN_ANNOTATION: "5", COMPLETED_ANNOTATION: "4"}) == RunNumbers(5, 4)
    # unreadable or behind: never a crash, never a run number going backwards
    assert run_numbers({RUN_ANNOTATION: "x", COMPLETED_ANNOTATION: "2"}) == RunNumbers(2, 2)


def test_an_invalid_cron_is_reported_not_raised_as_a_crash() -> None:
    with pytest.raises(CronError, match="hour field: 25 is outside 0-23"):
        decide(
            spec(schedule={"cron": "0 25 * * *"}),
            generation=1,
            observed_generation=1,
            last_scored=NOW,
            runs=IDLE,
            now=NOW,
        )


def test_spec_checks_the_controller_makes_beyond_the_crd() -> None:
    from hyperscore.operator.controller.controller import (
        InvalidSpec,
        engine_request,
        parse_spec,
        sandbox_wanted,
    )

    base = {"source": {"configMapRef": {"name": "p"}}}
    with pytest.raises(
        InvalidSpec, match=r"spec.schedule.cron: cron day of week field: 8 is outside 0-7"
    ):
        parse_spec({**base, "schedule": {"cron": "0 0 * * 8"}})
    with pytest.raises(InvalidSpec, match="unknown stage gnn, sbx"):
        parse_spec({**base, "stages": {"sbx": {}, "gnn": {}}})
    with pytest.raises(InvalidSpec, match=r"spec\.source"):
        parse_spec({"source": {}})
    parsed = parse_spec(
        {**base, "stages": {"semantic": {"enabled": False}, "logic": {"enabled": False}}}
    )
    request = engine_request(parsed, 30.0)
    assert (request.semantic, request.stages) == (False, ("repro", "novelty"))
    assert not sandbox_wanted(parsed)
    assert sandbox_wanted(parse_spec({**base, "stages": {"sandbox": {"enabled": True}}}))
