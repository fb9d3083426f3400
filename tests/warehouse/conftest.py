"""A warehouse database with known content, a sentinel, and a restricted reader role.

``warehouse`` is module-scoped: built once per test module on a fresh database; the
reader role (cluster-wide) is dropped afterwards. ``snapshot`` fingerprints everything a
hostile statement could change — table contents, relations and grants, the sequence,
functions, roles, settings (per database/role and ``postgresql.auto.conf``), large
objects, extensions, prepared transactions — so a test can assert "nothing changed".
"""

from __future__ import annotations

import dataclasses
import glob
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.pool import ConnectionPool
from ipwb.warehouse.roles import provision_readonly_role

#: files hostile statements of the corpus try to create
HOSTILE_FILE_GLOB = "/tmp/ipwb_hostile_*"

SETUP_SQL = """
CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL, balance numeric(12, 2) NOT NULL);
INSERT INTO accounts (owner, balance) VALUES
    ('alice', 100.00), ('bob', 250.50), ('carol', 0.00), ('dave', -12.25), ('O''Brien', 7.00);
CREATE TABLE sentinel (id int PRIMARY KEY, token text NOT NULL);
CREATE FUNCTION evil_writer() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sentinel;
    RETURN 1;
END $$;
CREATE PROCEDURE some_proc() LANGUAGE sql AS $$ DELETE FROM sentinel $$;
CREATE MATERIALIZED VIEW account_totals AS SELECT sum(balance) AS total FROM accounts;
"""


@dataclasses.dataclass(frozen=True)
class Warehouse:
    admin_dsn: str
    admin: WarehouseConfig
    reader: WarehouseConfig
    reader_role: str
    sentinel_token: str


@pytest.fixture(scope="module")
def warehouse(module_db: str) -> Iterator[Warehouse]:
    role = f"ipwb_reader_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    token = f"ipwb-sentinel-{uuid.uuid4().hex}"
    conn = psycopg2.connect(module_db)
    try:
        with conn.cursor() as cur:
            cur.execute(SETUP_SQL)
            cur.execute("INSERT INTO sentinel VALUES (1, %s)", (token,))
        provision_readonly_role(conn, role, schemas=["public"], password=password)
        conn.commit()
    finally:
        conn.close()
    admin = WarehouseConfig.from_dsn(module_db)
    reader = dataclasses.replace(admin, user=role, password=password)
    try:
        yield Warehouse(module_db, admin, reader, role, token)
    finally:
        _drop_role(module_db, role)


@pytest.fixture
def pool() -> Iterator[ConnectionPool]:
    """A pool of its own per test (cleared after), so counters start at zero."""
    pool = ConnectionPool(max_size=4, max_idle_s=60)
    try:
        yield pool
    finally:
        pool.clear()


def _drop_role(dsn: str, role: str) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    finally:
        conn.close()


SNAPSHOT_QUERIES: dict[str, str] = {
    "accounts": "SELECT md5(string_agg(a::text, '|' ORDER BY id)) FROM accounts a",
    "sentinel": "SELECT string_agg(s::text, '|' ORDER BY id) FROM sentinel s",
    "relations": (
        "SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text"
        " || ':' || coalesce(c.relacl::text, '') || ':' || c.relnatts, ',' ORDER BY n.nspname, c.relname)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        " AND n.nspname NOT LIKE 'pg\\_temp%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp%%'"
    ),
    "sequence": "SELECT last_value::text || '/' || is_called::text FROM accounts_id_seq",
    "functions": (
        "SELECT string_agg(proname || ':' || md5(prosrc), ',' ORDER BY proname)"
        " FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
    ),
    "reader_role": (
        "SELECT row(r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,"
        " r.rolconfig, (SELECT array_agg(m.roleid::regrole::text ORDER BY 1)"
        "   FROM pg_auth_members m WHERE m.member = r.oid))::text"
        " FROM pg_roles r WHERE r.rolname = %(reader)s"
    ),
    "evil_roles": "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'ipwb\\_evil%%'",
    "role_settings": (
        "SELECT string_agg(setrole::text || '=' || setconfig::text, ';' ORDER BY setrole)"
        " FROM pg_db_role_setting"
        " WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " OR setrole = (SELECT oid FROM pg_roles WHERE rolname = %(reader)s)"
    ),
    "auto_conf": (
        "SELECT coalesce(string_agg(name || '=' || setting, ',' ORDER BY name), '')"
        " FROM pg_file_settings WHERE sourcefile LIKE '%%postgresql.auto.conf'"
    ),
    "database_acl": "SELECT datacl::text FROM pg_database WHERE datname = current_database()",
    "large_objects": "SELECT count(*) FROM pg_largeobject_metadata",
    "extensions": "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension",
    "prepared_xacts": "SELECT count(*) FROM pg_prepared_xacts",
    "materialized": "SELECT total::text FROM account_totals",
}


def snapshot(wh: Warehouse) -> dict[str, object]:
    """Fingerprint of everything hostile statements could change (taken as superuser)."""
    conn = psycopg2.connect(wh.admin_dsn)
    try:
        result: dict[str, object] = {}
        with conn.cursor() as cur:
            for name, query in SNAPSHOT_QUERIES.items():
                cur.execute(query, {"reader": wh.reader_role})
                row = cur.fetchone()
                result[name] = row[0] if row else None
        result["hostile_files"] = sorted(glob.glob(HOSTILE_FILE_GLOB))
        return result
    finally:
        conn.rollback()
        conn.close()
