"""The engine's other guarded callers take their sessions from a pool when given one:
CSV/XLSX export and the Guardian runner (rendering connection, batched scans, samples)
reuse the worker's kept session instead of opening one per run, with results unchanged."""

from __future__ import annotations

import io

import psycopg2

from ipwb.guardian.checks import checks_from_data
from ipwb.guardian.runner import CheckResult, run_check, run_checks
from ipwb.warehouse.execute import execute
from ipwb.warehouse.export import export_csv, export_xlsx
from ipwb.warehouse.pool import ConnectionPool

from .conftest import Warehouse

CHECKS = [
    {"name": "owner set", "table": "public.accounts", "type": "not_null", "column": "owner"},
    {"name": "id unique", "table": "public.accounts", "type": "unique", "column": "id"},
    {
        "name": "owner known",
        "table": "public.accounts",
        "type": "accepted_values",
        "column": "owner",
        "values": ["alice", "bob", "carol", "dave"],
    },
]


def _pid(warehouse: Warehouse, pool: ConnectionPool) -> int:
    return int(execute(warehouse.reader, "SELECT pg_backend_pid()", pool=pool).rows[0][0])


def test_export_runs_on_the_kept_session(warehouse: Warehouse, pool: ConnectionPool) -> None:
    pid = _pid(warehouse, pool)
    out = io.StringIO()
    result = export_csv(warehouse.reader, "SELECT pg_backend_pid() AS pid", out, pool=pool)
    assert result.backend_pid == pid
    assert out.getvalue().splitlines() == ["pid", str(pid)]
    xlsx = export_xlsx(warehouse.reader, "SELECT owner FROM accounts", io.BytesIO(), pool=pool)
    assert (xlsx.backend_pid, xlsx.rows) == (pid, 5)
    assert (pool.stats.opened, pool.stats.reused) == (1, 2)
    # the export's server-side cursor and snapshot did not outlive it
    assert execute(warehouse.reader, "SELECT count(*) FROM pg_cursors", pool=pool).rows[0][0] <= 1
    assert _pid(warehouse, pool) == pid


def test_guardian_checks_open_no_connection_once_kept(warehouse: Warehouse, pool: ConnectionPool) -> None:
    checks = checks_from_data(CHECKS)
    reference = run_checks(warehouse.reader, checks)
    first = run_checks(warehouse.reader, checks, pool=pool)
    opened = pool.stats.opened
    assert 1 <= opened <= 2  # the rendering connection and one session
    second = run_checks(warehouse.reader, checks, pool=pool)
    assert pool.stats.opened == opened
    assert pool.stats.reused >= 2
    run_check(warehouse.reader, checks[2], pool=pool)
    assert pool.stats.opened == opened

    def outcome(results: list[CheckResult]) -> list[tuple[object, ...]]:
        return [(r.status, r.total, r.failed, r.sample) for r in results]

    assert outcome(first) == outcome(second) == outcome(reference)
    assert [r.status for r in first] == ["pass", "pass", "fail"]
    assert first[2].sample  # the failing check's sample ran on a kept session too


def test_guardian_replaces_a_kept_session_that_died(warehouse: Warehouse, pool: ConnectionPool) -> None:
    checks = checks_from_data(CHECKS)
    first = run_checks(warehouse.reader, checks, pool=pool)
    assert pool.idle_count() >= 1
    admin = psycopg2.connect(warehouse.admin_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE usename = %s AND pid <> pg_backend_pid()",
                (warehouse.reader_role,),
            )
            assert cur.fetchone()[0] >= 1  # type: ignore[index]
    finally:
        admin.close()
    second = run_checks(warehouse.reader, checks, pool=pool)
    assert [(r.status, r.failed) for r in second] == [(r.status, r.failed) for r in first]
    assert pool.stats.discarded >= 1
