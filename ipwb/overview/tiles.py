"""Overview tiles: the launch metrics, their targets and how a figure is judged.

The addon (``ipwb_workbench``) measures each figure with one grouped query under the
user's access rights; this module owns what is compared with what, so the rule is the
same in the web client, the bench and the tests.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ipwb.errors import ConfigurationError

Status = Literal["good", "warn", "bad", "none", "hidden"]

#: periods the overview offers (days)
PERIODS = (7, 30, 90)

#: a figure this close to its target (relative) is a warning, not a failure
WARN_MARGIN = 0.1


@dataclass(frozen=True)
class Target:
    """A launch-metric goal: ``value`` to reach, and whether more is better."""

    value: float
    higher_is_better: bool = True
    unit: str = ""

    def label(self) -> str:
        """``≥ 95 %`` / ``≤ 3000 ms``.

        >>> Target(95.0, unit="%").label()
        '≥ 95 %'
        >>> Target(3000.0, higher_is_better=False, unit="ms").label()
        '≤ 3000 ms'
        """
        sign = "≥" if self.higher_is_better else "≤"
        return f"{sign} {self.value:g} {self.unit}".rstrip()


#: the launch metrics' targets (defaults; administrators override them in Settings)
DEFAULT_TARGETS: Mapping[str, Target] = {
    "active_users": Target(10.0, unit="users"),
    "pipelines_production": Target(5.0, unit="pipelines"),
    "run_success_rate": Target(95.0, unit="%"),
    "tables_cataloged": Target(100.0, unit="tables"),
    "gold_ready": Target(80.0, unit="%"),
    "ai_queries": Target(20.0, unit="/ day"),
    "agent_latency_p90": Target(10000.0, higher_is_better=False, unit="ms"),
    "dq_score": Target(90.0, unit="/ 100"),
    "sql_fast_share": Target(90.0, unit="% < 3 s"),
    "cost_per_user": Target(50.0, higher_is_better=False, unit="USD / user / month"),
    "budget_use": Target(100.0, higher_is_better=False, unit="%"),
}

#: the SQL editor's latency goal: 90 % of queries under this many milliseconds
SQL_FAST_MS = 3000.0


def status(value: float | None, target: Target, margin: float = WARN_MARGIN) -> Status:
    """Judge ``value`` against ``target``: met, within ``margin`` of it, or missed.

    >>> status(96.0, Target(95.0))
    'good'
    >>> status(90.0, Target(95.0))
    'warn'
    >>> status(50.0, Target(95.0))
    'bad'
    >>> status(3200.0, Target(3000.0, higher_is_better=False))
    'warn'
    >>> status(None, Target(1.0))
    'none'
    """
    if value is None:
        return "none"
    goal = target.value
    if target.higher_is_better:
        if value >= goal:
            return "good"
        return "warn" if value >= goal * (1 - margin) else "bad"
    if value <= goal:
        return "good"
    return "warn" if value <= goal * (1 + margin) else "bad"


def check_period(days: int) -> int:
    """The period in days, one of :data:`PERIODS`.

    >>> check_period(30)
    30
    >>> check_period(12)
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: The overview covers 7, 30 or 90 days, not 12
    """
    if days not in PERIODS:
        raise ConfigurationError(f"The overview covers 7, 30 or 90 days, not {days}")
    return days


def daily_series(
    points: Iterable[tuple[dt.date, float | None]], end: dt.date, days: int
) -> list[tuple[str, float | None]]:
    """One point per day of the period ending ``end`` (inclusive), ``None`` where no figure.

    >>> daily_series([(dt.date(2026, 1, 2), 3.0)], dt.date(2026, 1, 3), 3)
    [('2026-01-01', None), ('2026-01-02', 3.0), ('2026-01-03', None)]
    """
    by_day = dict(points)
    start = end - dt.timedelta(days=days - 1)
    return [
        ((start + dt.timedelta(days=i)).isoformat(), by_day.get(start + dt.timedelta(days=i)))
        for i in range(days)
    ]


@dataclass
class Tile:
    """One figure of the overview, as the web client shows it."""

    key: str
    label: str
    value: float | None
    target: Target
    display: str = ""
    detail: str = ""
    series: list[tuple[str, float | None]] = field(default_factory=list)
    breakdown: dict[str, float] = field(default_factory=dict)
    link: dict[str, object] = field(default_factory=dict)
    hidden: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form; a hidden tile (no read access) carries no figure at all."""
        if self.hidden:
            return {
                "key": self.key,
                "label": self.label,
                "status": "hidden",
                "value": None,
                "display": "",
                "detail": "",
                "target": self.target.label(),
                "series": [],
                "breakdown": {},
                "link": {},
            }
        return {
            "key": self.key,
            "label": self.label,
            "status": status(self.value, self.target),
            "value": self.value,
            "display": self.display or format_value(self.value),
            "detail": self.detail,
            "target": self.target.label(),
            "series": [[day, value] for day, value in self.series],
            "breakdown": dict(self.breakdown),
            "link": dict(self.link),
        }


def format_value(value: float | None, digits: int = 1) -> str:
    """Whole numbers without decimals, others rounded; ``—`` when there is no figure.

    >>> format_value(12.0), format_value(95.456), format_value(None)
    ('12', '95.5', '—')
    """
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def parse_target(text: str | None, default: Target) -> Target:
    """A target overridden by a setting's text (a number), else ``default``.

    >>> parse_target("97.5", Target(95.0, unit="%")).value
    97.5
    >>> parse_target("many", Target(95.0)).value
    95.0
    """
    try:
        value = float(text) if text else None
    except ValueError:
        value = None
    if value is None or math.isnan(value) or value < 0:  # keep the default
        return default
    return Target(value, default.higher_is_better, default.unit)
