"""Restore drill (issue #17 §5): back up a live workbench, destroy it, restore it elsewhere.

1. On the project's cluster: an Odoo database with the workbench's catalog addon and records
   (a partner, a warehouse connection, a file attachment in the filestore) and a warehouse
   (medallion tables, a reader grant), under throwaway names.
2. ``ipwb backup`` (the real command, configured by the deploy environment only).
3. Everything is destroyed: both databases and the filestore.
4. ``ipwb restore`` onto an *empty server*: a private cluster whose admin role has only
   CREATEDB and CREATEROLE (a managed provider's), with new passwords for every role.
5. The records, the attachment's bytes and the warehouse's row counts are equal; Odoo serves
   from the restored server (``/web/health``, JSON-RPC login, the attachment downloads); the
   warehouse reader reads and cannot write. Restoring again is refused (not empty), nothing
   changed. Corrupt archives and unreachable servers: tests/deploy/test_backup_restore.py.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
import requests
from psycopg2 import sql

from .conftest import ROOT, OdooDatabases, odoo_runner
from .private_pg import PrivateCluster, free_port
from .waiting import stop_process

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

BASE = pathlib.Path("/var/tmp/ipwb-deploy-do-pg")
PG_PORTS = range(18201, 18210)
HTTP_PORTS = range(18210, 18220)
ADMIN = "drill_dba"
RESULT = "IPWB-RESULT:"
CONTENT = b"InsightPulse restore drill: BIR 2307 certificate\n" * 200

WRITE = f"""
partner = env["res.partner"].create({{"name": "Restore drill partner", "email": "drill@example.com"}})
env["ipwb.connection"].create({{"name": "Drill wh", "dbname": "wh_drill", "username": "r",
                               "password": "kept-secret", "statement_timeout": 42}})
env["ir.attachment"].create({{"name": "drill-2307.txt", "raw": {CONTENT!r},
                             "res_model": "res.partner", "res_id": partner.id}})
env.cr.commit()
"""

READ = """
import hashlib, json
att = env["ir.attachment"].search([("name", "=", "drill-2307.txt")])
print("IPWB-RESULT:" + json.dumps({
    "partners": env["res.partner"].search_count([]),
    "partner": env["res.partner"].search([("name", "=", "Restore drill partner")]).read(["email"])[0],
    "connection": env["ipwb.connection"].search([("name", "=", "Drill wh")]).read(
        ["dbname", "username", "password", "statement_timeout"])[0],
    "attachment": {"id": att.id, "store_fname": att.store_fname,
                   "sha256": hashlib.sha256(att.raw).hexdigest()},
    "modules": sorted(env["ir.module.module"].search(
        [("state", "=", "installed"), ("name", "=like", "ipwb_%")]).mapped("name")),
}, default=str))
"""

WAREHOUSE_SQL = """
CREATE SCHEMA bronze;
CREATE SCHEMA gold;
CREATE TABLE bronze.raw_invoices (id serial PRIMARY KEY, payload jsonb NOT NULL);
INSERT INTO bronze.raw_invoices (payload)
    SELECT jsonb_build_object('no', i, 'amount', i * 11.5) FROM generate_series(1, 500) AS i;
CREATE TABLE gold.fct_withholding (tin text, atc text, amount numeric(14, 2));
INSERT INTO gold.fct_withholding
    SELECT lpad(i::text, 9, '0'), 'WC158', i * 3.25 FROM generate_series(1, 2000) AS i;
GRANT USAGE ON SCHEMA bronze, gold TO ipwb_wh_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA bronze, gold TO ipwb_wh_reader;
"""


class EmptyServer(PrivateCluster):
    """A fresh PostgreSQL cluster on loopback, its superuser's password random, playing a
    managed provider: the restore only gets :data:`ADMIN` (CREATEDB, CREATEROLE)."""

    def __init__(self) -> None:
        super().__init__(BASE, PG_PORTS)
        self.admin_password = secrets.token_urlsafe(18)

    def start(self) -> EmptyServer:
        super().start()
        self.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                sql.Identifier(ADMIN), sql.Literal(self.admin_password)
            )
        )
        return self


@pytest.fixture(scope="module")
def empty_server() -> Iterator[EmptyServer]:
    server = EmptyServer().start()
    try:
        yield server
    finally:
        server.destroy()


def _result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(RESULT):
            return dict(json.loads(line[len(RESULT) :]))
    raise AssertionError(f"no result printed:\n{output[-3000:]}")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipwb.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    """The caller's environment without any deploy variable: the commands see only ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IPWB_DB_", "IPWB_WH_", "IPWB_WAREHOUSE_", "PG"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return env


def _warehouse_counts(conn: psycopg2.extensions.connection) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM bronze.raw_invoices), (SELECT count(*) FROM gold.fct_withholding),"
            " (SELECT sum(amount) FROM gold.fct_withholding)::text"
        )
        raw, fct, total = cur.fetchone()  # type: ignore[misc]
    return {"bronze.raw_invoices": raw, "gold.fct_withholding": fct, "sum": total}


def _restored_config(
    odoo_databases: OdooDatabases, path: pathlib.Path, options: dict[str, str]
) -> pathlib.Path:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(odoo_databases.config_path)
    for key, value in options.items():
        parser.set("options", key, value)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    return path


def test_restore_drill(
    odoo_databases: OdooDatabases, pg_admin_dsn: str, empty_server: EmptyServer, tmp_path: pathlib.Path
) -> None:
    # -- 1. a live workbench under throwaway names ---------------------------------------
    source = odoo_databases.create_empty("ipwb_it_drill")
    installed = odoo_databases.run(source, install=["ipwb_catalog"])
    assert installed.ok, installed.explain()
    written = odoo_databases.run_script(source, WRITE)
    assert written.ok, written.explain()
    before = _result(odoo_databases.run_script(source, READ).output)
    assert before["attachment"]["store_fname"], "the drill attachment must live in the filestore"
    assert odoo_databases.filestore(source).joinpath(before["attachment"]["store_fname"]).is_file()

    warehouse = odoo_databases.new_name("ipwb_it_drillwh")
    admin = psycopg2.connect(pg_admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {} OWNER ipwb_wh_owner").format(sql.Identifier(warehouse)))
    wh = psycopg2.connect(pg_admin_dsn, dbname=warehouse)
    wh.autocommit = True
    with wh.cursor() as cur:
        cur.execute("SET ROLE ipwb_wh_owner")
        cur.execute(WAREHOUSE_SQL)
    wh_before = _warehouse_counts(wh)
    wh.close()

    # -- 2. back up with the deploy environment ------------------------------------------
    dsn = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    backup_env = {
        **_clean_env(),
        "IPWB_DB_HOST": dsn["host"],
        "IPWB_DB_PORT": dsn["port"],
        "IPWB_DB_NAME": source,
        "IPWB_DB_ADMIN_USER": dsn["user"],
        "IPWB_DB_ADMIN_PASSWORD": dsn["password"],
        "IPWB_WAREHOUSE_DB": warehouse,
        "IPWB_DATA_DIR": odoo_databases.options["data_dir"],
    }
    archive = tmp_path / "drill.tar"
    done = _cli(backup_env, "backup", "--output", str(archive))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["filestore"]["files"] >= 1 and summary["filestore"]["missing"] == []

    # -- 3. destroy ------------------------------------------------------------------------
    with admin.cursor() as cur:
        for name in (source, warehouse):
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.close()
    shutil.rmtree(odoo_databases.filestore(source))

    # -- 4. restore onto the empty server, new passwords for every role -------------------
    passwords = {
        name: secrets.token_urlsafe(18)
        for name in (
            "IPWB_DB_PASSWORD",
            "IPWB_WH_OWNER_PASSWORD",
            "IPWB_WH_READER_PASSWORD",
            "IPWB_WH_GRANTS_PASSWORD",
        )
    }
    data_dir = tmp_path / "restored-data"
    restore_env = {
        **_clean_env(),
        **passwords,
        "IPWB_DB_HOST": "127.0.0.1",
        "IPWB_DB_PORT": str(empty_server.port),
        "IPWB_DB_NAME": "ipwb",
        "IPWB_DB_ADMIN_USER": ADMIN,
        "IPWB_DB_ADMIN_PASSWORD": empty_server.admin_password,
        "IPWB_WAREHOUSE_DB": "ipwb_warehouse",
        "IPWB_DATA_DIR": str(data_dir),
    }
    restored = _cli(restore_env, "restore", "--input", str(archive))
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout)
    assert {"ipwb_odoo", "ipwb_wh_owner", "ipwb_wh_reader", "ipwb_wh_grants"} <= set(report["roles_created"])
    assert report["files"] == summary["filestore"]["files"]

    # -- 5. equal, and Odoo serves from the restored server -------------------------------
    http_port = free_port(HTTP_PORTS)
    config = _restored_config(
        odoo_databases,
        tmp_path / "restored.conf",
        {
            "db_host": "127.0.0.1",
            "db_port": str(empty_server.port),
            "db_user": "ipwb_odoo",
            "db_password": passwords["IPWB_DB_PASSWORD"],
            "db_name": "ipwb",
            "dbfilter": "^ipwb$",
            "data_dir": str(data_dir),
            "http_port": str(http_port),
            "http_interface": "127.0.0.1",
            "max_cron_threads": "0",
            "workers": "0",
        },
    )
    after = _result(odoo_runner.run_odoo(str(config), "ipwb", odoo_shell=True, stdin=READ).output)
    assert after == before

    wh_restored = empty_server.connect("ipwb_warehouse")
    assert _warehouse_counts(wh_restored) == wh_before
    wh_restored.close()
    reader = empty_server.connect("ipwb_warehouse", "ipwb_wh_reader", passwords["IPWB_WH_READER_PASSWORD"])
    assert _warehouse_counts(reader) == wh_before
    with reader.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        cur.execute("DELETE FROM gold.fct_withholding")
    reader.close()

    log = tmp_path / "odoo.log"
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin"), "-c", str(config)],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"{url}/web/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(1)
        session = requests.Session()
        login = session.post(
            f"{url}/web/session/authenticate",
            timeout=120,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"db": "ipwb", "login": "admin", "password": "admin"},
            },
        ).json()
        assert login.get("result", {}).get("uid") == 2, login
        download = session.get(f"{url}/web/content/{after['attachment']['id']}?download=true", timeout=120)
        assert download.status_code == 200 and download.content == CONTENT
        assert hashlib.sha256(download.content).hexdigest() == before["attachment"]["sha256"]
    finally:
        stop_process(server)

    # -- restoring again onto the now non-empty server is refused, nothing changed ---------
    again = _cli(restore_env, "restore", "--input", str(archive))
    assert again.returncode == 2 and "not empty" in again.stderr and "nothing was changed" in again.stderr
    assert _result(odoo_runner.run_odoo(str(config), "ipwb", odoo_shell=True, stdin=READ).output) == before
