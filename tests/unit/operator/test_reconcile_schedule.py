"""The five-field cron evaluator: next firing strictly after a moment, Vixie-cron semantics."""

from __future__ import annotations

import datetime as dt

import pytest

from hyperscore.operator.controller.schedule import CronError, parse


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("* * * * *", at(2026, 1, 1, 0, 0), at(2026, 1, 1, 0, 1)),
        ("*/15 * * * *", at(2026, 1, 1, 0, 14, 59), at(2026, 1, 1, 0, 15)),
        ("0 3 * * *", at(2026, 1, 1, 3, 0), at(2026, 1, 2, 3, 0)),
        ("30 9 * * mon-fri", at(2026, 11, 27, 10, 0), at(2026, 11, 30, 9, 30)),  # Fri -> Mon
        ("0 0 1 jan *", at(2026, 6, 1), at(2027, 1, 1)),
        ("0 0 29 2 *", at(2026, 3, 1), at(2028, 2, 29)),
        ("0 12 * * 7", at(2026, 11, 27), at(2026, 11, 29, 12, 0)),  # 7 is Sunday too
        # day-of-month OR day-of-week when both are restricted
        ("0 0 13 * fri", at(2026, 11, 1), at(2026, 11, 6)),
        ("5,10-12/2 1 * * *", at(2026, 1, 1, 1, 10), at(2026, 1, 1, 1, 12)),
    ],
)
def test_next_after(expression: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert parse(expression).next_after(after) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "expected 5 fields, got 4"),
        ("60 * * * *", "minute field: 60 is outside 0-59"),
        ("* * * 13 *", "month field: 13 is outside 1-12"),
        ("5-1 * * * *", "runs backwards"),
        ("@daily x y z w", "is not a number"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse(expression).next_after(at(2026, 1, 1))
