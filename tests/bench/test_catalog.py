"""``ipwb bench catalog``: percentiles, the JSON-RPC client and the command end to end.

The workbench side is played by a loopback HTTP server speaking Odoo's JSON-RPC protocol
(session cookie from ``/web/session/authenticate``, ``/web/dataset/call_kw``); the real
Odoo is exercised by the addon's tests and the figures in the report.
"""

from __future__ import annotations

import argparse
import http.server
import json
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from ipwb.bench import catalog as bench_catalog_odoo
from ipwb.bench.catalog import sql_lookup
from ipwb.bench.figures import percentile, time_calls
from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc
from ipwb.warehouse.introspect import introspect

from .loopback import serving


class _Workbench(http.server.BaseHTTPRequestHandler):
    calls: list[tuple[str, list[Any]]] = []
    #: reads of a queued scan's state before it reports idle (0: scans answer in the request)
    queued_reads = 0

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _answer(self, result: Any = None, error: str | None = None, cookie: bool = False) -> None:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1}
        if error:
            body["error"] = {"message": "Odoo Server Error", "data": {"message": error}}
        else:
            body["result"] = result
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if cookie:
            self.send_header("Set-Cookie", "session_id=s3ss10n; Path=/")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        params = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["params"]
        if self.path != "/web/session/authenticate" and not self.path.startswith("/web/dataset/call_kw/"):
            self._answer(error=f"no route {self.path}")
            return
        if self.path == "/web/session/authenticate":
            if params["password"] != "right":
                self._answer({"uid": False})
            else:
                self._answer({"uid": 2}, cookie=True)
            return
        if "session_id=s3ss10n" not in (self.headers.get("Cookie") or ""):
            self._answer(error="Session expired")
            return
        method = params["method"]
        self.calls.append((method, params["args"]))
        if method == "search":
            self._answer([7])
        elif method == "action_scan":
            kind = "info" if _Workbench.queued_reads else "success"
            self._answer({"type": "ir.actions.client", "params": {"type": kind}})
        elif method == "read":
            state = "running" if _Workbench.queued_reads > 0 else "idle"
            _Workbench.queued_reads -= 1
            self._answer([{"id": params["args"][0][0], "scan_state": state}])
        elif method == "search_count":
            self._answer(15)
        elif method == "search_catalog":
            query = params["args"][0]
            self._answer({"results": [{"full_name": f"ipwb_bench.{query}"}], "facets": {}, "total": 1})
        else:
            self._answer(error=f"no method {method}")


@pytest.fixture
def workbench() -> Iterator[str]:
    _Workbench.calls = []
    _Workbench.queued_reads = 0
    with serving(_Workbench) as url:
        yield url


def test_percentile() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert (percentile(samples, 50), percentile(samples, 95), percentile(samples, 100)) == (50.0, 95.0, 100.0)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_time_calls_counts_rounds() -> None:
    seen: list[str] = []
    latency = time_calls(seen.append, ["a", "b"], rounds=3)
    assert seen == ["a", "b"] * 4  # one warm-up pass, then three timed rounds
    assert latency.samples == 6 and 0 <= latency.p50_ms <= latency.p95_ms


def test_json_rpc_session_and_errors(workbench: str) -> None:
    rpc = OdooJsonRpc(workbench)
    with pytest.raises(IntegrationError, match="Session expired"):
        rpc.call("ipwb.table", "search_catalog", "x", {}, 5)
    with pytest.raises(ConfigurationError, match="refused the login"):
        rpc.authenticate("db", "admin", "wrong")
    assert rpc.authenticate("db", "admin", "right") == 2
    assert rpc.call("ipwb.table", "search_catalog", "t_1", {}, 5)["total"] == 1
    with pytest.raises(IntegrationError, match="no method"):
        rpc.call("ipwb.table", "unlink", [1])
    with pytest.raises(ConfigurationError, match="http"):
        OdooJsonRpc("file:///etc/passwd")
    with pytest.raises(IntegrationError, match="did not answer"):
        OdooJsonRpc("http://127.0.0.1:9", timeout_s=2).call("x", "y")


def test_queued_scan_is_awaited(workbench: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a large warehouse's Scan is queued for the cron: the bench polls until it is idle
    monkeypatch.setattr(bench_catalog_odoo, "SCAN_POLL_S", 0.01)
    rpc = OdooJsonRpc(workbench)
    rpc.authenticate("db", "admin", "right")
    _Workbench.queued_reads = 3
    bench_catalog_odoo.scan(rpc, 7)
    assert [method for method, _args in _Workbench.calls] == ["action_scan"] + ["read"] * 4
    _Workbench.calls, _Workbench.queued_reads = [], 10**6
    with pytest.raises(ConfigurationError, match="did not finish"):
        bench_catalog_odoo.scan(rpc, 7, timeout_s=0.05)


def test_sql_lookup_escapes_wildcards(scratch_db: str) -> None:
    conn = psycopg2.connect(scratch_db)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE a_b (id int); CREATE TABLE axb (id int)")
        lookup = sql_lookup(conn, "pg_class")
        rows = lookup("a_")
        assert isinstance(rows, list) and [row[1] for row in rows] == ["a_b"]
        assert lookup("%") == []
    finally:
        conn.close()


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench_catalog_odoo.add_parser(parser.add_subparsers())
    return parser.parse_args(["catalog", *argv])


def test_bench_catalog_command(
    workbench: str, scratch_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "right")
    args = _args("--tables", "15", "--dsn", scratch_db, "--url", workbench, "--db", "wb", "--rounds", "2")
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["tables"] == 15
    assert figures["exact_query_top_hit"] == "ipwb_bench.t_000007"
    assert figures["bare_sql"]["table"] == "pg_class"
    assert figures["search_rpc"]["p50_ms"] <= figures["search_rpc"]["p95_ms"]
    assert figures["ratio_p50"] > 0
    methods = [method for method, _args in _Workbench.calls]
    assert methods[:3] == ["search", "action_scan", "action_scan"]
    # top hit, then warm-up and two rounds: all queries together, then each on its own
    assert methods.count("search_catalog") == 1 + 5 * 3 + 5 * 3
    assert set(figures["per_query_p95_ms"]) == set(figures["queries"])
    assert figures["goal_search_p95_ms"] == 50.0 and len(figures["loadavg_1m_5m_15m"]) == 3
    conn = psycopg2.connect(scratch_db)
    try:
        assert len(list(introspect(conn, ["ipwb_bench"]).tables())) == 15
    finally:
        conn.close()


def test_bench_catalog_real_queries_on_the_catalog_as_it_is(
    workbench: str, scratch_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "right")
    args = _args("--reuse", "--queries", "real", "--dsn", scratch_db, "--url", workbench, "--db", "wb")
    args.rounds = 1
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["queries"] == list(bench_catalog_odoo.REAL_QUERIES)
    assert {"amount", "quantitiy", "t_0500"} <= set(figures["per_query_p95_ms"])
    assert "build_seconds" not in figures, "the catalog is measured as it is"
    assert figures["tables_cataloged"] == 15
    searched = {args[0] for method, args in _Workbench.calls if method == "search_catalog"}
    assert set(bench_catalog_odoo.REAL_QUERIES) <= searched


def test_bench_catalog_refuses_bad_input(scratch_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IPWB_BENCH_PASSWORD", raising=False)
    with pytest.raises(ConfigurationError, match="IPWB_BENCH_PASSWORD"):
        args = _args("--dsn", scratch_db, "--db", "wb")
        args.func(args)
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "x")
    with pytest.raises(ConfigurationError, match="at least 1"):
        args = _args("--dsn", scratch_db, "--db", "wb", "--tables", "0")
        args.func(args)
