"""Benchmark: a result through a running workbench (Odoo JSON-RPC) vs raw psycopg2.

The Odoo path is what the SQL editor does for "Run": an authenticated JSON-RPC call to
``ipwb.sql.service.run`` — HTTP, the ORM, access checks, the guarded executor, history
recording and JSON encoding of every row. The raw and guarded figures come from
:func:`ipwb.bench.sql_engine.run_bench` on the same query and row count. A page is
capped by the connection's "Display Row Cap": the report says how many rows came back
and compares like with like. Figures are medians, printed — nothing asserts on them.

The Odoo page is broken down with what the server reports and one more call in the same
run: a trivial JSON-RPC call of the same service (``new_token``: HTTP, session, access
and dispatch, no SQL), the time spent inside ``run()`` (``elapsed_ms`` of the answer) and
in the statement itself (``duration_ms``); the rest of a page is encoding and transfer
of the rows.
"""

from __future__ import annotations

import dataclasses
import os
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
    pooled_ms: float = 0.0
    trivial_ms: float = 0.0
    run_ms: float = 0.0
    statement_ms: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def ratio(self) -> float:
        return self.odoo_ms / self.raw_ms if self.raw_ms else float("inf")

    def describe(self) -> str:
        capped = (
            f" (page capped at {self.rows} of {self.requested_rows} rows by the connection's row cap)"
            if self.rows < self.requested_rows
            else ""
        )
        rest = self.odoo_ms - self.trivial_ms - self.run_ms
        return (
            f"{self.rows} rows, median of {self.repeat}: raw psycopg2 {self.raw_ms:.1f} ms, "
            f"guarded executor {self.guarded_ms:.1f} ms (on a kept connection {self.pooled_ms:.1f} ms), "
            f"through Odoo JSON-RPC {self.odoo_ms:.1f} ms, "
            f"ratio Odoo/raw {self.ratio:.2f}x{capped}\n"
            f"Odoo page: trivial JSON-RPC call (HTTP, session, dispatch) {self.trivial_ms:.1f} ms, "
            f"inside run() {self.run_ms:.1f} ms (statement {self.statement_ms:.1f} ms), "
            f"rows' JSON and transfer {rest:.1f} ms; "
            f"load average {self.load[0]:.2f} {self.load[1]:.2f} {self.load[2]:.2f}"
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
    timings, trivial, inside, statement, received = [], [], [], [], rows
    for index in range(max(1, repeat) + 1):
        started = time.perf_counter()
        session.call("ipwb.sql.service", "new_token")
        trivial_ms = (time.perf_counter() - started) * 1000.0
        started = time.perf_counter()
        result = session.call(
            "ipwb.sql.service", "run", connection_id=connection_id, sql=BENCH_QUERY, params={"rows": rows}
        )
        elapsed = (time.perf_counter() - started) * 1000.0
        if result["status"] != "success":
            raise IntegrationError(f"The benchmark query failed in the workbench: {result['error']}")
        received = len(result["rows"])
        if index == 0:
            continue  # warm-up: the worker's first run of the statement parses it and connects
        timings.append(elapsed)
        trivial.append(trivial_ms)
        inside.append(float(result.get("elapsed_ms") or 0.0))
        statement.append(float(result.get("duration_ms") or 0.0))
    local = run_bench(config, rows=received, repeat=repeat)
    return OdooBenchReport(
        rows=received,
        repeat=len(timings),
        raw_ms=local.raw_ms,
        guarded_ms=local.guarded_ms,
        odoo_ms=statistics.median(timings),
        requested_rows=rows,
        pooled_ms=local.pooled_ms,
        trivial_ms=statistics.median(trivial),
        run_ms=statistics.median(inside),
        statement_ms=statistics.median(statement),
        load=os.getloadavg(),
    )
