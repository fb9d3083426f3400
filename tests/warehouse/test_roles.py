"""The restricted role: provisioned read-only, and widened roles are reported."""

from __future__ import annotations

import psycopg2
from psycopg2 import sql

from ipwb.warehouse.roles import verify_readonly_role

from .conftest import Warehouse


def test_provisioned_role_verifies_clean(warehouse: Warehouse) -> None:
    conn = psycopg2.connect(warehouse.admin_dsn)
    try:
        report = verify_readonly_role(conn, warehouse.reader_role)
    finally:
        conn.close()
    assert report.ok, report.problems


def test_widened_role_is_reported(warehouse: Warehouse) -> None:
    conn = psycopg2.connect(warehouse.admin_dsn)
    try:
        role = sql.Identifier(warehouse.reader_role)
        with conn.cursor() as cur:
            cur.execute(sql.SQL("GRANT INSERT ON accounts TO {}").format(role))
            cur.execute(sql.SQL("GRANT pg_read_server_files TO {}").format(role))
            cur.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(role))
            cur.execute(sql.SQL("ALTER ROLE {} RESET default_transaction_read_only").format(role))
        problems = "\n".join(verify_readonly_role(conn, warehouse.reader_role).problems)
    finally:
        conn.rollback()  # the widening is never committed
        conn.close()
    assert "public.accounts" in problems
    assert "pg_read_server_files" in problems
    assert "schema public" in problems
    assert "default_transaction_read_only" in problems


def test_unknown_role(warehouse: Warehouse) -> None:
    conn = psycopg2.connect(warehouse.admin_dsn)
    try:
        assert verify_readonly_role(conn, "ipwb_no_such_role").problems == (
            "role 'ipwb_no_such_role' does not exist",
        )
    finally:
        conn.close()
