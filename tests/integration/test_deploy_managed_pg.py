"""Managed PostgreSQL without a superuser, and connection poolers (issue #17 §4).

A private cluster (tests/integration/private_pg.py) plays the provider: its admin role
``supa_admin`` has exactly CREATEDB and CREATEROLE, and pg_trgm/unaccent were created in
template1 beforehand by the superuser, as Supabase and DigitalOcean do.

- ``python -m ipwb.deploy.provision`` creates the roles and databases with that role,
  idempotently; an admin without CREATEROLE, a missing secret or a transaction-mode
  pgbouncer are refused up front with a message naming what to grant, nothing created;
- the workbench installs through Odoo behind Debian's pgbouncer in session mode, builds the
  finance demo (a pipeline run), serves the SQL editor over JSON-RPC, and Odoo's cron and
  bus LISTEN through the pooler.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import websocket

from ipwb.deploy.dbenv import WH_GRANTS, WH_OWNER, WH_READER
from ipwb.warehouse.hardening import harden_database

from .managed_pg import (  # noqa: F401 - fixtures: bouncers, cluster, managed_workbench, passwords, provisioned
    ADMIN,
    ODOO_DB,
    WAREHOUSE_DB,
    bouncers_fixture,
    cluster_fixture,
    deploy_env,
    managed_workbench_fixture,
    passwords_fixture,
    provisioned_fixture,
    run_module,
    snapshot,
)
from .private_pg import Bouncer, PrivateCluster

pytestmark = [pytest.mark.slow]


def test_provision_with_createdb_createrole_only(
    cluster: PrivateCluster, passwords: dict[str, str], provisioned: subprocess.CompletedProcess[str]
) -> None:
    assert cluster.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s", (ADMIN,)
    ) == [(False, True, True)]
    assert "created database ipwb_dpg (owner ipwb_odoo)" in provisioned.stdout
    assert "Warehouse hardening skipped: the connected role is not a superuser" in provisioned.stderr
    roles = {
        row[0]: row[1:]
        for row in cluster.execute(
            "SELECT rolname, rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolinherit FROM pg_roles"
            " WHERE rolname = ANY(%s)",
            (["ipwb_odoo", WH_OWNER, WH_READER, WH_GRANTS],),
        )
    }
    assert roles == {
        "ipwb_odoo": (False, True, False, False, True),
        WH_OWNER: (False, True, False, False, True),
        WH_READER: (False, True, False, False, False),
        WH_GRANTS: (False, True, False, True, True),
    }
    owners = dict(
        cluster.execute(
            "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname = ANY(%s)",
            ([ODOO_DB, WAREHOUSE_DB],),
        )
    )
    assert owners == {ODOO_DB: "ipwb_odoo", WAREHOUSE_DB: WH_OWNER}
    # the admin granted itself membership for CREATE DATABASE … OWNER only
    assert cluster.execute(
        "SELECT pg_has_role(%s, 'ipwb_odoo', 'MEMBER'), pg_has_role(%s, %s, 'MEMBER')",
        (ADMIN, ADMIN, WH_OWNER),
    ) == [(False, False)]
    assert cluster.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (WH_GRANTS, WH_OWNER)) == [(True,)]
    schemas = cluster.execute(
        "SELECT nspname FROM pg_namespace WHERE pg_get_userbyid(nspowner) = %s ORDER BY 1",
        (WH_OWNER,),
        WAREHOUSE_DB,
    )
    assert [s for (s,) in schemas] == ["bronze", "gold", "platinum", "silver"]
    for dbname in (ODOO_DB, WAREHOUSE_DB):
        extensions = cluster.execute("SELECT extname FROM pg_extension ORDER BY 1", dbname=dbname)
        assert {"pg_trgm", "unaccent"} <= {e for (e,) in extensions}

    # every role logs in with its password; the reader is read-only and kept out of Odoo's database
    reader = psycopg2.connect(**cluster.kwargs(WAREHOUSE_DB, WH_READER, passwords["IPWB_WH_READER_PASSWORD"]))
    try:
        with reader.cursor() as cur:
            cur.execute("SHOW default_transaction_read_only")
            assert cur.fetchone() == ("on",)
            cur.execute("SELECT current_schemas(false), current_setting('statement_timeout')")
            assert cur.fetchone() == (["gold", "silver", "bronze", "platinum", "public"], "30s")
    finally:
        reader.close()
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        psycopg2.connect(**cluster.kwargs(ODOO_DB, WH_READER, passwords["IPWB_WH_READER_PASSWORD"]))

    # hardening by a non-superuser changes nothing and says so (instead of half-revoking)
    acl = "SELECT proacl::text FROM pg_proc WHERE proname = 'pg_notify'"
    before = cluster.execute(acl, dbname=WAREHOUSE_DB)
    owner = psycopg2.connect(**cluster.kwargs(WAREHOUSE_DB, WH_OWNER, passwords["IPWB_WH_OWNER_PASSWORD"]))
    try:
        assert harden_database(owner, cancel_roles=[WH_READER], lock_roles=[WH_OWNER]) is False
        owner.commit()
    finally:
        owner.close()
    assert cluster.execute(acl, dbname=WAREHOUSE_DB) == before

    again = run_module("ipwb.deploy.provision", deploy_env(cluster.port, passwords))
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout


def test_refused_without_createrole(cluster: PrivateCluster, passwords: dict[str, str]) -> None:
    cluster.execute(
        "CREATE ROLE weak_admin LOGIN CREATEDB PASSWORD %s", (passwords["IPWB_DB_ADMIN_PASSWORD"],)
    )
    before = snapshot(cluster)
    env = deploy_env(
        cluster.port,
        passwords,
        IPWB_DB_ADMIN_USER="weak_admin",
        IPWB_DB_NAME="ipwb_weak",
        IPWB_WAREHOUSE_DB="ipwb_weak_wh",
        IPWB_DB_USER="ipwb_weak_odoo",
    )
    for module in ("ipwb.deploy.preflight", "ipwb.deploy.provision"):
        result = run_module(module, env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "role weak_admin lacks CREATEROLE (ALTER ROLE weak_admin CREATEROLE" in result.stderr
        assert "Nothing was created" in result.stderr
        assert "lacks CREATEDB" not in result.stderr
    assert snapshot(cluster) == before


def test_refused_without_a_secret(cluster: PrivateCluster, passwords: dict[str, str]) -> None:
    before = snapshot(cluster)
    env = deploy_env(cluster.port, passwords, IPWB_WH_GRANTS_PASSWORD="", IPWB_DB_NAME="ipwb_nosecret")
    result = run_module("ipwb.deploy.provision", env)
    assert result.returncode == 2
    assert "set IPWB_WH_GRANTS_PASSWORD (or the same names with _FILE)" in result.stderr
    assert passwords["IPWB_DB_ADMIN_PASSWORD"] not in result.stderr
    assert snapshot(cluster) == before


def test_secrets_from_files(cluster: PrivateCluster, passwords: dict[str, str], tmp_path: Any) -> None:
    env = deploy_env(cluster.port, passwords)
    for name in passwords:
        path = tmp_path / name.lower()
        path.write_text(env.pop(name) + "\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(path)
    result = run_module("ipwb.deploy.preflight", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "preflight: ok"


def test_connection_budget_warning(cluster: PrivateCluster, passwords: dict[str, str]) -> None:
    # the private cluster accepts 120 - 3 reserved: 41 processes x 64 connections do not fit
    env = deploy_env(cluster.port, passwords, IPWB_WORKERS="38", IPWB_DB_MAXCONN="64")
    result = run_module("ipwb.deploy.preflight", env)
    assert result.returncode == 0, result.stderr
    assert "one server may open up to 2624 connections (41 processes x db_maxconn 64)" in result.stderr
    assert "PostgreSQL accepts 117" in result.stderr
    small = run_module("ipwb.deploy.preflight", deploy_env(cluster.port, passwords, IPWB_DB_MAXCONN="4"))
    assert "one server may open" not in small.stderr


def test_transaction_pooler_refused(
    cluster: PrivateCluster,
    passwords: dict[str, str],
    bouncers: Callable[[str], Bouncer],
    provisioned: subprocess.CompletedProcess[str],
    tmp_path: Path,
) -> None:
    before = snapshot(cluster)
    transaction = bouncers("transaction")
    env = deploy_env(transaction.port, passwords, IPWB_DB_NAME="ipwb_txn", IPWB_WAREHOUSE_DB="ipwb_txn_wh")
    result = run_module("ipwb.deploy.provision", env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "connection pooler in transaction (or statement) mode" in result.stderr
    assert "Supavisor on port 5432 (not 6543)" in result.stderr
    assert snapshot(cluster) == before
    # the web/cron servers' start-up check, as Odoo's role on the provisioned database
    runtime = run_module("ipwb.deploy.preflight", deploy_env(transaction.port, passwords), "--runtime-only")
    assert runtime.returncode == 2
    assert "LISTEN on the 'postgres' database" in runtime.stderr
    # and the image's serve/cron commands run that check before starting Odoo
    conf = tmp_path / "odoo.conf"
    serve_env = deploy_env(
        transaction.port, passwords, IPWB_ADMIN_PASSWD="x" * 16, IPWB_CONFIG_PATH=str(conf)
    )
    for command in ("serve", "cron"):
        refused = run_module("ipwb.deploy.entrypoint", serve_env, command)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "LISTEN on the 'postgres' database" in refused.stderr
    # session mode (and a direct connection) pass the same checks
    for port in (bouncers("session").port, cluster.port):
        ok = run_module("ipwb.deploy.preflight", deploy_env(port, passwords), "--runtime")
        assert ok.returncode == 0, ok.stderr


PROBE_CRON = """
import json
name = {name!r}
cron = env["ir.cron"].create({{
    "name": "ipwb deploy probe", "model_id": env.ref("base.model_res_partner").id, "state": "code",
    "code": "model.create({{'name': %r}})" % name, "interval_number": 1, "interval_type": "days",
    "nextcall": "2099-01-01 00:00:00",
}})
env.cr.commit()
cron._trigger()
env["bus.bus"]._sendone(env.ref("base.partner_admin"), "ipwb_deploy_probe", {{"token": name}})
env.cr.commit()
print("IPWB-RESULT:" + json.dumps({{"cron": cron.id}}))
"""


@pytest.mark.odoo
def test_workbench_on_managed_pg_behind_session_pooler(
    cluster: PrivateCluster,
    passwords: dict[str, str],
    bouncers: Callable[[str], Bouncer],
    provisioned: subprocess.CompletedProcess[str],
    managed_workbench: Any,
) -> None:
    workbench = managed_workbench
    rpc = workbench.login()
    # a write and a read through the pooler
    partner = rpc.call_kw("res.partner", "create", [{"name": "Deploy probe"}])
    assert rpc.call_kw("res.partner", "read", [[partner], ["name"]])[0]["name"] == "Deploy probe"

    # the finance demo's pipeline filled the warehouse; the SQL editor reads it as a per-team
    # role that the grants role (CREATEROLE, no superuser) created
    result = rpc.call_kw(
        "ipwb.sql.service", "run", [], {"sql": "SELECT count(*) AS n FROM gold.fin_slsp_sales"}
    )
    assert result["status"] == "success", result
    assert result["rows"][0][0] > 0
    refused = rpc.call_kw("ipwb.sql.service", "run", [], {"sql": "DROP SCHEMA gold CASCADE"})
    assert refused["status"] == "refused"
    login_roles = cluster.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'ipwb\\_wh\\_%\\_r\\_%'")
    assert login_roles[0][0] >= 1

    # cron and bus LISTEN on 'postgres' through the pooler: a triggered job runs at once
    # (the cron thread's poll is 60 s), a bus message reaches a websocket
    ws = rpc.websocket()
    try:
        ws.send(
            json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": workbench.last_bus_id()}})
        )
        name = f"cron-{uuid.uuid4().hex[:8]}"
        workbench.script(PROBE_CRON.format(name=name))
        deadline = time.monotonic() + 45
        seen_bus = False
        while time.monotonic() < deadline and not seen_bus:
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            messages = json.loads(frame) if frame else []
            seen_bus = any(
                m.get("message", {}).get("type") == "ipwb_deploy_probe"
                and m["message"]["payload"].get("token") == name
                for m in messages
            )
        assert seen_bus, workbench.server.log_tail()
        while time.monotonic() < deadline and not rpc.call_kw(
            "res.partner", "search_count", [[("name", "=", name)]]
        ):
            time.sleep(1)
        assert rpc.call_kw("res.partner", "search_count", [[("name", "=", name)]]) == 1, (
            workbench.server.log_tail()
        )
    finally:
        ws.close()
    # Odoo's connections, the 'postgres' database's included, went through pgbouncer
    log = (bouncers("session").dir / "pgbouncer.log").read_text(encoding="utf-8")
    assert "login attempt: db=postgres user=ipwb_odoo" in log
    assert f"login attempt: db={ODOO_DB} user=ipwb_odoo" in log
