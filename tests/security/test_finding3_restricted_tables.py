"""Issue #19 finding 3: a restricted table is enforced by the warehouse, not only hidden.

A table restricted to team A (by an Architect, in the catalog): a team-B user running
``SELECT * FROM`` it in the SQL editor gets an error and no row, a team-A user gets the rows;
once unrestricted, both read it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from .conftest import Workbench

pytestmark = [pytest.mark.odoo]


def _warehouse(bench: Workbench, pg_admin_dsn: str) -> psycopg2.extensions.connection:
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = bench.warehouse_db
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def restricted_table(workbench: Workbench, pg_admin_dsn: str) -> Iterator[tuple[str, int]]:
    """silver.sec_f3_<hex> (3 rows, created by the warehouse owner), scanned into the catalog
    and restricted to team A by the Architect; (qualified name, ipwb.table id)."""
    name = f"sec_f3_{secrets.token_hex(4)}"
    conn = _warehouse(workbench, pg_admin_dsn)
    table = sql.Identifier("silver", name)
    with conn.cursor() as cur:
        cur.execute("SET ROLE ipwb_wh_owner")
        cur.execute(sql.SQL("CREATE TABLE {} (id int, secret text)").format(table))
        cur.execute(sql.SQL("INSERT INTO {} VALUES (1, 'a'), (2, 'b'), (3, 'c')").format(table))
        cur.execute("RESET ROLE")
    try:
        connection_id = workbench.xmlid("ipwb_catalog.connection_embedded_warehouse")
        workbench.admin.call("ipwb.connection", "action_scan", [connection_id])
        found = workbench.admin.call(
            "ipwb.table", "search", [("schema_name", "=", "silver"), ("name", "=", name)]
        )
        assert found, f"the catalog scan did not find silver.{name}"
        workbench.as_role("architect").call(
            "ipwb.table", "write", found, {"restricted": True, "team_id": workbench.teams["team_a"]}
        )
        yield f"silver.{name}", found[0]
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.close()


def _select(bench: Workbench, role: str, table: str) -> dict[str, Any]:
    return dict(bench.as_role(role).call("ipwb.sql.service", "run", sql=f"SELECT * FROM {table}"))


def test_restricted_table_is_read_by_its_team_only(
    workbench: Workbench, restricted_table: tuple[str, int]
) -> None:
    table, _ = restricted_table
    member = _select(workbench, "team_a", table)
    assert member["status"] == "success" and len(member["rows"]) == 3, member
    outsider = _select(workbench, "team_b", table)
    assert outsider["status"] != "success", f"team B read the restricted table {table}: {outsider}"
    assert not outsider.get("rows"), outsider


def test_unrestricted_table_is_read_by_both_teams(
    workbench: Workbench, restricted_table: tuple[str, int]
) -> None:
    table, table_id = restricted_table
    # the administrator (an Architect who sees every table) lifts the restriction
    workbench.admin.call("ipwb.table", "write", [table_id], {"restricted": False})
    try:
        for role in ("team_a", "team_b"):
            result = _select(workbench, role, table)
            assert result["status"] == "success" and len(result["rows"]) == 3, (role, result)
    finally:
        workbench.admin.call("ipwb.table", "write", [table_id], {"restricted": True})
