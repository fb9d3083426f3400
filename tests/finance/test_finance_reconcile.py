"""Engine tier: Odoo's report evaluated on its own, changed quarters, expense and SAWT semantics,
the finance quality checks' SQL — on real PostgreSQL."""

from __future__ import annotations

import doctest
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from ipwb.errors import ReconciliationError
from ipwb.finance import marts, reconcile, tax_report
from ipwb.finance import warehouse as wh
from ipwb.finance.tax_report import Expression, TaxReport

from .test_finance_warehouse import WD, _company, _line, _load_invoice_and_bill, _move, _partner

SCHEMAS = wh.FinanceSchemas()
CHECKS = (
    Path(__file__).resolve().parents[2]
    / "addons"
    / "ipwb_finance_bir"
    / "data"
    / "ipwb_finance_dq_checks.xml"
)


def test_doctests() -> None:
    for module in (tax_report, reconcile):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_report_refuses_what_it_cannot_evaluate() -> None:
    with pytest.raises(ReconciliationError, match="engine 'domain'"):
        TaxReport([Expression("31", "Sales", "balance", "domain", "[]")])
    with pytest.raises(ReconciliationError, match=r"Unsupported aggregation formula '31\.balance \* 2'"):
        TaxReport([Expression("31", "S", "balance", "tax_tags", "31B"),
                   Expression("35", "T", "balance", "aggregation", "31.balance * 2")])  # fmt: skip
    with pytest.raises(ReconciliationError, match=r"refers to 32\.balance"):
        TaxReport([Expression("35", "T", "balance", "aggregation", "32.balance")])
    cycle = TaxReport([Expression("1", "A", "balance", "aggregation", "2.balance"),
                       Expression("2", "B", "balance", "aggregation", "1.balance")])  # fmt: skip
    with pytest.raises(ReconciliationError, match="depends on itself"):
        cycle.evaluate({})


def _gold_rows(conn: psycopg2.extensions.connection, table: str, columns: str) -> list[dict[str, object]]:
    query = sql.SQL("SELECT " + columns + " FROM {} ORDER BY 1, 2").format(sql.Identifier("gold", table))
    return marts.fetch_dicts(conn, query)


def test_changed_quarters_compare_staged_with_published(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    staged = SCHEMAS.staged()
    marts.build_silver(conn, SCHEMAS)
    marts.build_gold(conn, staged)
    assert reconcile.changed_quarters(conn, staged, SCHEMAS) == {(1, "2025-Q1")}, "nothing published yet"
    marts.publish_gold(conn, staged)
    marts.build_gold(conn, staged)
    assert reconcile.changed_quarters(conn, staged, SCHEMAS) == set(), "same gold: nothing to reconcile"
    invoice = wh.SourceRow(300, WD, _move(300, "out_invoice", "2025-05-05", 10))
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice])
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [wh.SourceRow(
        3001, WD, _line(3001, 300, -50.0, tax_ids=[1], tax_tag_invert=True, tax_tags=[{"name": "+31A"}]),
        parent_version=invoice.version)])  # fmt: skip
    marts.build_silver(conn, SCHEMAS)
    marts.build_gold(conn, staged)
    assert reconcile.changed_quarters(conn, staged, SCHEMAS) == {(1, "2025-Q2")}
    # a sale with VAT changes the VAT and sales marts of its quarter, not withholding on purchases
    marts_changed = reconcile.changed_marts(conn, staged, SCHEMAS)[(1, "2025-Q2")]
    assert "fin_vat_2550m" in marts_changed
    assert "fin_ewt_payee_atc" not in marts_changed
    assert reconcile.gold_vat(conn, staged, [1], "2025-Q2")[(1, "2025-05", "35", "tax_base")] == Decimal(
        "50.00"
    )


def _expense(eid: int, state: str, total: float, tax: float, input_vat: float | None) -> wh.SourceRow:
    payload = {"id": eid, "company_id": 1, "name": f"E{eid}", "date": "2025-03-03", "employee_id": 5,
               "employee_name": "Ana", "department": "Sales", "category": "Meals", "total_amount": total,
               "tax_amount": tax, "state": state, "payment_mode": "own_account"}  # fmt: skip
    if input_vat is not None:
        payload["input_vat"] = input_vat
    return wh.SourceRow(eid, WD, payload)


def test_expense_mart_counts_approved_and_posted_with_input_vat(conn: psycopg2.extensions.connection) -> None:
    wh.upsert_rows(conn, SCHEMAS, "res_company", [_company(1, "PH Books Inc.", "123-456-789-000")])
    wh.upsert_rows(conn, SCHEMAS, "hr_expense", [
        _expense(1, "draft", 1000.0, 107.14, 107.14), _expense(2, "submitted", 500.0, 53.57, 53.57),
        _expense(3, "approved", 1120.0, 120.0, 120.0), _expense(4, "done", 224.0, 24.0, 24.0),
        _expense(5, "refused", 900.0, 0.0, 0.0), _expense(6, "done", 100.0, 0.0, None),
    ])  # fmt: skip
    marts.build(conn, SCHEMAS)
    rows = _gold_rows(
        conn, "fin_expense_spend", "expenses, total_amount, tax_amount, untaxed_amount, input_vat"
    )
    assert rows == [{"expenses": 3, "total_amount": Decimal("1444.00"), "tax_amount": Decimal("144.00"),
                     "untaxed_amount": Decimal("1300.00"), "input_vat": Decimal("144.00")}]  # fmt: skip


def _sawt_books(conn: psycopg2.extensions.connection, basis: str, paid: str | None) -> None:
    company = _company(1, "PH Books Inc.", "123-456-789-000")
    wh.upsert_rows(
        conn, SCHEMAS, "res_company", [wh.SourceRow(1, WD, {**company.payload, "sawt_basis": basis})]
    )
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [_partner(10, "Customer", "111-222-333-000")])
    wh.upsert_rows(conn, SCHEMAS, "account_tax", [wh.SourceRow(4, WD, {
        "id": 4, "name": "1% WC158", "amount": -1.0, "amount_type": "percent", "type_tax_use": "sale",
        "atc": "WC158"})])  # fmt: skip
    invoice = wh.SourceRow(100, WD, {**_move(100, "out_invoice", "2025-03-20", 10), "paid_date": paid})
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice])
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [
        wh.SourceRow(1001, WD, _line(1001, 100, -1000.0, tax_ids=[4]), parent_version=invoice.version),
        wh.SourceRow(1002, WD, _line(1002, 100, 10.0, tax_line_id=4), parent_version=invoice.version),
    ])  # fmt: skip
    marts.build(conn, SCHEMAS)


@pytest.mark.parametrize(
    ("basis", "paid", "quarters"),
    [("accrual", None, ["2025-Q1"]), ("accrual", "2025-04-02", ["2025-Q1"]),
     ("payment", None, []), ("payment", "2025-04-02", ["2025-Q2"])],
)  # fmt: skip
def test_sawt_period_follows_the_company_basis(
    conn: psycopg2.extensions.connection, basis: str, paid: str | None, quarters: list[str]
) -> None:
    _sawt_books(conn, basis, paid)
    rows = _gold_rows(conn, "fin_sawt", "quarter, atc, income_payment, tax_withheld")
    assert [r["quarter"] for r in rows] == quarters
    assert all(
        (r["income_payment"], r["tax_withheld"]) == (Decimal("1000.00"), Decimal("10.00")) for r in rows
    )


def _check_sql(xmlid: str) -> str:
    for record in ET.parse(CHECKS).getroot().iter("record"):
        if record.get("id") == xmlid:
            return next(f.text or "" for f in record.iter("field") if f.get("name") == "custom_sql")
    raise AssertionError(xmlid)


def _failing(conn: psycopg2.extensions.connection, xmlid: str) -> list[tuple[object, ...]]:
    with conn.cursor() as cur:
        cur.execute(_check_sql(xmlid))
        return sorted(cur.fetchall())


@pytest.mark.parametrize("vat", ["", None])
def test_partner_tin_check_fails_on_empty_and_missing_tin(
    conn: psycopg2.extensions.connection, vat: str | None
) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_invoices_partner_tin_set") == []
    partner = _partner(10, "Customer", "")
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [wh.SourceRow(10, WD, {**partner.payload, "vat": vat})])
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_invoices_partner_tin_set") == [(100, "M100")]


def test_partner_tin_check_passes_a_foreign_partner(conn: psycopg2.extensions.connection) -> None:
    """A foreign VAT number is no TIN (silver blanks it and flags it): not a missing TIN."""
    _load_invoice_and_bill(conn)
    partner = _partner(10, "Customer", "")
    foreign = {**partner.payload, "vat": "DE123456789", "country_code": "DE"}
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [wh.SourceRow(10, WD, foreign)])
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_invoices_partner_tin_set") == []
    ph = {**partner.payload, "vat": "", "country_code": "PH"}
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [wh.SourceRow(10, WD, ph)])
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_invoices_partner_tin_set") == [(100, "M100")]


def test_atc_and_government_checks_flag_only_the_wrong_ones(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_company_partner_individual_atc") == []
    assert _failing(conn, "dq_silver_government_customer_private_line") == []
    # the vendor (a company) now withholds under WI010; the customer becomes a government office
    wh.upsert_rows(conn, SCHEMAS, "account_tax", [wh.SourceRow(3, WD, {
        "id": 3, "name": "WI010", "amount": -2.0, "amount_type": "percent", "type_tax_use": "purchase",
        "atc": "WI010"})])  # fmt: skip
    customer = _partner(10, "Customer", "111-222-333-000")
    wh.upsert_rows(
        conn, SCHEMAS, "res_partner", [wh.SourceRow(10, WD, {**customer.payload, "is_government": True})]
    )
    marts.build(conn, SCHEMAS)
    assert _failing(conn, "dq_silver_company_partner_individual_atc") == [(200, "M200", "WI010")]
    assert _failing(conn, "dq_silver_government_customer_private_line") == [(100, "M100")]
