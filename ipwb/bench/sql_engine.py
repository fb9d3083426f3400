"""Benchmark: what the guard costs over raw psycopg2 for one page of rows.

Both sides fetch the same ``generate_series`` result of ``rows`` rows; the guarded side
adds classification, its own connection, the READ ONLY transaction, the timeout, the
server-side cursor and column type lookup. Connection setup is counted on both sides;
a third figure is the guarded executor on a kept connection (:mod:`ipwb.warehouse.pool`,
what an Odoo worker does), against the same raw yardstick. Figures are medians of
``repeat`` runs, printed — nothing asserts on them.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from ipwb.sql.params import bind
from ipwb.warehouse.connection import WarehouseConfig, connect
from ipwb.warehouse.execute import MAX_PAGE_ROWS, execute
from ipwb.warehouse.pool import ConnectionPool

#: the benchmark query (``{{rows}}``: the row count), also run through Odoo by :mod:`ipwb.bench.sql_odoo`
BENCH_QUERY = (
    "SELECT g AS id, md5(g::text) AS label, g * 1.5 AS amount FROM generate_series(1, {{rows}}::int) AS g"
)


@dataclasses.dataclass(frozen=True)
class BenchReport:
    rows: int
    repeat: int
    raw_ms: float
    guarded_ms: float
    pooled_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.guarded_ms / self.raw_ms if self.raw_ms else float("inf")

    def describe(self) -> str:
        pooled = self.pooled_ms / self.raw_ms if self.raw_ms else float("inf")
        return (
            f"{self.rows} rows, median of {self.repeat}: raw psycopg2 {self.raw_ms:.1f} ms, "
            f"guarded executor {self.guarded_ms:.1f} ms, ratio {self.ratio:.2f}x; "
            f"guarded on a kept connection {self.pooled_ms:.1f} ms, ratio {pooled:.2f}x"
        )


def run_bench(config: WarehouseConfig, *, rows: int = 10_000, repeat: int = 5) -> BenchReport:
    rows = max(1, min(rows, MAX_PAGE_ROWS))
    raw, guarded, pooled = [], [], []
    pool = ConnectionPool(max_size=1)
    execute(config, BENCH_QUERY, {"rows": rows}, max_rows=rows, pool=pool)  # opens the kept one
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        conn = connect(config)
        try:
            with conn.cursor() as cur:
                cur.execute(*bind(BENCH_QUERY, {"rows": rows}))
                fetched = cur.fetchall()
        finally:
            conn.close()
        raw.append((time.perf_counter() - started) * 1000.0)
        assert len(fetched) == rows

        started = time.perf_counter()
        result = execute(config, BENCH_QUERY, {"rows": rows}, max_rows=rows)
        guarded.append((time.perf_counter() - started) * 1000.0)
        assert len(result.rows) == rows

        started = time.perf_counter()
        result = execute(config, BENCH_QUERY, {"rows": rows}, max_rows=rows, pool=pool)
        pooled.append((time.perf_counter() - started) * 1000.0)
        assert len(result.rows) == rows
    pool.clear()
    return BenchReport(
        rows, len(raw), statistics.median(raw), statistics.median(guarded), statistics.median(pooled)
    )
