"""Throwaway source databases shaped like a deployment, for the backup/restore tests.

``source`` builds, on the project's cluster: an Odoo-like database owned by Odoo's role
(an ``ir_attachment`` table with files in a filestore, a partner table, ``CONNECT`` revoked
from ``PUBLIC``), a hardened warehouse owned by ``ipwb_wh_owner`` (a gold table readable by
the reader and by a per-team role of the grant sync), and the deploy environment pointing
at them. Every database, role and directory made by a test is removed afterwards.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from ipwb.deploy import backup_env, pgroles
from ipwb.warehouse.hardening import harden_database

ATTACHMENTS = [b"%PDF-1.4 BIR 2307 certificate\n", b"alphalist,2026\n1,ACME,1000.00\n", "ñ unicode".encode()]


@dataclasses.dataclass
class Source:
    env: dict[str, str]
    data_dir: pathlib.Path
    odoo_db: str
    warehouse_db: str
    team_role: str
    cleanup_dbs: list[str]
    cleanup_roles: list[str]

    def settings(self, **overrides: str) -> backup_env.BackupSettings:
        env = {**self.env, **overrides}
        return backup_env.from_environ(env, env.get("IPWB_DATA_DIR"))

    def target_env(self, data_dir: pathlib.Path) -> dict[str, str]:
        """The environment of a restore into new database names (registered for cleanup)."""
        odoo, warehouse = f"ipwb_dd_r_{uuid.uuid4().hex[:8]}", f"ipwb_dd_rw_{uuid.uuid4().hex[:8]}"
        self.cleanup_dbs += [odoo, warehouse]
        return {
            **self.env,
            "IPWB_DB_NAME": odoo,
            "IPWB_WAREHOUSE_DB": warehouse,
            "IPWB_DATA_DIR": str(data_dir),
        }


def admin_connect(dsn: str, dbname: str | None = None) -> psycopg2.extensions.connection:
    params = psycopg2.extensions.parse_dsn(dsn)
    if dbname:
        params["dbname"] = dbname
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def deploy_env(admin_dsn: str) -> dict[str, str]:
    params = psycopg2.extensions.parse_dsn(admin_dsn)
    env = {
        "IPWB_DB_HOST": params.get("host", "127.0.0.1"),
        "IPWB_DB_PORT": params.get("port", "5432"),
        "IPWB_DB_SSLMODE": "disable",
        "IPWB_DB_USER": "ipwb_odoo",
        "IPWB_DB_ADMIN_USER": params["user"],
        "IPWB_DB_ADMIN_PASSWORD": params["password"],
        "IPWB_DB_ADMIN_DATABASE": params.get("dbname", "postgres"),
    }
    for name, source in (
        ("IPWB_DB_PASSWORD", "IPWB_ODOO_DB_PASSWORD"),
        ("IPWB_WH_OWNER_PASSWORD", "IPWB_WH_OWNER_PASSWORD"),
        ("IPWB_WH_READER_PASSWORD", "IPWB_WH_READER_PASSWORD"),
        ("IPWB_WH_GRANTS_PASSWORD", "IPWB_WH_GRANTS_PASSWORD"),
    ):
        if os.environ.get(source):
            env[name] = os.environ[source]
    return env


def _build(admin_dsn: str, odoo_db: str, warehouse_db: str, filestore: pathlib.Path, team_role: str) -> None:
    conn = admin_connect(admin_dsn)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {} OWNER ipwb_odoo").format(sql.Identifier(odoo_db)))
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(odoo_db)))
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO ipwb_odoo").format(sql.Identifier(odoo_db)))
        cur.execute(sql.SQL("CREATE DATABASE {} OWNER ipwb_wh_owner").format(sql.Identifier(warehouse_db)))
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(team_role)))
    conn.close()

    conn = admin_connect(admin_dsn, odoo_db)
    with conn.cursor() as cur:
        cur.execute("SET ROLE ipwb_odoo")
        cur.execute(
            "CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar, store_fname varchar,"
            " checksum varchar, db_datas bytea)"
        )
        cur.execute("CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL, vat varchar)")
        cur.execute(
            "INSERT INTO res_partner (name, vat) SELECT 'Partner ' || i, lpad(i::text, 9, '0')"
            " FROM generate_series(1, 250) AS i"
        )
        for index, content in enumerate(ATTACHMENTS):
            sha = hashlib.sha1(content).hexdigest()
            path = filestore / sha[:2] / sha
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            cur.execute(
                "INSERT INTO ir_attachment (name, store_fname, checksum) VALUES (%s, %s, %s)",
                (f"file{index}", f"{sha[:2]}/{sha}", sha),
            )
        cur.execute("INSERT INTO ir_attachment (name, db_datas) VALUES ('in-db', 'x')")
    conn.close()

    conn = admin_connect(admin_dsn, warehouse_db)
    with conn.cursor() as cur:
        cur.execute("SET ROLE ipwb_wh_owner")
        cur.execute("CREATE SCHEMA gold")
        cur.execute("CREATE TABLE gold.sales (id serial PRIMARY KEY, amount numeric(12, 2), note text)")
        cur.execute(
            "INSERT INTO gold.sales (amount, note)"
            " SELECT i * 1.5, 'row ' || i FROM generate_series(1, 1000) AS i"
        )
        cur.execute("GRANT USAGE ON SCHEMA gold TO ipwb_wh_reader")
        cur.execute("GRANT SELECT ON gold.sales TO ipwb_wh_reader")
        cur.execute(sql.SQL("GRANT SELECT ON gold.sales TO {}").format(sql.Identifier(team_role)))
        cur.execute("RESET ROLE")
        harden_database(conn, cancel_roles=["ipwb_wh_owner"], catalog_roles=["ipwb_wh_grants"])
    conn.close()


def drop_all(admin_dsn: str, databases: list[str], roles: list[str]) -> None:
    conn = admin_connect(admin_dsn)
    with conn.cursor() as cur:
        for name in databases:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        for role in roles:
            cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    conn.close()


@pytest.fixture
def source(pg_admin_dsn: str, tmp_path: pathlib.Path) -> Iterator[Source]:
    tag = uuid.uuid4().hex[:8]
    odoo_db, warehouse_db = f"ipwb_dd_src_{tag}", f"ipwb_dd_srcwh_{tag}"
    team_role = pgroles.warehouse_role_prefix(warehouse_db) + "t_g1"
    data_dir = tmp_path / "data"
    env = {
        **deploy_env(pg_admin_dsn),
        "IPWB_DB_NAME": odoo_db,
        "IPWB_WAREHOUSE_DB": warehouse_db,
        "IPWB_DATA_DIR": str(data_dir),
    }
    made = Source(env, data_dir, odoo_db, warehouse_db, team_role, [odoo_db, warehouse_db], [team_role])
    try:
        _build(pg_admin_dsn, odoo_db, warehouse_db, data_dir / "filestore" / odoo_db, team_role)
        yield made
    finally:
        drop_all(pg_admin_dsn, made.cleanup_dbs, made.cleanup_roles)
