"""Pipeline schedules: 5-field cron expressions or intervals such as ``every 1h``.

Why parse here rather than trust ``ir.cron``: Odoo crons only know intervals, so the
pipeline addon needs both the validation (with a precise message at spec time) and the next
fire time of a cron expression (to set ``nextcall``). Cron semantics follow Vixie cron: when
both day-of-month and day-of-week are restricted, a day matching *either* fires.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from ipwb.errors import SpecError

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_INTERVAL = re.compile(r"^every\s+(\d+)\s*([a-z]+)$")
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class _CronField(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day of month", 1, 31),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day of week", 0, 7, _DAYS),
)
_MIN_INTERVAL_S = 60
_SEARCH_YEARS = 8  # a leap day (29 February) comes within any 8-year window


@dataclass(frozen=True)
class IntervalSchedule:
    """``every <n> <unit>``; ``ir_cron()`` gives Odoo's ``(interval_number, interval_type)``."""

    text: str
    seconds: int

    def ir_cron(self) -> tuple[int, str]:
        for unit, size in (("weeks", 604800), ("days", 86400), ("hours", 3600)):
            if self.seconds % size == 0:
                return self.seconds // size, unit
        return self.seconds // 60, "minutes"


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; :meth:`next_after` computes the next fire time."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def _day_matches(self, day: dt.date) -> bool:
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """First fire time strictly after ``moment`` (same tzinfo; minute resolution).

        >>> parse_schedule("30 2 * * mon-fri").next_after(dt.datetime(2024, 3, 1, 3, 0))
        datetime.datetime(2024, 3, 4, 2, 30)
        """
        t = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = moment.year + _SEARCH_YEARS
        while t.year <= limit:
            if t.month not in self.months:
                t = t.replace(year=t.year + t.month // 12, month=t.month % 12 + 1, day=1, hour=0, minute=0)
            elif not self._day_matches(t.date()):
                t = (t + dt.timedelta(days=1)).replace(hour=0, minute=0)
            elif t.hour not in self.hours:
                t = (t + dt.timedelta(hours=1)).replace(minute=0)
            elif t.minute not in self.minutes:
                t += dt.timedelta(minutes=1)
            else:
                return t
        raise SpecError(f"schedule {self.text!r} never fires")


Schedule = IntervalSchedule | CronSchedule


def _value(token: str, field: _CronField, text: str) -> int:
    if token.lower() in field.names:
        return field.names.index(token.lower()) + field.low
    if not token.isdigit():
        raise SpecError(f"schedule {text!r}: {field.name} value {token!r} is not a number")
    value = int(token)
    if not field.low <= value <= field.high:
        raise SpecError(
            f"schedule {text!r}: {field.name} value {value} is out of range {field.low}-{field.high}"
        )
    return value


def _field(spec: str, field: _CronField, text: str) -> set[int]:
    result: set[int] = set()
    for part in spec.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise SpecError(
                    f"schedule {text!r}: {field.name} step {step_text!r} must be a positive number"
                )
            step = int(step_text)
        if base == "*":
            start, end = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, field, text), _value(last, field, text)
            if end < start:
                raise SpecError(f"schedule {text!r}: {field.name} range {base!r} runs backwards")
        else:
            start = _value(base, field, text)
            end = field.high if step_text else start
        result.update(range(start, end + 1, step))
    return result


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule or raise :class:`SpecError` naming the offending part.

    >>> parse_schedule("every 1h").ir_cron()
    (1, 'hours')
    >>> parse_schedule("*/15 6-18 * * 1-5").hours == frozenset(range(6, 19))
    True
    >>> parse_schedule("0 25 * * *")
    Traceback (most recent call last):
    ...
    ipwb.errors.SpecError: schedule '0 25 * * *': hour value 25 is out of range 0-23
    """
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise SpecError("schedule is empty: use a cron expression or 'every <n> <unit>'")
    interval = _INTERVAL.match(cleaned.lower())
    if interval:
        amount, unit = int(interval.group(1)), interval.group(2)
        if unit not in _UNITS:
            raise SpecError(
                f"schedule {text!r}: unknown interval unit {unit!r}; use m, h, d, w or minutes, hours, …"
            )
        seconds = amount * _UNITS[unit]
        if seconds < _MIN_INTERVAL_S:
            raise SpecError(f"schedule {text!r}: the interval must be at least one minute")
        return IntervalSchedule(cleaned, seconds)
    if cleaned.lower().startswith("every"):
        raise SpecError(
            f"schedule {text!r}: intervals look like 'every 1h', 'every 30 minutes', 'every 2 days'"
        )
    expression = _MACROS.get(cleaned.lower(), cleaned)
    if expression.startswith("@"):
        raise SpecError(f"schedule {text!r}: unknown macro; use one of {', '.join(sorted(_MACROS))}")
    parts = expression.split(" ")
    if len(parts) != len(_FIELDS):
        raise SpecError(
            f"schedule {text!r}: a cron expression has 5 fields "
            f"(minute hour day-of-month month day-of-week), got {len(parts)}"
        )
    values = [_field(part, field, text) for part, field in zip(parts, _FIELDS, strict=True)]
    weekdays = {d % 7 for d in values[4]}
    schedule = CronSchedule(
        cleaned,
        frozenset(values[0]),
        frozenset(values[1]),
        frozenset(values[2]),
        frozenset(values[3]),
        frozenset(weekdays),
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )
    schedule.next_after(dt.datetime(2000, 1, 1))  # refuses "0 0 30 2 *" (never fires)
    return schedule
