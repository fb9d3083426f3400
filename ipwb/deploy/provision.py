"""Provision the workbench's roles and databases with a managed-PostgreSQL admin role.

``python -m ipwb.deploy.provision`` (the image's ``migrate`` runs it) reads the deploy
environment (:mod:`ipwb.deploy.dbenv`) and, idempotently, does what ``setup/pg.sh``'s
``ensure_pg_roles``, ``ensure_warehouse_db`` and ``lock_odoo_db`` do on a developer's
cluster, without a superuser: an admin role with CREATEDB and CREATEROLE is enough
(Supabase's ``postgres``, DigitalOcean's ``doadmin``).

* Roles: Odoo's (``IPWB_DB_USER``, LOGIN) and ``ipwb_wh_owner`` / ``ipwb_wh_reader``
  (read-only defaults) / ``ipwb_wh_grants`` (CREATEROLE, member of the owner), with the
  passwords of the environment, sent as SCRAM verifiers computed client-side (the server
  log never sees a password).
* Databases: Odoo's and the warehouse, each created with its role as owner. ``CREATE
  DATABASE … OWNER x`` requires membership in ``x``: the admin grants itself that membership
  for the statement and revokes it afterwards.
* Everything inside a database is done connected as its owner (the owner may revoke
  PUBLIC's CONNECT, create schemas and default privileges, and create the trusted
  extensions pg_trgm and unaccent when the platform has not put them in template1).
* The warehouse's defence-in-depth hardening (:mod:`ipwb.warehouse.hardening`) needs a
  superuser; without one it is skipped with a logged explanation of what that loses.

Preflight (:mod:`ipwb.deploy.preflight`) runs first: when something is missing, the command
exits non-zero with one message naming what to grant, and nothing is created.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from ipwb.deploy import preflight
from ipwb.deploy.dbenv import WH_GRANTS, WH_OWNER, WH_READER, DbSettings, Server
from ipwb.errors import IpwbError, WarehouseError
from ipwb.warehouse import hardening
from ipwb.warehouse.connection import primary_message

_logger = logging.getLogger(__name__)

#: the warehouse's medallion schemas (setup/pg.sh)
WAREHOUSE_SCHEMAS = ("bronze", "silver", "gold", "platinum")
#: session defaults of the reader role (setup/pg.sh)
READER_SETTINGS: tuple[tuple[str, sql.Composable], ...] = (
    ("default_transaction_read_only", sql.Literal("on")),
    ("statement_timeout", sql.Literal("30s")),
    # a list of names, not one quoted string (which would name a single schema)
    (
        "search_path",
        sql.SQL(", ").join(sql.Identifier(s) for s in ("gold", "silver", "bronze", "platinum", "public")),
    ),
)


def provision(settings: DbSettings) -> list[str]:
    """Check, then create or update everything; return what was done, one line each."""
    preflight.run_admin_checks(settings)
    done: list[str] = []
    for server in preflight.servers(settings):
        done += _provision_server(settings, server)
    preflight.run_runtime_checks(settings)
    return done


def _provision_server(settings: DbSettings, server: Server) -> list[str]:
    done: list[str] = []
    conn = preflight.admin_connect(settings, server)
    try:
        with conn.cursor() as cur:
            admin = preflight.admin_role(cur)
            done += _ensure_roles(cur, settings, server)
            for dbname, owner in preflight.managed_databases(settings, server).items():
                if _ensure_database(cur, dbname, owner, superuser=admin.superuser):
                    done.append(f"created database {dbname} (owner {owner})")
    finally:
        conn.close()
    if server == settings.server:
        _setup_odoo_database(settings)
        done.append(f"locked database {settings.odoo_db} to {settings.odoo_role}")
    if server == settings.warehouse_server:
        _setup_warehouse(settings, grant_odoo=server == settings.server)
        done.append(f"warehouse {settings.warehouse_db}: schemas, grants and extensions")
        done.append(_harden_warehouse(settings, admin.superuser))
    return done


def _ensure_roles(cur: psycopg2.extensions.cursor, settings: DbSettings, server: Server) -> list[str]:
    done = []
    passwords = {settings.odoo_role: settings.odoo_password, **settings.role_passwords}
    # no NOSUPERUSER/NOREPLICATION: naming those attributes at all needs a superuser
    attributes = {
        settings.odoo_role: sql.SQL("LOGIN NOCREATEROLE"),
        WH_OWNER: sql.SQL("LOGIN NOCREATEDB NOCREATEROLE"),
        WH_READER: sql.SQL("LOGIN NOCREATEDB NOCREATEROLE NOINHERIT"),
        WH_GRANTS: sql.SQL("LOGIN NOCREATEDB CREATEROLE INHERIT CONNECTION LIMIT 20"),
    }
    for role in preflight.managed_roles(settings, server):
        cur.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
            done.append(f"created role {role}")
        verifier = psycopg2.extensions.encrypt_password(passwords[role], role, cur.connection)
        cur.execute(
            sql.SQL("ALTER ROLE {} WITH {} PASSWORD %s").format(sql.Identifier(role), attributes[role]),
            (verifier,),
        )
    if WH_READER in attributes and server == settings.warehouse_server:
        for name, value in READER_SETTINGS:
            cur.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(WH_READER), sql.Identifier(name), value
                )
            )
        # CREATEROLE may grant membership in any non-superuser role (PostgreSQL 15; 16+:
        # in the roles it created): the grants role's credentials stay with the Odoo server
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(WH_OWNER), sql.Identifier(WH_GRANTS)))
    return done


def _ensure_database(cur: psycopg2.extensions.cursor, dbname: str, owner: str, *, superuser: bool) -> bool:
    cur.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (dbname,))
    if cur.fetchone() is not None:
        return False
    cur.execute(
        "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database"
        " WHERE datname = 'template1'"
    )
    row = cur.fetchone()
    # template1 carries what the platform pre-created (pg_trgm, unaccent); Odoo needs UTF8
    if row is not None and row[0] == "UTF8":
        statement = sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template1")
    else:
        statement = sql.SQL(
            "CREATE DATABASE {} OWNER {} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        )
    with _membership(cur, owner, needed=not superuser):
        cur.execute(statement.format(sql.Identifier(dbname), sql.Identifier(owner)))
    return True


@contextmanager
def _membership(cur: psycopg2.extensions.cursor, role: str, *, needed: bool) -> Iterator[None]:
    """Make the admin a member of ``role`` for the block (``CREATE DATABASE … OWNER role``
    requires it), unless it already is; then revoke what was granted here."""
    added = False
    if needed:
        cur.execute("SELECT pg_catalog.pg_has_role(current_user, %s, 'MEMBER')", (role,))
        row = cur.fetchone()
        if not (row and row[0]):
            cur.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))
            added = True
    try:
        yield
    finally:
        if added:
            cur.execute(sql.SQL("REVOKE {} FROM CURRENT_USER").format(sql.Identifier(role)))


@contextmanager
def _connect(kwargs: dict[str, Any], who: str) -> Iterator[psycopg2.extensions.cursor]:
    try:
        conn = psycopg2.connect(**kwargs)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"Cannot connect as {who}: {primary_message(exc)}") from None
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _ensure_extensions(cur: psycopg2.extensions.cursor, dbname: str) -> None:
    for name in preflight.EXTENSIONS:
        cur.execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = %s", (name,))
        if cur.fetchone() is None:
            # trusted extension: the database owner may create it (PostgreSQL 13+)
            try:
                cur.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
            except psycopg2.Error as exc:
                raise WarehouseError(
                    f"Cannot create extension {name} in {dbname}: {primary_message(exc)}"
                    " (create it in template1 as a superuser, or allow it in the provider's console)"
                ) from None


def _setup_odoo_database(settings: DbSettings) -> None:
    """setup/pg.sh's lock_odoo_db: nobody but Odoo's role may connect; done as the owner."""
    with _connect(settings.odoo_kwargs(), settings.odoo_role) as cur:
        _ensure_extensions(cur, settings.odoo_db)
        name = sql.Identifier(settings.odoo_db)
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
        cur.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                name, sql.Identifier(settings.odoo_role)
            )
        )


def _setup_warehouse(settings: DbSettings, *, grant_odoo: bool) -> None:
    """setup/pg.sh's ensure_warehouse_db, connected as the warehouse owner."""
    kwargs = {
        **settings.admin_kwargs(settings.warehouse_server, settings.warehouse_db),
        "user": settings.login(WH_OWNER, settings.warehouse_server),
        "password": settings.role_passwords[WH_OWNER],
    }
    with _connect(kwargs, WH_OWNER) as cur:
        name = sql.Identifier(settings.warehouse_db)
        readers = [WH_READER, WH_GRANTS] + ([settings.odoo_role] if grant_odoo else [])
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                name, sql.SQL(", ").join(sql.Identifier(r) for r in readers)
            )
        )
        _ensure_extensions(cur, settings.warehouse_db)
        _revoke_public_create(cur)
        schemas = sql.SQL(", ").join(sql.Identifier(s) for s in WAREHOUSE_SCHEMAS)
        for schema in WAREHOUSE_SCHEMAS:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        reader = sql.Identifier(WH_READER)
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schemas, reader))
        cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schemas, reader))
        cur.execute(
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                sql.Identifier(WH_OWNER), schemas, reader
            )
        )


def _revoke_public_create(cur: psycopg2.extensions.cursor) -> None:
    # PostgreSQL 15 makes pg_database_owner own schema public (the warehouse owner may
    # revoke); on older servers a template-owned public schema stays as the platform left it
    cur.execute(
        "SELECT pg_catalog.pg_has_role(current_user, nspowner, 'MEMBER') FROM pg_catalog.pg_namespace"
        " WHERE nspname = 'public'"
    )
    row = cur.fetchone()
    if row and row[0]:
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    else:
        _logger.warning(
            "schema public of the warehouse is not owned by %s: PUBLIC's CREATE on it is left as is", WH_OWNER
        )


def _harden_warehouse(settings: DbSettings, superuser: bool) -> str:
    if not superuser:
        _logger.warning("%s", hardening.SKIPPED_WITHOUT_SUPERUSER)
        return "warehouse hardening skipped (no superuser; see the warning)"
    with _connect(
        settings.admin_kwargs(settings.warehouse_server, settings.warehouse_db), settings.admin_user
    ) as cur:
        hardening.harden_database(
            cur.connection,
            cancel_roles=[WH_OWNER, WH_READER, WH_GRANTS],
            catalog_roles=[WH_GRANTS],
            lock_roles=[WH_OWNER],
        )
    return "warehouse hardened"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipwb.deploy.provision", description=__doc__.split("\n")[0]
    )
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        done = provision(DbSettings.from_environ(os.environ))
    except IpwbError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except psycopg2.Error as exc:
        print(f"Provisioning failed: {primary_message(exc)}", file=sys.stderr)
        return 1
    for line in done:
        print(f"provision: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
