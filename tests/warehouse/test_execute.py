"""Guarded execution: timeout, cancel, bound parameters, row cap and paging, writes."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import psycopg2
import pytest

from ipwb.errors import ConfigurationError, ParameterError, QueryCancelled, QueryTimeout
from ipwb.sql.classify import Classification, StatementKind, StatementRefused
from ipwb.warehouse import execute as execute_module
from ipwb.warehouse.execute import cancel, execute
from ipwb.warehouse.guard import StatementFailed

from .conftest import Warehouse, snapshot


def test_runs_in_a_read_only_transaction_with_the_timeout(warehouse: Warehouse) -> None:
    assert execute(warehouse.admin, "SHOW transaction_read_only").rows == (("on",),)
    assert execute(warehouse.admin, "SHOW statement_timeout", timeout_s=2).rows == (("2s",),)


def test_timeout_stops_the_statement(warehouse: Warehouse) -> None:
    with pytest.raises(QueryTimeout, match="1 s timeout"):
        execute(warehouse.admin, "SELECT pg_sleep(10)", timeout_s=1)


def test_cancel_from_another_thread(warehouse: Warehouse) -> None:
    pids: queue.Queue[int] = queue.Queue()
    outcome: queue.Queue[BaseException | object] = queue.Queue()

    def run() -> None:
        try:
            outcome.put(
                execute(warehouse.admin, "SELECT pg_sleep(60)", timeout_s=120, on_backend_pid=pids.put)
            )
        except BaseException as exc:  # handed to the main thread
            outcome.put(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    pid = pids.get(timeout=30)
    _wait_until_active(warehouse.admin_dsn, pid)
    assert cancel(warehouse.admin, pid) is True
    worker.join(timeout=60)
    result = outcome.get(timeout=1)
    assert isinstance(result, QueryCancelled), result


def _wait_until_active(dsn: str, pid: int) -> None:
    """Poll until the backend runs the statement (a cancel sent while it idles is lost).

    The pid is reported after the guard's own setup query, so "active" is the user's
    statement (DECLARE, then the FETCH that sleeps)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        for _ in range(600):
            with conn.cursor() as cur:
                cur.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,))
                row = cur.fetchone()
            if row and row[0] == "active":
                return
            time.sleep(0.05)
        pytest.fail(f"backend {pid} never started the statement")
    finally:
        conn.close()


def test_cancel_of_unknown_backend_is_false(warehouse: Warehouse) -> None:
    assert cancel(warehouse.admin, 2**31 - 1) is False


@pytest.mark.parametrize(
    "value",
    ["x' OR '1'='1", "1; DROP TABLE sentinel; --", "%(owner)s", "{{owner}}", "alice' --", "\\'; DELETE"],
)
def test_parameters_are_bound_as_data(warehouse: Warehouse, value: str) -> None:
    before = snapshot(warehouse)
    result = execute(
        warehouse.admin,
        "SELECT count(*) AS n, {{owner}}::text AS echoed FROM accounts WHERE owner = {{owner}}",
        {"owner": value},
    )
    assert result.rows == ((0, value),)
    assert snapshot(warehouse) == before


def test_parameter_matches_real_data_and_percent_is_literal(warehouse: Warehouse) -> None:
    result = execute(
        warehouse.admin,
        "SELECT owner, 7 % 3 AS m, '{{owner}}' AS literal FROM accounts"
        " WHERE owner LIKE 'O%' AND owner = {{owner}}",
        {"owner": "O'Brien"},
    )
    assert result.rows == (("O'Brien", 1, "{{owner}}"),)
    assert execute(warehouse.admin, "SELECT 'a%b' LIKE 'a%'").rows == ((True,),)


def test_missing_or_unknown_parameters_are_reported(warehouse: Warehouse) -> None:
    with pytest.raises(ParameterError, match="owner"):
        execute(warehouse.admin, "SELECT {{owner}}")
    with pytest.raises(ParameterError, match="typo"):
        execute(warehouse.admin, "SELECT 1", {"typo": 1})


def test_row_cap_truncation_and_pages(warehouse: Warehouse) -> None:
    query = "SELECT g FROM generate_series(1, 2500) AS g ORDER BY g"
    first = execute(warehouse.admin, query)
    assert len(first.rows) == 1000 and first.truncated and first.next_offset == 1000
    assert first.rows[0] == (1,) and first.rows[-1] == (1000,)
    last = execute(warehouse.admin, query, offset=2000)
    assert len(last.rows) == 500 and not last.truncated and last.next_offset is None
    assert last.rows[0] == (2001,)
    exact = execute(warehouse.admin, "SELECT g FROM generate_series(1, 10) AS g", max_rows=10)
    assert len(exact.rows) == 10 and not exact.truncated


def test_columns_types_and_metadata(warehouse: Warehouse) -> None:
    result = execute(warehouse.admin, "SELECT id, owner, balance, now() AS at FROM accounts ORDER BY id")
    assert result.column_names == ("id", "owner", "balance", "at")
    assert [c.type_name for c in result.columns] == ["integer", "text", "numeric", "timestamp with time zone"]
    assert result.rowcount == 5 and result.status == "SELECT 5"
    assert result.backend_pid > 0 and result.duration_ms >= 0
    assert result.classification.kind == StatementKind.QUERY


def test_server_error_has_line_and_column(warehouse: Warehouse) -> None:
    with pytest.raises(StatementFailed) as failure:
        execute(warehouse.admin, "SELECT id,\n       nope\nFROM accounts")
    assert (failure.value.line, failure.value.col, failure.value.pgcode) == (2, 8, "42703")


def test_allowed_write_commits_and_forbidden_stays_refused(warehouse: Warehouse) -> None:
    execute(warehouse.admin, "CREATE TABLE scratch (a int)", allow_write=True)
    inserted = execute(warehouse.admin, "INSERT INTO scratch VALUES (1), (2)", allow_write=True)
    assert inserted.rowcount == 2 and inserted.status == "INSERT 0 2"
    assert execute(warehouse.admin, "SELECT count(*) FROM scratch").rows == ((2,),)
    returning = execute(warehouse.admin, "DELETE FROM scratch WHERE a = 1 RETURNING a", allow_write=True)
    assert returning.rows == ((1,),) and returning.rowcount == 1
    for statement, code in [
        ("COPY scratch FROM PROGRAM 'true'", "copy_program"),
        ("SET ROLE ipwb_admin", "role_change"),
        ("INSERT INTO scratch VALUES (3); COMMIT", "multiple_statements"),
        ("SELECT pg_read_file('/etc/passwd')", "server_file_access"),
    ]:
        with pytest.raises(StatementRefused) as refusal:
            execute(warehouse.admin, statement, allow_write=True)
        assert code in [c.value for c in refusal.value.codes]
    execute(warehouse.admin, "DROP TABLE scratch", allow_write=True)


def test_read_only_run_always_rolls_back(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """lo_create() is not blocked by READ ONLY; the rollback still leaves no trace."""

    def permissive(sql: str, *, strict: bool = False) -> Classification:
        return Classification(sql, StatementKind.SHOW, (), (), strict)

    monkeypatch.setattr(execute_module.statement_cache, "classified", permissive)
    before = snapshot(warehouse)
    oid: Any = execute(warehouse.admin, "SELECT lo_create(0)").rows[0][0]
    assert oid
    assert snapshot(warehouse) == before


def test_bad_options_are_configuration_errors(warehouse: Warehouse) -> None:
    with pytest.raises(ConfigurationError):
        execute(warehouse.admin, "SELECT 1", max_rows=0)
    with pytest.raises(ConfigurationError):
        execute(warehouse.admin, "SELECT 1", timeout_s=0)


def test_type_names_cached_only_for_built_in_types(warehouse: Warehouse) -> None:
    from ipwb.warehouse import guard  # noqa: PLC0415

    conn = psycopg2.connect(warehouse.admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TYPE IF EXISTS ipwb_mood; CREATE TYPE ipwb_mood AS ENUM ('ok')")
        sql = "SELECT 'ok'::ipwb_mood AS m, 1::bigint AS n, now() AS t"
        first = execute(warehouse.admin, sql).columns
        with conn.cursor() as cur:  # same name, another OID
            cur.execute("DROP TYPE ipwb_mood; CREATE TYPE ipwb_mood AS ENUM ('ok')")
        again = execute(warehouse.admin, sql).columns
        with conn.cursor() as cur:
            cur.execute("DROP TYPE ipwb_mood")
    finally:
        conn.close()
    expected = ["ipwb_mood", "bigint", "timestamp with time zone"]
    assert [c.type_name for c in first] == [c.type_name for c in again] == expected
    assert first[0].type_oid != again[0].type_oid
    assert all(oid < guard.FIRST_NORMAL_OID for _version, oid in guard._BUILTIN_TYPES)
