"""Superset-ready access to the finance marts: ``bi`` views and a read-only BI role.

The views are the stable contract a BI tool reads (column names and types do not follow
every gold refactor); the role can read those views and nothing else, in read-only
transactions with a statement timeout (:func:`ipwb.warehouse.roles.provision_readonly_role`).
"""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

from ipwb.finance.warehouse import BI_VIEWS, GOLD_TABLES, FinanceSchemas
from ipwb.warehouse.roles import provision_readonly_role

#: default name of the BI login role
BI_ROLE = "ipwb_bi_reader"

__all__ = ["BI_ROLE", "BI_VIEWS", "create_bi_views", "provision_bi_role"]

assert set(BI_VIEWS.values()) == set(GOLD_TABLES)


def create_bi_views(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, role: str = BI_ROLE
) -> list[str]:
    """(Re)create the ``bi`` views over the gold marts, granted to ``role`` when it exists;
    returns their qualified names."""
    names = []
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schemas.bi)))
        for view, table in BI_VIEWS.items():
            cur.execute(
                sql.SQL("CREATE OR REPLACE VIEW {} AS SELECT * FROM {}").format(
                    sql.Identifier(schemas.bi, view), sql.Identifier(schemas.gold, table)
                )
            )
            names.append(f"{schemas.bi}.{view}")
        # views are recreated on every build: give the BI role (when provisioned) its grant back
        # to_regrole, not pg_roles: the warehouse hides pg_roles from the owner (hardening)
        cur.execute("SELECT pg_catalog.to_regrole(pg_catalog.quote_ident(%s)) IS NOT NULL", (role,))
        row = cur.fetchone()
        if row and row[0]:
            cur.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    sql.Identifier(schemas.bi), sql.Identifier(role)
                )
            )
    return names


def provision_bi_role(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    role: str = BI_ROLE,
    password: str | None = None,
) -> None:
    """Create or tighten the BI role: read-only, the ``bi`` schema only. The caller commits.

    Views run with their owner's rights, so the role needs no grant on gold itself.
    Needs a connection allowed to create roles (an administrator, or setup).
    """
    provision_readonly_role(conn, role, schemas=[schemas.bi], password=password)
