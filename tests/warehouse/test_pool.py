"""The per-process connection pool: reuse, reset between runs, refusal of stale connections."""

from __future__ import annotations

import dataclasses
import os
import uuid

import psycopg2
import pytest
from psycopg2 import sql

from ipwb.errors import IpwbError, QueryTimeout, WarehouseError
from ipwb.warehouse.execute import execute
from ipwb.warehouse.guard import StatementFailed
from ipwb.warehouse.pool import ConnectionPool

from .conftest import Warehouse, snapshot

READ_ONLY_OPTIONS = "-c standard_conforming_strings=on -c default_transaction_read_only=on"


def _pid(config: object, pool: ConnectionPool, **kwargs: object) -> int:
    result = execute(config, "SELECT pg_backend_pid()", pool=pool, **kwargs)  # type: ignore[arg-type]
    return int(result.rows[0][0])


def _alive(dsn: str, pid: int) -> bool:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            row = cur.fetchone()
        return bool(row and row[0])
    finally:
        conn.close()


def test_idle_connection_is_reused_by_the_same_role(warehouse: Warehouse, pool: ConnectionPool) -> None:
    first = _pid(warehouse.reader, pool)
    assert _pid(warehouse.reader, pool) == first
    assert (pool.stats.opened, pool.stats.reused) == (1, 1)
    # another role never gets the reader's connection
    assert _pid(warehouse.admin, pool) != first
    assert pool.stats.opened == 2


def test_guards_stay_per_transaction_on_a_reused_connection(
    warehouse: Warehouse, pool: ConnectionPool
) -> None:
    assert execute(warehouse.reader, "SHOW statement_timeout", timeout_s=2, pool=pool).rows == (("2s",),)
    assert execute(warehouse.reader, "SHOW statement_timeout", timeout_s=7, pool=pool).rows == (("7s",),)
    assert execute(warehouse.reader, "SHOW transaction_read_only", pool=pool).rows == (("on",),)
    with pytest.raises(QueryTimeout):
        execute(warehouse.reader, "SELECT pg_sleep(5)", timeout_s=0.5, pool=pool)
    result = execute(warehouse.reader, "SELECT count(*) FROM accounts", pool=pool)
    assert result.rows == ((5,),)
    assert pool.stats.opened == 1  # a timed-out statement does not cost the connection
    before = snapshot(warehouse)
    with pytest.raises(IpwbError):
        execute(warehouse.reader, "DELETE FROM sentinel", allow_write=True, pool=pool)
    assert snapshot(warehouse) == before


def test_no_session_state_survives_a_release(warehouse: Warehouse, pool: ConnectionPool) -> None:
    conn, reused = pool.acquire(warehouse.admin, READ_ONLY_OPTIONS)
    assert not reused
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET search_path TO pg_catalog")
        cur.execute("SELECT set_config('application_name', 'leaked', false)")
        cur.execute("SET default_transaction_read_only = off")
        cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(warehouse.reader_role)))
        cur.execute("RESET ROLE")
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        cur.execute("CREATE TEMP TABLE leak (x int)")
        cur.execute("PREPARE leaked_plan AS SELECT 1")
        cur.execute("SELECT pg_advisory_lock(4242)")
        cur.execute("LISTEN leak_channel")
        cur.execute("SELECT pg_backend_pid()")
        row = cur.fetchone()
    assert row is not None
    pid = row[0]
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SELECT 1")  # leave a transaction open: release rolls it back
    pool.release(conn, warehouse.admin, READ_ONLY_OPTIONS)

    again, reused = pool.acquire(warehouse.admin, READ_ONLY_OPTIONS)
    try:
        assert reused
        with again.cursor() as cur:
            cur.execute(
                "SELECT pg_backend_pid(), current_setting('search_path'),"
                " current_setting('application_name'),"
                " current_setting('default_transaction_read_only'), current_setting('transaction_read_only'),"
                " (SELECT count(*) FROM pg_class WHERE relname = 'leak' AND relpersistence = 't'),"
                " (SELECT count(*) FROM pg_prepared_statements),"
                " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),"
                " (SELECT count(*) FROM pg_listening_channels())"
            )
            state = cur.fetchone()
        again.rollback()
    finally:
        pool.release(again, warehouse.admin, READ_ONLY_OPTIONS)
    assert state == (pid, '"$user", public', "ipwb", "on", "on", 0, 0, 0, 0)


def test_killed_backend_between_two_calls_reconnects(warehouse: Warehouse, pool: ConnectionPool) -> None:
    first = _pid(warehouse.reader, pool)
    admin = psycopg2.connect(warehouse.admin_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (first,))
        admin.commit()
    finally:
        admin.close()
    result = execute(warehouse.reader, "SELECT count(*), pg_backend_pid() FROM accounts", pool=pool)
    assert result.rows[0][0] == 5
    assert result.rows[0][1] != first
    assert pool.stats.opened == 2
    assert _pid(warehouse.reader, pool) == result.rows[0][1]  # the new one is pooled in turn


def test_rotated_password_closes_the_old_connection(warehouse: Warehouse, pool: ConnectionPool) -> None:
    role = f"ipwb_rot_{uuid.uuid4().hex[:8]}"
    old, new = uuid.uuid4().hex, uuid.uuid4().hex
    _admin(warehouse, sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)), (old,))
    try:
        before = dataclasses.replace(warehouse.admin, user=role, password=old)
        after = dataclasses.replace(before, password=new)
        first = _pid(before, pool)
        assert pool.idle_count() == 1
        _admin(warehouse, sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(role)), (new,))
        second = _pid(after, pool)
        assert second != first
        assert not _alive(warehouse.admin_dsn, first)  # closed, not left idle
        # the old password no longer opens anything, and the idle connection is not handed out
        with pytest.raises(WarehouseError, match="password"):
            _pid(before, pool)
        assert not _alive(warehouse.admin_dsn, second)
        assert pool.idle_count() == 0
    finally:
        pool.clear()
        _admin(warehouse, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_new_generation_is_not_served_old_connections(warehouse: Warehouse, pool: ConnectionPool) -> None:
    first = _pid(warehouse.reader, pool, pool_generation="grants synced at 1")
    assert _pid(warehouse.reader, pool, pool_generation="grants synced at 1") == first
    second = _pid(warehouse.reader, pool, pool_generation="grants synced at 2")
    assert second != first
    assert not _alive(warehouse.admin_dsn, first)


def test_read_only_and_write_sessions_never_share(warehouse: Warehouse, pool: ConnectionPool) -> None:
    read = _pid(warehouse.admin, pool)
    write = execute(warehouse.admin, "SELECT pg_backend_pid()", allow_write=True, pool=pool).rows[0][0]
    assert write != read
    assert execute(warehouse.admin, "SHOW default_transaction_read_only", pool=pool).rows == (("on",),)


def test_failed_statement_keeps_a_clean_connection(warehouse: Warehouse, pool: ConnectionPool) -> None:
    first = _pid(warehouse.reader, pool)
    with pytest.raises(StatementFailed):
        execute(warehouse.reader, "SELECT no_such_column FROM accounts", pool=pool)
    assert _pid(warehouse.reader, pool) == first


def test_idle_cap_and_size_cap(warehouse: Warehouse) -> None:
    expiring = ConnectionPool(max_size=4, max_idle_s=0)
    try:
        first = _pid(warehouse.reader, expiring)
        assert _pid(warehouse.reader, expiring) != first
        assert not _alive(warehouse.admin_dsn, first)
    finally:
        expiring.clear()
    small = ConnectionPool(max_size=1, max_idle_s=60)
    try:
        reader = _pid(warehouse.reader, small)
        _pid(warehouse.admin, small)
        assert small.idle_count() == 1
        assert not _alive(warehouse.admin_dsn, reader)  # the oldest idle one was closed
    finally:
        small.clear()


def test_forked_child_never_uses_the_parents_connection(warehouse: Warehouse, pool: ConnectionPool) -> None:
    parent = _pid(warehouse.reader, pool)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            mine = _pid(warehouse.reader, pool)
            os.write(write_end, str(mine).encode())
            code = 0 if mine != parent and pool.stats.reused == 0 else 2
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(child, 0)
    with os.fdopen(read_end) as pipe:
        child_pid = int(pipe.read() or 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_pid not in (0, parent)
    # the parent's socket was not touched by the child: still reused and working
    assert _pid(warehouse.reader, pool) == parent


def _admin(warehouse: Warehouse, statement: sql.Composable, params: tuple[object, ...] = ()) -> None:
    conn = psycopg2.connect(warehouse.admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


def test_session_end_runs_before_the_connection_is_given_back(
    warehouse: Warehouse, pool: ConnectionPool
) -> None:
    seen: list[tuple[int, int]] = []

    def on_end() -> None:
        seen.append((len(seen), pool.idle_count()))

    execute(warehouse.reader, "SELECT 1", pool=pool, on_session_end=on_end)
    with pytest.raises(StatementFailed):
        execute(warehouse.reader, "SELECT nope FROM accounts", pool=pool, on_session_end=on_end)
    # nobody could take the connection (and its pid) before the pid was forgotten
    assert seen == [(0, 0), (1, 0)]
    assert pool.idle_count() == 1
