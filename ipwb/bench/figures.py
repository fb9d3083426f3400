"""Figures shared by every benchmark: percentiles, latency samples, printing (text or ``--json``).

Figures only: nothing in :mod:`ipwb.bench` passes or fails on a timing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of ``samples``.

    >>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50), percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95)
    (3.0, 5.0)
    """
    if not samples:
        raise ValueError("no samples")
    if not 0 <= pct <= 100:
        raise ValueError("pct must be between 0 and 100")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclasses.dataclass(frozen=True, slots=True)
class Latency:
    samples: int
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        return cls(
            len(seconds), round(percentile(seconds, 50) * 1000, 3), round(percentile(seconds, 95) * 1000, 3)
        )


def time_calls(call: Callable[[str], object], queries: Sequence[str], rounds: int) -> Latency:
    """Run ``call(query)`` for every query ``rounds`` times (after one warm-up pass)."""
    for query in queries:
        call(query)
    samples: list[float] = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            call(query)
            samples.append(time.perf_counter() - start)
    return Latency.of(samples)


def emit(figures: dict[str, object], *, as_json: bool, lines: Sequence[str] = ()) -> None:
    """Print a benchmark's figures: JSON with ``--json`` (or when it has no text form), else ``lines``."""
    if as_json or not lines:
        print(json.dumps(figures, indent=2, default=str))
    else:
        print("\n".join(lines))
