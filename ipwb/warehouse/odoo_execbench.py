"""Benchmark: a result through a running workbench (Odoo JSON-RPC) vs raw psycopg2.

The Odoo path is what the SQL editor does for "Run": an authenticated JSON-RPC call to
``ipwb.sql.service.run`` — HTTP, the ORM, access checks, the guarded executor, history
recording and JSON encoding of every row. The raw and guarded figures come from
:func:`ipwb.warehouse.execbench.run_bench` on the same query and row count. A page is
capped by the connection's "Display Row Cap": the report says how many rows came back
and compares like with like. Figures are medians, printed — nothing asserts on them.
"""

from __future__ import annotations

import dataclasses
import http.cookiejar
import json
import statistics
import time
import urllib.error
import urllib.request
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.execbench import _QUERY, run_bench


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


class JsonRpcSession:
    """A logged-in JSON-RPC session (cookie kept), enough to call model methods."""

    def __init__(self, url: str, timeout_s: float = 120.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"The workbench URL must be http(s)://…, not {url!r}")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _post(self, path: str, params: dict[str, Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in __init__
            self.url + path, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise IntegrationError(f"Workbench at {self.url} did not answer {path}: {exc}") from None
        if answer.get("error"):
            error = answer["error"]
            message = (error.get("data") or {}).get("message") or error.get("message")
            raise IntegrationError(f"Workbench call {path} failed: {message}")
        return answer.get("result")

    def authenticate(self, db: str, login: str, password: str) -> None:
        result = self._post("/web/session/authenticate", {"db": db, "login": login, "password": password})
        if not result or not result.get("uid"):
            raise ConfigurationError(f"Cannot log in to the workbench as {login!r}")

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._post(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def run_odoo_bench(
    config: WarehouseConfig,
    session: JsonRpcSession,
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
            "ipwb.sql.service", "run", connection_id=connection_id, sql=_QUERY, params={"rows": rows}
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
