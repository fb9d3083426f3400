"""Security suite: a real workbench (odoo-bin over HTTP) probed by one user per group.

Needs the Odoo configuration setup/test.sh writes (IPWB_TEST_ODOO_CONF) and the database it
installed every addon into; without an Odoo tree the tests are skipped with the reason
setup/test.sh gives (IPWB_ODOO_SKIP_REASON), like tests/integration.
"""

from __future__ import annotations

import os
import pathlib
import secrets
import sys
import time
from collections.abc import Iterator

import psycopg2
import pytest

from ..integration.conftest import OdooDatabases, odoo_runner
from .workbench import Client, Server, start_server

HERE = pathlib.Path(__file__).resolve().parent

#: role → (label, groups by xml id); the column order of access_matrix.csv
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "internal": ("Internal user (no workbench group)", ("base.group_user",)),
    "user": ("Workbench User", ("ipwb_catalog.group_ipwb_user",)),
    "bi": ("BI Engineer", ("ipwb_catalog.group_ipwb_bi_engineer",)),
    "de": ("Data Engineer", ("ipwb_catalog.group_ipwb_data_engineer",)),
    "ai": ("AI Orchestrator", ("ipwb_catalog.group_ipwb_ai_orchestrator",)),
    "architect": ("Architect", ("ipwb_catalog.group_ipwb_architect",)),
    "admin": ("Workbench Administrator", ("ipwb_catalog.group_ipwb_admin",)),
    "finance": ("Finance Manager", ("ipwb_finance_bir.group_ipwb_finance_manager",)),
    "public": ("Anonymous visitor", ()),
}
#: two domain teams (groups) for restricted tables, each with one Workbench User
TEAMS = ("team_a", "team_b")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("IPWB_TEST_ODOO_CONF"):
        return
    reason = os.environ.get("IPWB_ODOO_SKIP_REASON") or "Odoo tier skipped: run through setup/test.sh"
    for item in items:
        if item.nodeid.startswith("tests/security/") and "odoo" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


class Workbench:
    """The running server, its admin session and one logged-in session per role."""

    def __init__(self, server: Server, databases: OdooDatabases, admin: Client) -> None:
        self.server = server
        self.databases = databases
        self.admin = admin  # base.user_admin: Settings and Workbench Administrator
        self.users: dict[str, Client] = {}
        self.logins: dict[str, tuple[str, str]] = {}
        self.teams: dict[str, int] = {}  # team → res.groups id

    @property
    def warehouse_db(self) -> str:
        return self.databases.options["ipwb_warehouse_db"]

    def client(self, label: str) -> Client:
        return Client(self.server.base_url, self.server.database, label)

    def as_role(self, role: str) -> Client:
        return self.users[role]

    def xmlid(self, xmlid: str) -> int:
        module, name = xmlid.split(".", 1)
        found = self.admin.call(
            "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"]
        )
        assert found, f"no record {xmlid}"
        return int(found[0]["res_id"])

    def add_user(self, role: str, label: str, group_ids: list[int]) -> Client:
        login = f"sec_{role}_{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(18)
        values = {"name": f"Security suite: {label}", "login": login, "password": password}
        values["groups_id"] = [(6, 0, group_ids)]
        self.admin.call("res.users", "create", values)
        self.logins[role] = (login, password)
        client = self.client(label).login(login, password)
        self.users[role] = client
        return client


def _release_template(name: str) -> None:
    """Close this process's idle pooled connections to ``name`` (pytest-odoo keeps some open),
    which CREATE DATABASE … TEMPLATE requires; Odoo reopens them on demand."""
    sql_db = getattr(sys.modules.get("odoo"), "sql_db", None)
    if sql_db is not None:
        sql_db.close_db(name)


def _copy_installed(databases: OdooDatabases) -> str:
    """A copy of the database setup/test.sh installed the addons into (fresh install if busy)."""
    template = databases.options["db_name"]
    last: Exception | None = None
    for _ in range(10):
        _release_template(template)
        try:
            return databases.copy(template, "ipwb_sec")
        except psycopg2.errors.ObjectInUse as exc:  # another session on the template: wait
            databases.created.pop()
            last = exc
            time.sleep(1)
    name = databases.create_empty("ipwb_sec")
    addons = sorted(p.name for p in (HERE.parents[1] / "addons").glob("ipwb_*") if p.is_dir())
    run = databases.run(name, install=addons)
    assert run.ok, f"{template} stayed busy ({last}) and installing a fresh copy failed:\n{run.explain()}"
    return name


def _set_password(admin_dsn: str, database: str, user_id: int, password: str) -> None:
    from passlib.context import CryptContext  # noqa: PLC0415 - an Odoo requirement, there only when Odoo is

    hashed = CryptContext(["pbkdf2_sha512"]).hash(password)
    params = psycopg2.extensions.parse_dsn(admin_dsn)
    params["dbname"] = database
    with psycopg2.connect(**params) as conn, conn.cursor() as cur:
        cur.execute("UPDATE res_users SET password = %s WHERE id = %s", (hashed, user_id))
    conn.close()


@pytest.fixture(scope="session")
def workbench(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    config = os.environ.get("IPWB_TEST_ODOO_CONF")
    if not config:
        pytest.skip(os.environ.get("IPWB_ODOO_SKIP_REASON") or "no Odoo test configuration")
    databases = OdooDatabases(pg_admin_dsn, config)
    server = None
    try:
        database = _copy_installed(databases)
        admin_password = secrets.token_urlsafe(18)
        _set_password(pg_admin_dsn, database, 2, admin_password)  # base.user_admin
        log_path = tmp_path_factory.mktemp("security") / "odoo.log"
        server = start_server(odoo_runner.odoo_dir(), config, database, log_path)
        admin = Client(server.base_url, database, "admin").login("admin", admin_password)
        bench = Workbench(server, databases, admin)
        for role, (label, xmlids) in ROLES.items():
            if role == "public":
                bench.users[role] = bench.client(label)  # never logs in
                continue
            bench.add_user(role, label, [bench.xmlid(x) for x in xmlids])
        user_group = bench.xmlid("ipwb_catalog.group_ipwb_user")
        for team in TEAMS:
            group = admin.call("res.groups", "create", {"name": f"Security suite {team}"})
            bench.add_user(team, f"Workbench User of {team}", [user_group, group])
            bench.teams[team] = group
        yield bench
    finally:
        if server is not None:
            tail = server.log_tail(200)
            server.stop()
            if "Traceback" in tail:
                print(f"odoo-bin log of the security suite (tail):\n{tail}")
        databases.drop_all()
