"""Restricted tables enforced by PostgreSQL: per-team roles kept in sync, and the
defence-in-depth revocations of ipwb.warehouse.hardening, on a real server.

The sync runs as a real non-superuser grants role (CREATEROLE, member of the owner), as
in setup/pg.sh, so the test also proves those privileges are enough.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig, connect
from ipwb.warehouse.execute import execute
from ipwb.warehouse.grants import (
    ADMIN_TEAM,
    GrantNames,
    RelationState,
    WarehouseState,
    derive_password,
    login_config,
    plan_grants,
    sync_grants,
)
from ipwb.warehouse.guard import DatabaseRefused, cancel
from ipwb.warehouse.hardening import harden_database
from ipwb.warehouse.roles import verify_login_roles, verify_readonly_role

SCHEMAS = ("gold", "silver")
SECRET = ("gold", "payroll")
RESTRICTED = {SECRET: {"ga", ADMIN_TEAM}}


@dataclasses.dataclass(frozen=True)
class Grants:
    admin_dsn: str
    admin: WarehouseConfig
    grants: WarehouseConfig
    owner: str
    names: GrantNames


def _exec(dsn: str, statements: list[sql.Composable | str], autocommit: bool = True) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = autocommit
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        if not autocommit:
            conn.commit()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def grants(module_db: str) -> Iterator[Grants]:
    suffix = uuid.uuid4().hex[:8]
    owner, grants_role, password = f"ipwb_t_owner_{suffix}", f"ipwb_t_grants_{suffix}", uuid.uuid4().hex
    admin = WarehouseConfig.from_dsn(module_db)
    o, g = sql.Identifier(owner), sql.Identifier(grants_role)
    _exec(
        module_db,
        [
            sql.SQL("CREATE ROLE {} NOLOGIN").format(o),
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE INHERIT PASSWORD {}").format(g, sql.Literal(password)),
            sql.SQL("GRANT {} TO {}").format(o, g),
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(admin.dbname), o),
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(admin.dbname)),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(admin.dbname), g),
            sql.SQL("CREATE SCHEMA gold AUTHORIZATION {}").format(o),
            sql.SQL("CREATE SCHEMA silver AUTHORIZATION {}").format(o),
            sql.SQL("SET ROLE {}").format(o),
            "CREATE TABLE gold.payroll (who text, salary numeric)",
            "INSERT INTO gold.payroll VALUES ('ann', 100)",
            "CREATE TABLE gold.sales (id int)",
            "INSERT INTO gold.sales VALUES (1), (2)",
            "CREATE VIEW silver.sales_v AS SELECT id FROM gold.sales",
            "RESET ROLE",
        ],
    )
    conn = psycopg2.connect(module_db)
    try:
        harden_database(conn, cancel_roles=[grants_role], catalog_roles=[grants_role], lock_roles=[owner])
        conn.commit()
    finally:
        conn.close()
    grants_config = dataclasses.replace(admin, user=grants_role, password=password)
    names = GrantNames(admin.dbname)
    try:
        yield Grants(module_db, admin, grants_config, owner, names)
    finally:
        _drop_roles(module_db, names.prefix, [grants_role, owner])


def _drop_roles(dsn: str, prefix: str, extra: list[str]) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            dbname = cur.fetchone()[0]  # type: ignore[index]
            cur.execute(sql.SQL("ALTER DATABASE {} OWNER TO CURRENT_USER").format(sql.Identifier(dbname)))
            cur.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s) OR rolname = ANY(%s) ORDER BY 1",
                (prefix, extra),
            )
            for (role,) in cur.fetchall():
                cur.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            cur.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s) ORDER BY 1", (prefix,))
            for (role,) in cur.fetchall():
                cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
            for role in extra:
                cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    finally:
        conn.close()


def _sync(g: Grants, restricted: dict[tuple[str, str], set[str]]) -> int:
    plan = sync_grants(g.grants, schemas=SCHEMAS, restricted=restricted, owner_role=g.owner)
    assert plan.problems == ()  # the sync verifies every login role of the database
    assert plan.unmanaged == ()
    return plan.changes


def _rows(config: WarehouseConfig, query: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in execute(config, query).rows]


def test_plan_is_pure() -> None:
    names = GrantNames("wh")
    state = WarehouseState(
        relations=(
            RelationState("gold", "payroll", True, frozenset({names.everyone})),
            RelationState("gold", "sales", True, frozenset()),
            RelationState("gold", "foreign", False, frozenset()),
        ),
        roles=frozenset({names.everyone}),
        schemas=("gold",),
    )
    plan = plan_grants(names, state, {("gold", "payroll"): {"g7"}})
    assert plan.create_roles == (names.team("g7"),)
    assert plan.grants == (("gold", "payroll", names.team("g7")), ("gold", "sales", names.everyone))
    assert plan.revokes == (("gold", "payroll", names.everyone),)
    assert plan.unmanaged == (("gold", "foreign"),)
    # names: scoped per database, content-addressed per team set, hostile keys refused
    assert names.login(["g1", "admin"]) == names.login(["admin", "g1", "g1"])
    assert names.login(["g1"]) != GrantNames("other").login(["g1"])
    for bad in ("G1", "g-1", "", "x" * 17, "a;drop"):
        with pytest.raises(ConfigurationError):
            names.team(bad)
    assert derive_password("s", "r") == derive_password("s", "r") != derive_password("t", "r")


def test_team_reads_its_restricted_table_other_team_is_refused(grants: Grants) -> None:
    _sync(grants, RESTRICTED)
    assert _sync(grants, RESTRICTED) == 0  # idempotent
    team_a = login_config(grants.grants, ["ga"])
    team_b = login_config(grants.grants, ["gb"])
    admins = login_config(grants.grants, [ADMIN_TEAM, "ga", "gb"])
    nobody = login_config(grants.grants, [])
    assert _rows(team_a, "SELECT who FROM gold.payroll") == [("ann",)]
    assert _rows(admins, "SELECT who FROM gold.payroll") == [("ann",)]
    for config in (team_b, nobody):
        with pytest.raises(DatabaseRefused) as refused:
            execute(config, "SELECT who FROM gold.payroll")
        assert refused.value.pgcode == "42501"
        assert "permission denied" in str(refused.value)
        # what is not restricted stays readable by everyone
        assert _rows(config, "SELECT count(*) FROM gold.sales") == [(2,)]
        assert _rows(config, "SELECT count(*) FROM silver.sales_v") == [(2,)]


def test_unrestricting_and_sync_restores_access(grants: Grants) -> None:
    _sync(grants, RESTRICTED)
    team_b = login_config(grants.grants, ["gb"])
    with pytest.raises(DatabaseRefused):
        execute(team_b, "SELECT who FROM gold.payroll")
    _sync(grants, {})
    assert _rows(team_b, "SELECT who FROM gold.payroll") == [("ann",)]
    _sync(grants, RESTRICTED)
    with pytest.raises(DatabaseRefused):
        execute(team_b, "SELECT who FROM gold.payroll")


def test_new_owner_tables_are_readable_by_everyone(grants: Grants) -> None:
    _sync(grants, RESTRICTED)
    _exec(
        grants.admin_dsn,
        [
            sql.SQL("SET ROLE {}").format(sql.Identifier(grants.owner)),
            "CREATE TABLE gold.fresh AS SELECT 1 AS x",
        ],
    )
    assert _rows(login_config(grants.grants, ["gb"]), "SELECT x FROM gold.fresh") == [(1,)]


def test_login_role_cannot_set_role_to_more(grants: Grants) -> None:
    _sync(grants, RESTRICTED)
    team_b = login_config(grants.grants, ["gb"])
    conn = connect(team_b)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for target in (
                grants.names.team("ga"),
                grants.names.team(ADMIN_TEAM),
                grants.owner,
                grants.grants.user,
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(target)))
            for target in (grants.names.team("gb"), grants.names.everyone):  # its own: no more rights
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(target)))
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute("SELECT * FROM gold.payroll")
                cur.execute("RESET ROLE")
    finally:
        conn.close()
    admin = psycopg2.connect(grants.admin_dsn)
    try:
        assert verify_readonly_role(admin, team_b.user).ok
        report = verify_login_roles(admin, grants.names.prefix)
        assert team_b.user in {r.role for r in report} and all(r.ok for r in report), report
    finally:
        admin.close()


def test_widened_login_role_is_reported(grants: Grants) -> None:
    team_b = login_config(grants.grants, ["gb"])
    admin = psycopg2.connect(grants.admin_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(grants.owner), sql.Identifier(team_b.user))
            )
        problems = [p for r in verify_login_roles(admin, grants.names.prefix) for p in r.problems]
    finally:
        admin.rollback()
        admin.close()
    assert any(grants.owner in p and team_b.user in p for p in problems), problems


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT pg_notify('ipwb', 'x')",
        "SELECT pg_cancel_backend(pg_backend_pid())",
        "SELECT pg_terminate_backend(1)",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_xact_lock(1)",
        "SELECT lo_import('/etc/hostname')",
        "SELECT lo_creat(-1)",
        "SELECT * FROM pg_stat_activity",
        "SELECT * FROM pg_stat_get_activity(NULL)",
        "SELECT * FROM pg_roles",
        "SELECT * FROM pg_user",
        "SELECT * FROM pg_auth_members",
        "SELECT * FROM pg_database",
        "SELECT * FROM pg_locks",
    ],
)
def test_revoked_from_users_roles(grants: Grants, statement: str) -> None:
    conn = connect(login_config(grants.grants, ["ga"]))
    conn.autocommit = True
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(statement)
    finally:
        conn.close()


def test_owner_keeps_advisory_locks(grants: Grants) -> None:
    """The owner's pipeline steps serialise with advisory locks (finance); users' roles may not."""
    conn = psycopg2.connect(grants.admin_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(grants.owner)))
            cur.execute("SELECT pg_try_advisory_xact_lock(hashtext('ipwb'))")
            assert cur.fetchone() == (True,)
    finally:
        conn.rollback()
        conn.close()


def test_guard_still_works_and_grants_role_cancels(grants: Grants) -> None:
    """set_config (the guard's timeout) stays usable; the grants role can cancel a login's
    statement (the editor's Cancel) although the login itself may not signal anyone."""
    _sync(grants, RESTRICTED)
    team_a = login_config(grants.grants, ["ga"])
    pids: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            execute(team_a, "SELECT pg_sleep(20)", timeout_s=25, on_backend_pid=pids.append)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not pids and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert pids and cancel(grants.grants, pids[0]) is True
    thread.join(15)
    assert errors and "cancelled" in str(errors[0])
