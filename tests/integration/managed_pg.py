"""Fixtures of the managed-PostgreSQL deploy test: a provider-like private cluster whose admin
role has exactly CREATEDB + CREATEROLE, pgbouncer in front of it, the deploy environment, and
the workbench installed through Odoo on it (tests/integration/test_deploy_managed_pg.py)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from psycopg2 import sql

from ipwb.deploy.dbenv import ENVIRONMENT, SECRETS, WH_GRANTS, WH_OWNER

from .conftest import ROOT, odoo_runner
from .odoo_server import JsonRpc, OdooServer, write_config
from .private_pg import Bouncer, PrivateCluster, free_port

ADMIN = "supa_admin"
ODOO_DB = "ipwb_dpg"
WAREHOUSE_DB = "ipwb_dpg_wh"
BOUNCER_PORTS = range(18310, 18320)


@pytest.fixture(scope="module", name="passwords")
def passwords_fixture() -> dict[str, str]:
    return {
        "IPWB_DB_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "IPWB_DB_PASSWORD": secrets.token_urlsafe(18),
        "IPWB_WH_OWNER_PASSWORD": secrets.token_urlsafe(18),
        "IPWB_WH_READER_PASSWORD": secrets.token_urlsafe(18),
        "IPWB_WH_GRANTS_PASSWORD": secrets.token_urlsafe(18),
    }


@pytest.fixture(scope="module", name="cluster")
def cluster_fixture(passwords: dict[str, str]) -> Iterator[PrivateCluster]:
    pg = PrivateCluster().start()
    try:
        pg.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD %s").format(sql.Identifier(ADMIN)),
            (passwords["IPWB_DB_ADMIN_PASSWORD"],),
        )
        pg.execute("CREATE EXTENSION pg_trgm; CREATE EXTENSION unaccent", dbname="template1")
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="module", name="bouncers")
def bouncers_fixture(
    cluster: PrivateCluster, passwords: dict[str, str]
) -> Iterator[Callable[[str], Bouncer]]:
    started: dict[str, Bouncer] = {}
    users = {
        ADMIN: passwords["IPWB_DB_ADMIN_PASSWORD"],
        "ipwb_odoo": passwords["IPWB_DB_PASSWORD"],
        "weak_admin": passwords["IPWB_DB_ADMIN_PASSWORD"],
    }

    def get(mode: str) -> Bouncer:
        if mode not in started:
            started[mode] = Bouncer(cluster, mode, users, BOUNCER_PORTS).start()
        return started[mode]

    try:
        yield get
    finally:
        for bouncer in started.values():
            bouncer.stop()


def deploy_env(port: int, passwords: dict[str, str], **overrides: str) -> dict[str, str]:
    """The image's environment for one deployment (nothing inherited from the caller's IPWB_*)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ENVIRONMENT and k.removesuffix("_FILE") not in SECRETS
    }
    env.update(passwords)
    env.update(
        PYTHONPATH=str(ROOT),
        IPWB_DB_HOST="127.0.0.1",
        IPWB_DB_PORT=str(port),
        IPWB_DB_NAME=ODOO_DB,
        IPWB_DB_ADMIN_USER=ADMIN,
        IPWB_WAREHOUSE_DB=WAREHOUSE_DB,
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def run_module(module: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def snapshot(cluster: PrivateCluster) -> tuple[list[Any], list[Any]]:
    roles = cluster.execute("SELECT rolname, rolcreaterole, rolcreatedb FROM pg_roles ORDER BY 1")
    databases = cluster.execute("SELECT datname, datdba, datacl::text FROM pg_database ORDER BY 1")
    return roles, databases


@pytest.fixture(scope="module", name="provisioned")
def provisioned_fixture(
    cluster: PrivateCluster, passwords: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    result = run_module("ipwb.deploy.provision", deploy_env(cluster.port, passwords))
    assert result.returncode == 0, result.stderr
    return result


# --- the workbench on it, behind pgbouncer in session mode ------------------------------------


class ManagedWorkbench:
    def __init__(self, cluster: PrivateCluster, config: Any, server: OdooServer, admin_password: str) -> None:
        self.cluster = cluster
        self.config = config
        self.server = server
        self.admin_password = admin_password

    def script(self, text: str) -> str:
        run = odoo_runner.run_odoo(str(self.config), ODOO_DB, odoo_shell=True, stdin=text)
        assert run.ok, run.explain()
        return str(run.output)

    def login(self) -> JsonRpc:
        rpc = JsonRpc(self.server.url)
        assert rpc.login(ODOO_DB, "admin", self.admin_password)
        return rpc

    def last_bus_id(self) -> int:
        return int(self.cluster.execute("SELECT coalesce(max(id), 0) FROM bus_bus", dbname=ODOO_DB)[0][0])


@pytest.fixture(scope="module", name="managed_workbench")
def managed_workbench_fixture(
    cluster: PrivateCluster,
    passwords: dict[str, str],
    bouncers: Callable[[str], Bouncer],
    provisioned: subprocess.CompletedProcess[str],
    workbench_addons: list[str],
) -> Iterator[ManagedWorkbench]:
    """The workbench installed through Odoo on the provisioned database, Odoo's connections
    through pgbouncer in session mode, the warehouse direct; the finance demo built."""
    odoo_dir = odoo_runner.odoo_dir()
    session = bouncers("session")
    data_dir = cluster.base / "odoo-data"
    data_dir.mkdir(exist_ok=True)
    port = free_port(range(18320, 18330))
    admin_password = secrets.token_urlsafe(18)
    config = write_config(
        cluster.base / "odoo.conf",
        ROOT / "odoo.conf",
        {
            "addons_path": f"{odoo_dir}/addons,{odoo_dir}/odoo/addons,{ROOT / 'addons'}",
            "data_dir": str(data_dir),
            "db_host": "127.0.0.1",
            "db_port": str(session.port),
            "db_user": "ipwb_odoo",
            "db_password": passwords["IPWB_DB_PASSWORD"],
            "db_name": ODOO_DB,
            "dbfilter": f"^{ODOO_DB}$",
            "admin_passwd": secrets.token_urlsafe(18),
            "http_port": str(port),
            "gevent_port": str(free_port(range(18330, 18340))),
            "without_demo": "all",
            "log_level": "warn",
            "max_cron_threads": "1",
            "ipwb_warehouse_port": str(cluster.port),
            "ipwb_warehouse_db": WAREHOUSE_DB,
            "ipwb_warehouse_password": passwords["IPWB_WH_READER_PASSWORD"],
            "ipwb_warehouse_writer_user": WH_OWNER,
            "ipwb_warehouse_writer_password": passwords["IPWB_WH_OWNER_PASSWORD"],
            "ipwb_warehouse_grants_user": WH_GRANTS,
            "ipwb_warehouse_grants_password": passwords["IPWB_WH_GRANTS_PASSWORD"],
        },
    )
    install = odoo_runner.run_odoo(str(config), ODOO_DB, install=workbench_addons)
    assert install.ok, install.explain()
    server = OdooServer(odoo_dir, config, port, cluster.base / "odoo-server.log")
    workbench = ManagedWorkbench(cluster, config, server, admin_password)
    workbench.script(
        f'env.ref("base.user_admin").password = {admin_password!r}\nenv.cr.commit()\n'
        + (ROOT / "setup" / "shell" / "finance_demo.py").read_text(encoding="utf-8")
    )
    states = cluster.execute("SELECT state FROM ipwb_finance_run", dbname=ODOO_DB)
    assert ("succeeded",) in states, states
    try:
        server.start()
        yield workbench
    finally:
        server.stop()
