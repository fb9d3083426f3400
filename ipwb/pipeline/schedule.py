"""Map pipeline schedules onto Odoo's interval-based ``ir.cron``.

``ir.cron`` knows only "every N minutes/hours/days/weeks from ``nextcall``". An interval
schedule (``every 15 min``) maps exactly. A cron expression maps exactly when it is a fixed
point repeated on such an interval — ``*/15 * * * *`` (15 minutes), ``5 * * * *``
(hourly), ``30 2 * * *`` (daily), ``0 6 * * 1`` (weekly) — and ``nextcall`` is its next fire
time. Any other expression (``0 9 * * mon-fri``, ``0 0 1 * *``) is *not exact*: the cron
then polls hourly as a safety net, the addon adds a one-off trigger at each next fire time
(:meth:`CronSchedule.next_after`), and :func:`is_due` stops a poll from enqueuing a run
when no fire time passed since the last one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ipwb.specs.schedule import CronSchedule, IntervalSchedule, parse_schedule

_ALL_HOURS = frozenset(range(24))
_ALL_MONTHS = frozenset(range(1, 13))


@dataclass(frozen=True)
class CronPlan:
    """What to write on the ``ir.cron``: interval, first ``nextcall``, and exactness."""

    interval_number: int
    interval_type: str  # minutes | hours | days | weeks
    nextcall: dt.datetime
    exact: bool
    is_cron_expression: bool


def _every_day(cron: CronSchedule) -> bool:
    return not cron.days_restricted and not cron.weekdays_restricted and cron.months == _ALL_MONTHS


def _exact_interval(cron: CronSchedule) -> tuple[int, str] | None:
    minutes = sorted(cron.minutes)
    if not _every_day(cron):
        weekly = (
            not cron.days_restricted
            and cron.weekdays_restricted
            and len({d % 7 for d in cron.weekdays}) == 1
            and cron.months == _ALL_MONTHS
            and len(minutes) == 1
            and len(cron.hours) == 1
        )
        return (1, "weeks") if weekly else None
    if cron.hours == _ALL_HOURS:
        if len(minutes) == 1:
            return 1, "hours"
        step = minutes[1] - minutes[0]
        if 60 % step == 0 and minutes == list(range(minutes[0], 60, step)) and minutes[0] < step:
            return step, "minutes"
        return None
    if len(minutes) == 1 and len(cron.hours) == 1:
        return 1, "days"
    return None


def plan_cron(text: str, now: dt.datetime) -> CronPlan:
    """The ``ir.cron`` settings of a schedule (raises ``SpecError`` for a bad schedule).

    >>> p = plan_cron("30 2 * * *", dt.datetime(2024, 3, 1, 3, 0))
    >>> (p.interval_number, p.interval_type, p.nextcall, p.exact)
    (1, 'days', datetime.datetime(2024, 3, 2, 2, 30), True)
    >>> plan_cron("0 9 * * mon-fri", dt.datetime(2024, 3, 1, 3, 0)).exact
    False
    >>> plan_cron("every 2h", dt.datetime(2024, 3, 1, 3, 0)).interval_type
    'hours'
    """
    schedule = parse_schedule(text)
    if isinstance(schedule, IntervalSchedule):
        number, unit = schedule.ir_cron()
        return CronPlan(number, unit, now + dt.timedelta(seconds=schedule.seconds), True, False)
    exact = _exact_interval(schedule)
    number, unit = exact or (1, "hours")
    return CronPlan(number, unit, schedule.next_after(now), exact is not None, True)


def is_due(text: str, last_fire: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a fire time of ``text`` lies in ``(last_fire, now]`` (always true for
    interval schedules and for a first run).

    >>> is_due("0 9 * * *", dt.datetime(2024, 3, 1, 9, 0), dt.datetime(2024, 3, 1, 12, 0))
    False
    >>> is_due("0 9 * * *", dt.datetime(2024, 3, 1, 9, 0), dt.datetime(2024, 3, 2, 9, 0))
    True
    """
    schedule = parse_schedule(text)
    if isinstance(schedule, IntervalSchedule) or last_fire is None:
        return True
    return schedule.next_after(last_fire) <= now


def next_fire(text: str, now: dt.datetime) -> dt.datetime:
    """Next fire time after ``now`` (for intervals: ``now`` + interval)."""
    schedule = parse_schedule(text)
    if isinstance(schedule, IntervalSchedule):
        return now + dt.timedelta(seconds=schedule.seconds)
    return schedule.next_after(now)
