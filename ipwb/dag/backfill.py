"""Backfill: expand a date range into parameterised runs, one per period.

Why whole periods: warehouse partitions and BIR reporting periods are calendar days, ISO
weeks (Monday-based) and calendar months, so a backfill from a Wednesday to the next
Tuesday by week re-runs both *whole* weeks the range touches rather than two ragged
fragments. Each run gets ``start_date`` (inclusive) and ``end_date`` (exclusive) — the
``>= start AND < end`` form SQL wants — plus a human ``period`` label.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from ipwb.errors import SpecError

Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[str, ...] = get_args(Granularity)

#: default ceiling on the number of runs one backfill may create (a year of days)
DEFAULT_MAX_RUNS = 366


def _as_date(value: dt.date | str, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SpecError(f"backfill {name} {value!r} is not an ISO date (YYYY-MM-DD)") from None


def period_start(day: dt.date, granularity: Granularity) -> dt.date:
    """First day of the period containing ``day``.

    >>> period_start(dt.date(2024, 1, 10), "week")  # a Wednesday
    datetime.date(2024, 1, 8)
    >>> period_start(dt.date(2024, 2, 29), "month")
    datetime.date(2024, 2, 1)
    """
    if granularity == "day":
        return day
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: dt.date, granularity: Granularity) -> dt.date:
    """First day of the period after the one starting at ``start``."""
    if granularity == "day":
        return start + dt.timedelta(days=1)
    if granularity == "week":
        return start + dt.timedelta(days=7)
    return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _label(start: dt.date, granularity: Granularity) -> str:
    if granularity == "day":
        return start.isoformat()
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def expand_backfill(
    start: dt.date | str,
    end: dt.date | str,
    granularity: Granularity = "day",
    *,
    max_runs: int = DEFAULT_MAX_RUNS,
    extra: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """One parameter dict per period touching ``[start, end]`` (both inclusive), oldest first.

    ``extra`` parameters are copied into every run. Raises :class:`SpecError` when ``end`` is
    before ``start``, the granularity is unknown, or more than ``max_runs`` runs would result.

    >>> [r["period"] for r in expand_backfill("2024-01-30", "2024-03-02", "month")]
    ['2024-01', '2024-02', '2024-03']
    >>> expand_backfill("2024-01-01", "2024-01-01")
    [{'start_date': '2024-01-01', 'end_date': '2024-01-02', 'period': '2024-01-01'}]
    """
    if granularity not in GRANULARITIES:
        raise SpecError(
            f"unknown backfill granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}"
        )
    first, last = _as_date(start, "start"), _as_date(end, "end")
    if last < first:
        raise SpecError(f"backfill end {last.isoformat()} is before start {first.isoformat()}")
    if max_runs < 1:
        raise SpecError(f"max_runs must be at least 1, got {max_runs}")
    runs: list[dict[str, str]] = []
    cursor = period_start(first, granularity)
    while cursor <= last:
        if len(runs) == max_runs:
            raise SpecError(
                f"backfill {first.isoformat()} … {last.isoformat()} by {granularity} needs more than "
                f"{max_runs} runs; narrow the range, use a coarser granularity or raise max_runs"
            )
        following = next_period(cursor, granularity)
        runs.append(
            {
                **(extra or {}),
                "start_date": cursor.isoformat(),
                "end_date": following.isoformat(),
                "period": _label(cursor, granularity),
            }
        )
        cursor = following
    return runs
