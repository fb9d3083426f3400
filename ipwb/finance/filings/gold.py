"""Read what a filing needs from published gold: the filer, the listed parties, the amounts.

The marts list parties by (TIN, branch code, name) as silver has them; the payee identity
(``gold.fin_payees``) is joined on the same three, so a payee's registered or personal names
and address come with each row. Every name composed into SQL is a checked identifier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import FilingError
from ipwb.finance.filings.dat import PurchaseRow, SalesRow, WithholdingRow
from ipwb.finance.filings.identity import Filer, Period, Taxpayer
from ipwb.finance.marts import fetch_dicts
from ipwb.finance.warehouse import FinanceSchemas

#: columns of a listed party, from the mart (m) and the payee identity (p)
_PARTY = (
    "p.is_individual, p.registered_name, p.last_name, p.first_name, p.middle_name, p.address,"
    " p.is_foreign_vat, p.branch_code AS branch4"
)


def _payee_join(schemas: FinanceSchemas, tin: str, branch: str, name: str) -> sql.Composable:
    return sql.SQL(
        "LEFT JOIN LATERAL (SELECT * FROM {payees} x WHERE x.tin = m.{tin}"
        " AND x.source_branch_code = m.{branch} AND x.name = m.{name}"
        " ORDER BY x.partner_id LIMIT 1) p ON true"
    ).format(
        payees=sql.Identifier(schemas.gold, "fin_payees"),
        tin=sql.Identifier(tin),
        branch=sql.Identifier(branch),
        name=sql.Identifier(name),
    )


def filer(conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int) -> Filer:
    """The company's filing identity, checked (TIN, branch, RDO code, registered name)."""
    rows = fetch_dicts(
        conn,
        sql.SQL("SELECT * FROM {} WHERE company_id = %s").format(sql.Identifier(schemas.gold, "fin_filers")),
        (company_id,),
    )
    if not rows:
        raise FilingError(
            f"Company {company_id} is not in the published gold: run the finance pipeline first"
        )
    row = rows[0]
    return Filer(
        tin=row["tin"] or "",
        branch=row["branch_code"] or "",
        registered_name=row["registered_name"] or "",
        address=row["address"] or "",
        rdo_code=row["rdo_code"] or "",
    ).check()


def check_period(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> None:
    """Refuse a period outside the months gold holds for the company."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT min(m) AS low, max(m) AS high FROM"
            " (SELECT period_month AS m FROM {vat} WHERE company_id = %s"
            " UNION ALL SELECT period_month FROM {ewt} WHERE company_id = %s) months"
        ).format(
            vat=sql.Identifier(schemas.gold, "fin_vat_2550m"),
            ewt=sql.Identifier(schemas.gold, "fin_ewt_payee_atc"),
        ),
        (company_id, company_id),
    )
    low, high = rows[0]["low"], rows[0]["high"]
    if low is None or period.last_day < low or period.first_day > high:
        span = f"{low:%Y-%m} to {high:%Y-%m}" if low else "no month at all"
        raise FilingError(f"{period.label} is outside the published data of company {company_id} ({span})")


def _party(row: dict[str, Any], tin_key: str, name_key: str) -> Taxpayer:
    individual = bool(row.get("is_individual"))
    return Taxpayer(
        tin=row[tin_key] or "",
        branch=row.get("branch4") or "0000",
        registered_name="" if individual else (row.get("registered_name") or row[name_key] or ""),
        last_name=(row.get("last_name") or "") if individual else "",
        first_name=(row.get("first_name") or "") if individual else "",
        middle_name=(row.get("middle_name") or "") if individual else "",
        address=row.get("address") or "",
    )


def _rows(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    listing: tuple[str, tuple[str, str, str], Sequence[str]],
    company_id: int,
    period: Period,
) -> list[dict[str, Any]]:
    """Rows of mart ``listing[0]`` with the identity of the party named by columns
    ``listing[1]`` (TIN, branch, name), ordered by ``listing[2]``."""
    table, party, order = listing
    query = sql.SQL(
        "SELECT m.*, {party} FROM {table} m {join}"
        " WHERE m.company_id = %s AND m.quarter = %s ORDER BY {order}"
    )
    return fetch_dicts(
        conn,
        query.format(
            party=sql.SQL(_PARTY),
            table=sql.Identifier(schemas.gold, table),
            join=_payee_join(schemas, *party),
            order=sql.SQL(", ").join(sql.SQL("m.{}").format(sql.Identifier(c)) for c in order),
        ),
        (company_id, period.label),
    )


def _withholding_rows(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    mart: tuple[str, str],
    company_id: int,
    period: Period,
) -> list[WithholdingRow]:
    """Rows of withholding mart ``mart[0]`` whose party columns start with ``mart[1]``
    (``payee`` for the QAP, ``payor`` for the SAWT)."""
    table, role = mart
    tin, branch, name = f"{role}_tin", f"{role}_branch_code", f"{role}_name"
    rows = _rows(
        conn, schemas, (table, (tin, branch, name), (name, tin, "atc", "tax_rate")), company_id, period
    )
    return [
        WithholdingRow(_party(r, tin, name), r["atc"], r["tax_rate"], r["income_payment"], r["tax_withheld"])
        for r in rows
    ]


def qap_rows(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[WithholdingRow]:
    return _withholding_rows(conn, schemas, ("fin_qap", "payee"), company_id, period)


def sawt_rows(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[WithholdingRow]:
    return _withholding_rows(conn, schemas, ("fin_sawt", "payor"), company_id, period)


def sales_rows(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[SalesRow]:
    party = ("customer_tin", "customer_branch_code", "customer_name")
    rows = _rows(
        conn, schemas, ("fin_slsp_sales", party, ("customer_name", "customer_tin")), company_id, period
    )
    return [
        SalesRow(_party(r, "customer_tin", "customer_name"), r["exempt_sales"], r["zero_rated_sales"],
                 r["taxable_sales"], r["output_tax"])
        for r in rows
    ]  # fmt: skip


def purchase_rows(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[PurchaseRow]:
    party = ("supplier_tin", "supplier_branch_code", "supplier_name")
    rows = _rows(
        conn, schemas, ("fin_slsp_purchases", party, ("supplier_name", "supplier_tin")), company_id, period
    )
    return [
        PurchaseRow(_party(r, "supplier_tin", "supplier_name"), r["exempt_purchases"],
                    r["zero_rated_purchases"], r["services"], r["capital_goods"], r["other_goods"],
                    r["input_tax"])
        for r in rows
    ]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CertificateLine:
    atc: str
    nature: str
    months: tuple[Decimal, Decimal, Decimal]
    tax_withheld: Decimal

    @property
    def total(self) -> Decimal:
        return sum(self.months, Decimal(0))


@dataclasses.dataclass(frozen=True)
class Certificate:
    """A BIR 2307 (certificate of creditable tax withheld at source) of one payee and quarter."""

    payee: Taxpayer
    lines: tuple[CertificateLine, ...]

    @property
    def income_payment(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def tax_withheld(self) -> Decimal:
        return sum((line.tax_withheld for line in self.lines), Decimal(0))


def certificates_2307(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[Certificate]:
    """One certificate per payee of the quarter: ATC lines split by month of the quarter."""
    query = sql.SQL(
        "SELECT m.payee_tin, m.payee_name, m.atc, m.tax_rate,"
        " extract(month FROM m.period_month)::int AS month,"
        " coalesce(a.nature, m.atc) AS nature, sum(m.income_payment) AS income_payment,"
        " sum(m.tax_withheld) AS tax_withheld, {party}"
        " FROM {table} m {join}"
        " LEFT JOIN {atc} a ON a.atc = upper(m.atc) AND a.tax_rate = m.tax_rate"
        " AND a.type_tax_use = 'purchase'"
        " WHERE m.company_id = %s AND m.quarter = %s"
        " GROUP BY m.payee_tin, m.payee_name, m.atc, m.tax_rate, month, a.nature, {party_cols}"
        " ORDER BY m.payee_name, m.payee_tin, m.atc, m.tax_rate, month"
    ).format(
        party=sql.SQL(_PARTY),
        party_cols=sql.SQL(
            "p.is_individual, p.registered_name, p.last_name, p.first_name, p.middle_name, p.address,"
            " p.is_foreign_vat, p.branch_code"
        ),
        table=sql.Identifier(schemas.gold, "fin_ewt_payee_atc"),
        join=_payee_join(schemas, "payee_tin", "payee_branch_code", "payee_name"),
        atc=sql.Identifier(schemas.gold, "fin_atc"),
    )
    grouped: dict[Taxpayer, dict[tuple[str, Decimal, str], list[Decimal]]] = {}
    for row in fetch_dicts(conn, query, (company_id, period.label)):
        payee = _party(row, "payee_tin", "payee_name")
        amounts = grouped.setdefault(payee, {}).setdefault(
            (row["atc"], row["tax_rate"], row["nature"]), [Decimal(0)] * 4
        )
        amounts[period.months.index(row["month"])] += row["income_payment"]
        amounts[3] += row["tax_withheld"]
    return [
        Certificate(
            payee,
            tuple(
                CertificateLine(atc, nature, (a[0], a[1], a[2]), a[3])
                for (atc, _rate, nature), a in lines.items()
            ),
        )
        for payee, lines in grouped.items()
    ]


def vat_quarters(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> dict[str, dict[str, tuple[Decimal, Decimal]]]:
    """Gold 2550Q leaf lines of the company up to the period: ``{quarter: {line: (base, vat)}}``."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT quarter, line_code, tax_base, vat FROM {} WHERE company_id = %s AND quarter <= %s"
            " AND NOT is_aggregate ORDER BY quarter, line_code"
        ).format(sql.Identifier(schemas.gold, "fin_vat_2550q")),
        (company_id, period.label),
    )
    result: dict[str, dict[str, tuple[Decimal, Decimal]]] = {}
    for row in rows:
        result.setdefault(row["quarter"], {})[row["line_code"]] = (row["tax_base"], row["vat"])
    return result


def withholding_by_month(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, company_id: int, period: Period
) -> list[dict[str, Any]]:
    """Gold 0619-E rows of the quarter: month, ATC, rate, base, withheld, nature."""
    return fetch_dicts(
        conn,
        sql.SQL(
            "SELECT extract(month FROM m.period_month)::int AS month, m.atc, m.tax_rate, m.tax_base,"
            " m.tax_withheld,"
            " coalesce(a.nature, m.atc) AS nature FROM {table} m"
            " LEFT JOIN {atc} a ON a.atc = upper(m.atc) AND a.tax_rate = m.tax_rate"
            " AND a.type_tax_use = 'purchase'"
            " WHERE m.company_id = %s AND m.quarter = %s ORDER BY m.period_month, m.atc, m.tax_rate"
        ).format(
            table=sql.Identifier(schemas.gold, "fin_0619e"), atc=sql.Identifier(schemas.gold, "fin_atc")
        ),
        (company_id, f"{period.year}-Q{period.quarter}"),
    )
