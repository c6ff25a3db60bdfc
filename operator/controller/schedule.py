"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.

A small parser of our own rather than a dependency: the operator only needs "the first firing
strictly after t", and the rules are short. Semantics follow Vixie cron: ``*``, lists, ranges,
steps (``*/15``, ``1-30/5``), month and weekday names, weekday 7 = Sunday, and when both
day-of-month and day-of-week are restricted a day matches if *either* does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names) per field
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_SEARCH_DAYS = 366 * 5  # 29 February of a leap year is at most ~4 years away (2100 is not leap)


class CronError(ValueError):
    """An expression that is not five valid cron fields; the message says which field."""


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_restricted: bool
    weekday_restricted: bool

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return by_day or by_weekday
        return by_day and by_weekday

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first firing strictly after ``moment`` (an aware datetime), in UTC."""
        start = moment.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for offset in range(_SEARCH_DAYS):
            current = day + dt.timedelta(days=offset)
            if not self._day_matches(current):
                continue
            first = offset == 0
            for hour in sorted(self.hours):
                if first and hour < start.hour:
                    continue
                for minute in sorted(self.minutes):
                    if first and hour == start.hour and minute < start.minute:
                        continue
                    return dt.datetime.combine(current, dt.time(hour, minute), tzinfo=dt.UTC)
        raise CronError("the cron expression never fires")


def parse(expression: str) -> Cron:
    """Parse five cron fields; raise :class:`CronError` naming the bad field."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(f"cron {expression!r}: expected 5 fields, got {len(parts)}")
    values = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in values[4])
    return Cron(
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=weekdays,
        day_restricted=not parts[2].startswith("*"),
        weekday_restricted=not parts[4].startswith("*"),
    )


def _parse_field(
    text: str, name: str, low: int, high: int, names: tuple[str, ...]
) -> frozenset[int]:
    out: set[int] = set()
    for item in text.split(","):
        body, slash, step_text = item.partition("/")
        step = _number(step_text, name, 1, high) if slash else 1
        if body == "*":
            first, last = low, high
        elif "-" in body:
            left, _, right = body.partition("-")
            first, last = (
                _value(left, name, low, high, names),
                _value(right, name, low, high, names),
            )
            if first > last:
                raise CronError(f"cron {name} field {text!r}: range {body} runs backwards")
        else:
            first = _value(body, name, low, high, names)
            last = high if slash else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _value(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if names is _MONTHS else 0)
    return _number(text, name, low, high)


def _number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit():
        raise CronError(f"cron {name} field: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"cron {name} field: {value} is outside {low}-{high}")
    return value
