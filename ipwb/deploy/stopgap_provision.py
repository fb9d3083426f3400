"""STOPGAP until ``ipwb.deploy.provision`` (deploy-pg) is merged: superuser-only provisioning.

Creates the roles, Odoo's database and the warehouse with its medallion schemas, like
setup/pg.sh. Requires IPWB_DB_ADMIN_USER to be a superuser; removed once the real module lands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import psycopg2
from psycopg2 import sql

from ipwb.deploy import config
from ipwb.errors import ConfigurationError

_ROLES = (
    ("ipwb_odoo", "IPWB_DB_PASSWORD", "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE"),
    ("ipwb_wh_owner", "IPWB_WH_OWNER_PASSWORD", "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
    ("ipwb_wh_reader", "IPWB_WH_READER_PASSWORD", "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"),
    ("ipwb_wh_grants", "IPWB_WH_GRANTS_PASSWORD", "LOGIN NOSUPERUSER NOCREATEDB CREATEROLE INHERIT"),
)


def _connect(environ: Mapping[str, str], dbname: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(
        host=config.require(environ, "IPWB_DB_HOST"),
        port=config.require(environ, "IPWB_DB_PORT"),
        user=config.require(environ, "IPWB_DB_ADMIN_USER"),
        password=config.require(environ, "IPWB_DB_ADMIN_PASSWORD"),
        dbname=dbname,
        sslmode=config.require(environ, "IPWB_DB_SSLMODE"),
    )
    conn.autocommit = True
    return conn


def provision(environ: Mapping[str, str]) -> None:
    odoo_db = config.require(environ, "IPWB_DB_NAME")
    warehouse = config.require(environ, "IPWB_WAREHOUSE_DB")
    conn = _connect(environ, config.require(environ, "IPWB_DB_ADMIN_DATABASE"))
    try:
        with conn.cursor() as cur:
            for role, secret, attributes in _ROLES:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                if not cur.fetchone():
                    cur.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
                cur.execute(
                    sql.SQL("ALTER ROLE {} WITH " + attributes + " PASSWORD %s").format(sql.Identifier(role)),
                    (config.require(environ, secret),),
                )
            cur.execute("ALTER ROLE ipwb_wh_reader SET default_transaction_read_only = on")
            cur.execute("ALTER ROLE ipwb_wh_reader SET statement_timeout = '30s'")
            cur.execute("ALTER ROLE ipwb_wh_reader SET search_path = gold, silver, bronze, platinum, public")
            cur.execute("GRANT ipwb_wh_owner TO ipwb_wh_grants")
            for name, owner in ((odoo_db, "ipwb_odoo"), (warehouse, "ipwb_wh_owner")):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if not cur.fetchone():
                    cur.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                            sql.Identifier(name), sql.Identifier(owner)
                        )
                    )
            cur.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO ipwb_wh_reader, ipwb_odoo, ipwb_wh_grants").format(
                    sql.Identifier(warehouse)
                )
            )
    finally:
        conn.close()
    for name in (odoo_db, "template1"):
        conn = _connect(environ, name)
        try:
            with conn.cursor() as cur:
                cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cur.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        finally:
            conn.close()
    conn = _connect(environ, warehouse)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            cur.execute("SET ROLE ipwb_wh_owner")
            for schema in ("bronze", "silver", "gold", "platinum"):
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute("GRANT USAGE ON SCHEMA bronze, silver, gold, platinum TO ipwb_wh_reader")
            cur.execute(
                "ALTER DEFAULT PRIVILEGES FOR ROLE ipwb_wh_owner IN SCHEMA bronze, silver, gold, platinum "
                "GRANT SELECT ON TABLES TO ipwb_wh_reader"
            )
            cur.execute("RESET ROLE")
    finally:
        conn.close()


if __name__ == "__main__":
    try:
        provision(os.environ)
    except (ConfigurationError, psycopg2.Error) as exc:
        print(f"provision (stopgap) failed: {exc}", file=sys.stderr)
        sys.exit(1)
