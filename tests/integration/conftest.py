"""Integration tier: drive real Odoo processes (odoo-bin) on throwaway databases.

Needs the Odoo configuration written by setup/test.sh (IPWB_TEST_ODOO_CONF); without an Odoo
tree these tests are skipped with the reason setup/test.sh gives.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import pathlib
import shutil
import sys
import types
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import sql

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_odoo_runner() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("odoo_runner", ROOT / "setup" / "odoo_runner.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["odoo_runner"] = module
    spec.loader.exec_module(module)
    return module


odoo_runner = _load_odoo_runner()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("IPWB_TEST_ODOO_CONF"):
        return
    reason = os.environ.get("IPWB_ODOO_SKIP_REASON") or "Odoo tier skipped: run through setup/test.sh"
    for item in items:
        if "odoo" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


class OdooDatabases:
    """Creates Odoo databases (optionally from a template, filestore included) and drops them."""

    def __init__(self, admin_dsn: str, config_path: str) -> None:
        self.admin_dsn = admin_dsn
        self.config_path = config_path
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(config_path)
        self.options = dict(parser["options"])
        self.created: list[str] = []

    def _admin(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.admin_dsn)
        conn.autocommit = True
        return conn

    def filestore(self, name: str) -> pathlib.Path:
        return pathlib.Path(self.options["data_dir"]) / "filestore" / name

    def new_name(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.created.append(name)
        return name

    def create_empty(self, prefix: str) -> str:
        # Odoo's role must own the database so it can create its tables in schema public.
        name = self.new_name(prefix)
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template1").format(
                        sql.Identifier(name), sql.Identifier(self.options["db_user"])
                    )
                )
        finally:
            conn.close()
        return name

    def copy(self, template: str, prefix: str) -> str:
        name = self.new_name(prefix)
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE {}").format(
                        sql.Identifier(name),
                        sql.Identifier(self.options["db_user"]),
                        sql.Identifier(template),
                    )
                )
        finally:
            conn.close()
        if self.filestore(template).is_dir():
            shutil.copytree(self.filestore(template), self.filestore(name))
        return name

    def drop_all(self) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for name in self.created:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                    )
                    shutil.rmtree(self.filestore(name), ignore_errors=True)
        finally:
            conn.close()

    def run(self, database: str, **kwargs: object) -> odoo_runner.OdooRun:
        return odoo_runner.run_odoo(self.config_path, database, **kwargs)

    def run_script(self, database: str, script: str) -> odoo_runner.OdooRun:
        return odoo_runner.run_odoo(self.config_path, database, odoo_shell=True, stdin=script)


@pytest.fixture(scope="session")
def odoo_databases(pg_admin_dsn: str) -> Iterator[OdooDatabases]:
    config = os.environ.get("IPWB_TEST_ODOO_CONF")
    if not config:
        pytest.skip(os.environ.get("IPWB_ODOO_SKIP_REASON") or "no Odoo test configuration")
    databases = OdooDatabases(pg_admin_dsn, config)
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def workbench_addons() -> list[str]:
    spec = importlib.util.spec_from_file_location("list_addons", ROOT / "setup" / "list_addons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.installable_addons(ROOT / "addons"))


@pytest.fixture(scope="session")
def base_template(odoo_databases: OdooDatabases) -> str:
    """A database with Odoo's base, web and mail installed, copied by each lifecycle test."""
    name = odoo_databases.create_empty("ipwb_it_base")
    run = odoo_databases.run(name, install=["base", "web", "mail"])
    assert run.ok, run.explain()
    return name


@pytest.fixture(scope="session")
def pipeline_template(odoo_databases: OdooDatabases, base_template: str) -> str:
    """A database with ipwb_pipeline installed, copied by the pipeline worker and fault tests."""
    name = odoo_databases.copy(base_template, "ipwb_it_pltpl")
    run = odoo_databases.run(name, install=["ipwb_pipeline"])
    assert run.ok, run.explain()
    return name
