"""Backfill expansion into whole calendar periods, with validation."""

from __future__ import annotations

import datetime as dt

import pytest

from ipwb.dag import expand_backfill
from ipwb.errors import SpecError


def test_daily_backfill_covers_both_ends() -> None:
    runs = expand_backfill("2024-02-27", "2024-03-01", "day")
    assert [r["start_date"] for r in runs] == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
    assert runs[-1]["end_date"] == "2024-03-02"


def test_weekly_backfill_aligns_to_iso_weeks() -> None:
    runs = expand_backfill(dt.date(2024, 12, 25), dt.date(2025, 1, 7), "week")
    assert [(r["start_date"], r["end_date"], r["period"]) for r in runs] == [
        ("2024-12-23", "2024-12-30", "2024-W52"),
        ("2024-12-30", "2025-01-06", "2025-W01"),
        ("2025-01-06", "2025-01-13", "2025-W02"),
    ]


def test_monthly_backfill_crosses_the_year() -> None:
    runs = expand_backfill("2024-11-15", "2025-02-01", "month", extra={"domain": "finance_ph"})
    assert [r["period"] for r in runs] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert runs[1]["end_date"] == "2025-01-01"
    assert all(r["domain"] == "finance_ph" for r in runs)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("2024-02-01", "2024-01-01"), {}, "backfill end 2024-01-01 is before start 2024-02-01"),
        (("2024-01-01", "2024-12-31", "day"), {"max_runs": 100}, "needs more than 100 runs"),
        (("2024-01-01", "2024-01-02", "hour"), {}, "unknown backfill granularity 'hour'"),
        (("2024-13-01", "2024-12-31"), {}, "'2024-13-01' is not an ISO date"),
    ],
)
def test_invalid_backfill_is_refused(args: tuple[str, ...], kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(SpecError) as exc:
        expand_backfill(*args, **kwargs)  # type: ignore[arg-type]
    assert message in str(exc.value)


def test_max_runs_is_inclusive() -> None:
    assert len(expand_backfill("2024-01-01", "2024-01-10", max_runs=10)) == 10
