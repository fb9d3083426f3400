"""Superset-ready access to the finance marts: ``bi`` views and a read-only BI role.

The views are the stable contract a BI tool reads (column names and types do not follow
every gold refactor); the role can read those views and nothing else, in read-only
transactions with a statement timeout (:func:`ipwb.warehouse.roles.provision_readonly_role`).
"""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

from ipwb.finance.warehouse import GOLD_TABLES, FinanceSchemas
from ipwb.warehouse.roles import provision_readonly_role

#: default name of the BI login role
BI_ROLE = "ipwb_bi_reader"

#: view name in the bi schema → gold table it exposes
BI_VIEWS: dict[str, str] = {
    "vat_return_monthly": "fin_vat_2550m",
    "vat_return_quarterly": "fin_vat_2550q",
    "withholding_by_payee": "fin_ewt_payee_atc",
    "withholding_remittance_1601eq": "fin_1601eq",
    "withholding_alphalist_qap": "fin_qap",
    "withheld_by_customers_sawt": "fin_sawt",
    "summary_list_sales": "fin_slsp_sales",
    "summary_list_purchases": "fin_slsp_purchases",
    "expense_spend": "fin_expense_spend",
}

assert set(BI_VIEWS.values()) == set(GOLD_TABLES)


def create_bi_views(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> list[str]:
    """(Re)create the ``bi`` views over the gold marts; returns their qualified names."""
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
