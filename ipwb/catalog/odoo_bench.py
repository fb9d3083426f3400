"""``ipwb bench catalog``: catalog scan and search timings through a running workbench.

Builds N tables in a warehouse (:func:`ipwb.warehouse.bench.build_bench_tables`), asks a
running Odoo to scan it over JSON-RPC (the *Scan* button's method, ``action_scan``), then
times the catalog search (``ipwb.table.search_catalog``) over JSON-RPC and, next to it, a
bare indexed SQL lookup, and reports p50/p95 and their ratio. Figures only: nothing here
passes or fails on a timing. The JSON-RPC client is :class:`ipwb.integrations.odoo_rpc.OdooJsonRpc`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

import psycopg2.extensions


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


def bench_queries(n_tables: int) -> list[str]:
    """Exact, prefix, column-name and fuzzy queries over the generated tables."""
    middle = max(0, n_tables // 2)
    return [
        f"t_{middle:06d}",  # exact table name
        f"t_{middle:06d}"[:6],  # prefix
        "amount",  # a column of every table
        "quantitiy",  # fuzzy column (typo)
        "benchmark table",  # comment text
    ]


def sql_lookup(conn: psycopg2.extensions.connection, table: str) -> Callable[[str], object]:
    """A bare indexed lookup: ``ipwb_table`` by name prefix (Odoo's DB) or ``pg_class`` (warehouse)."""

    def lookup(query: str) -> object:
        prefix = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with conn.cursor() as cur:
            if table == "ipwb_table":
                cur.execute("SELECT id, name FROM ipwb_table WHERE name ILIKE %s LIMIT 30", (prefix,))
            else:
                cur.execute("SELECT oid, relname FROM pg_class WHERE relname LIKE %s LIMIT 30", (prefix,))
            return cur.fetchall()

    return lookup
