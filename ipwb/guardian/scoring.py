"""Check results → dimension scores → the Guardian score, per table and per domain.

A check contributes its *pass ratio* (share of good rows; 0 or 1 for freshness and
volume; 0 when it could not run) to its dimension. A dimension's score is the mean of its
checks' ratios times 100. The Guardian score is the weighted mean of the dimensions that have
checks, weights renormalised over those (a table without a freshness check is not
punished for it). Default weights: completeness 0.25, uniqueness 0.20, consistency 0.20,
validity 0.20, timeliness 0.15.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ipwb.errors import ConfigurationError
from ipwb.guardian.checks import DIMENSIONS
from ipwb.guardian.runner import CheckResult

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "completeness": 0.25,
    "uniqueness": 0.20,
    "consistency": 0.20,
    "validity": 0.20,
    "timeliness": 0.15,
}


@dataclass(frozen=True)
class Scorecard:
    """Scores 0–100 per dimension (only dimensions with checks) and overall."""

    dimensions: dict[str, float] = field(default_factory=dict)
    overall: float = 100.0
    checks: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": round(self.overall, 2),
            "dimensions": {k: round(v, 2) for k, v in self.dimensions.items()},
            "checks": self.checks,
            "failed": self.failed,
        }

    def line(self, name: str) -> str:
        dims = ", ".join(f"{k} {v:.1f}" for k, v in self.dimensions.items())
        return f"SCORE {name}: {self.overall:.1f} ({dims}; {self.failed}/{self.checks} check(s) not passing)"


def check_weights(weights: Mapping[str, float]) -> None:
    unknown = sorted(set(weights) - set(DIMENSIONS))
    if unknown or any(w < 0 for w in weights.values()) or not any(weights.values()):
        raise ConfigurationError(
            f"weights must be non-negative, not all zero, over {', '.join(DIMENSIONS)} (unknown: {unknown})"
        )


def score(results: Iterable[CheckResult], weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> Scorecard:
    return score_ratios(((r.check.dimension, r.pass_ratio, r.status == "pass") for r in results), weights)


def score_ratios(
    entries: Iterable[tuple[str, float, bool]], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> Scorecard:
    """Score ``(dimension, pass ratio, passed)`` entries (stored results, not engine objects)."""
    check_weights(weights)
    entries = list(entries)
    ratios: dict[str, list[float]] = defaultdict(list)
    for dimension, ratio, _ in entries:
        ratios[dimension].append(ratio)
    dimensions = {d: 100.0 * sum(ratios[d]) / len(ratios[d]) for d in DIMENSIONS if ratios.get(d)}
    weighted = {d: weights.get(d, 0.0) for d in dimensions}
    total_weight = sum(weighted.values())
    if dimensions and total_weight:
        overall = sum(dimensions[d] * w for d, w in weighted.items()) / total_weight
    elif dimensions:
        overall = sum(dimensions.values()) / len(dimensions)
    else:
        overall = 100.0
    failed = sum(1 for _, _, passed in entries if not passed)
    return Scorecard(dimensions, overall, len(entries), failed)


def score_by_table(
    results: Iterable[CheckResult], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> dict[str, Scorecard]:
    grouped: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        grouped[result.check.table].append(result)
    return {table: score(rs, weights) for table, rs in sorted(grouped.items())}


def score_by_domain(
    results: Iterable[CheckResult],
    domains: Mapping[str, str],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> dict[str, Scorecard]:
    """Per domain (``domains`` maps ``schema.table`` → domain; other tables are left out)."""
    grouped: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        domain = domains.get(result.check.table)
        if domain:
            grouped[domain].append(result)
    return {domain: score(rs, weights) for domain, rs in sorted(grouped.items())}
