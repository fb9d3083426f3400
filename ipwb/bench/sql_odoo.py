"""Benchmark: a result through a running workbench (Odoo JSON-RPC) vs raw psycopg2.

The Odoo path is what the SQL editor does for "Run": an authenticated JSON-RPC call to
``ipwb.sql.service.run`` — HTTP, the ORM, access checks, the guarded executor, history
recording and JSON encoding of every row. The raw and guarded figures come from
:func:`ipwb.bench.sql_engine.run_bench` on the same query and row count. A page is
capped by the connection's "Display Row Cap": the report says how many rows came back
and compares like with like. Figures are medians, printed — nothing asserts on them.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from ipwb.bench.sql_engine import BENCH_QUERY, run_bench
from ipwb.errors import IntegrationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc
from ipwb.warehouse.connection import WarehouseConfig


@dataclasses.dataclass(frozen=True)
class OdooBenchReport:
    rows: int
    repeat: int
    raw_ms: float
    guarded_ms: float
    odoo_ms: float
    requested_rows: int

    @property
    def ratio(self) -> float:
        return self.odoo_ms / self.raw_ms if self.raw_ms else float("inf")

    def describe(self) -> str:
        capped = (
            f" (page capped at {self.rows} of {self.requested_rows} rows by the connection's row cap)"
            if self.rows < self.requested_rows
            else ""
        )
        return (
            f"{self.rows} rows, median of {self.repeat}: raw psycopg2 {self.raw_ms:.1f} ms, "
            f"guarded executor {self.guarded_ms:.1f} ms, through Odoo JSON-RPC {self.odoo_ms:.1f} ms, "
            f"ratio Odoo/raw {self.ratio:.2f}x{capped}"
        )


def run_odoo_bench(
    config: WarehouseConfig,
    session: OdooJsonRpc,
    *,
    rows: int = 10_000,
    repeat: int = 5,
    connection_id: int | None = None,
) -> OdooBenchReport:
    """Median time of ``repeat`` Odoo runs of a ``rows``-row query vs raw/guarded runs."""
    timings, received = [], rows
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = session.call(
            "ipwb.sql.service", "run", connection_id=connection_id, sql=BENCH_QUERY, params={"rows": rows}
        )
        timings.append((time.perf_counter() - started) * 1000.0)
        if result["status"] != "success":
            raise IntegrationError(f"The benchmark query failed in the workbench: {result['error']}")
        received = len(result["rows"])
    local = run_bench(config, rows=received, repeat=repeat)
    return OdooBenchReport(
        rows=received,
        repeat=len(timings),
        raw_ms=local.raw_ms,
        guarded_ms=local.guarded_ms,
        odoo_ms=statistics.median(timings),
        requested_rows=rows,
    )
