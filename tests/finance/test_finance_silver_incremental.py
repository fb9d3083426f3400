"""Engine tier: the incremental silver build equals a full rebuild, row for row, on real PostgreSQL."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from ipwb.errors import WarehouseError
from ipwb.finance import marts, silver
from ipwb.finance import warehouse as wh

from .test_finance_warehouse import WD, _company, _line, _load_invoice_and_bill, _move, _partner

SCHEMAS = wh.FinanceSchemas()


def _payment(pid: int, partner: int, amount: float, state: str = "paid") -> wh.SourceRow:
    return wh.SourceRow(pid, WD, {"id": pid, "company_id": 1, "name": f"P{pid}", "date": "2025-02-20",
                                  "payment_type": "inbound", "partner_type": "customer",
                                  "partner_id": partner,
                                  "amount": amount, "amount_company_currency_signed": amount, "state": state,
                                  "currency": "PHP", "journal_code": "BNK1"})  # fmt: skip


def _expense(eid: int, total: float, state: str = "approved") -> wh.SourceRow:
    return wh.SourceRow(eid, WD, {"id": eid, "company_id": 1, "name": f"Taxi {eid}", "date": "2025-02-03",
                                  "employee_id": 7, "employee_name": "Ana", "total_amount": total,
                                  "tax_amount": 0, "state": state})  # fmt: skip


def _equals_full_rebuild(conn: psycopg2.extensions.connection) -> silver.SilverBuild:
    """Build silver incrementally, then whole: both must hold the same rows."""
    result = marts.build_silver_layer(conn, SCHEMAS)
    incremental = marts.fingerprints(conn, SCHEMAS, layers=("silver",))
    assert marts.build_silver_layer(conn, SCHEMAS, full=True).full
    assert marts.fingerprints(conn, SCHEMAS, layers=("silver",)) == incremental
    conn.commit()
    return result


def _silver(conn: psycopg2.extensions.connection, query: str) -> list[tuple[object, ...]]:
    with conn.cursor() as cur:
        cur.execute(query)
        return list(cur.fetchall())


def test_incremental_silver_equals_full_rebuild(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    wh.upsert_rows(conn, SCHEMAS, "account_payment", [_payment(500, 10, 1120.0), _payment(501, 20, 5.0)])
    wh.upsert_rows(conn, SCHEMAS, "hr_expense", [_expense(600, 300.0), _expense(601, 40.0)])
    first = marts.build_silver_layer(conn, SCHEMAS)
    assert (first.full, first.reason) == (True, "first build")
    conn.commit()

    # nothing loaded since: nothing rebuilt
    assert _equals_full_rebuild(conn) == silver.SilverBuild(False, "", {}, first.load_seq)

    # a new invoice, an edited bill (re-posted: new lines, one line gone), a partner renamed
    invoice = wh.SourceRow(300, WD, _move(300, "out_invoice", "2025-03-05", 10))
    bill = wh.SourceRow(200, WD, {**_move(200, "in_invoice", "2025-02-11", 20), "ref": "edited"})
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice, bill])
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [
        wh.SourceRow(3001, WD, _line(3001, 300, -50.0, tax_ids=[1], tax_tag_invert=True,
                                     tax_tags=[{"name": "+31A"}]), parent_version=invoice.version),
        wh.SourceRow(2001, WD, _line(2001, 200, 700.0, tax_ids=[2, 3], tax_tags=[{"name": "+42A"}]),
                     parent_version=bill.version),
        wh.SourceRow(2002, WD, _line(2002, 200, 84.0, tax_line_id=2, tax_tags=[{"name": "+42B"}]),
                     parent_version=bill.version),
    ])  # fmt: skip
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [_partner(20, "Vendor Renamed", "444-555-777-001")])
    wh.upsert_rows(conn, SCHEMAS, "account_payment", [_payment(500, 10, 1000.0)])
    result = _equals_full_rebuild(conn)
    assert not result.full
    assert result.scope["account_move"] == 2  # the new invoice and the bill; invoice 100 untouched
    assert result.scope["account_payment"] == 2  # 500 edited, 501 names the renamed partner
    assert _silver(conn, "SELECT line_id FROM silver.fin_invoice_lines WHERE move_id = 200 ORDER BY 1") == [
        (2001,),
        (2002,),
    ]
    assert _silver(conn, "SELECT partner_name, partner_tin FROM silver.fin_invoices WHERE move_id = 200") == [
        ("Vendor Renamed", "444555777")
    ]

    # cancelled (tombstone), a deleted line, a tax removed, a company renamed, expenses changed
    wh.upsert_rows(conn, SCHEMAS, "account_move", [
        wh.SourceRow(100, WD, {"id": 100, "state": "cancel"}, deleted=True)])  # fmt: skip
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [wh.SourceRow(2002, None, {"id": 2002}, deleted=True)])
    wh.upsert_rows(conn, SCHEMAS, "account_tax", [wh.SourceRow(3, None, {"id": 3}, deleted=True)])
    wh.upsert_rows(conn, SCHEMAS, "res_company", [_company(2, "PH Branch Renamed", "987-654-321-000")])
    wh.upsert_rows(conn, SCHEMAS, "hr_expense", [_expense(600, 310.0), _expense(601, 40.0, "refused")])
    wh.upsert_rows(conn, SCHEMAS, "account_payment", [_payment(501, 20, 5.0, "canceled")])
    result = _equals_full_rebuild(conn)
    assert not result.full
    assert _silver(conn, "SELECT move_id FROM silver.fin_invoices ORDER BY 1") == [(200,), (300,)]
    assert _silver(conn, "SELECT DISTINCT tax_id FROM silver.fin_tax_amounts WHERE move_id = 200") == [(2,)]
    assert _silver(conn, "SELECT expense_id FROM silver.fin_expenses") == [(600,)]

    # a line deleted on its own (its tombstone names no move): silver drops it from its move
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [wh.SourceRow(3001, None, {"id": 3001}, deleted=True)])
    result = _equals_full_rebuild(conn)
    assert (result.full, result.scope["account_move"]) == (False, 1)
    assert _silver(conn, "SELECT count(*) FROM silver.fin_invoice_lines WHERE move_id = 300") == [(0,)]

    # reset to draft and re-posted unchanged: the earlier version is the latest again while its
    # lines, unchanged, add nothing to bronze; silver still gets them back
    _load_invoice_and_bill(conn)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.odoo_account_move_line WHERE source_id = 1001")
        assert cur.fetchone() == (1,)
    result = _equals_full_rebuild(conn)
    assert not result.full
    assert _silver(conn, "SELECT line_id FROM silver.fin_invoice_lines WHERE move_id = 100 ORDER BY 1") == [
        (1001,),
        (1002,),
    ]
    # the bill's original version came back too: its lines of that version, 2003 included
    assert _silver(conn, "SELECT count(*) FROM silver.fin_invoice_lines WHERE move_id = 200") == [(3,)]


def test_full_rebuild_when_due(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build_silver_layer(conn, SCHEMAS)
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("UPDATE silver.fin_silver_state SET signature = 'older SQL'")
    assert marts.build_silver_layer(conn, SCHEMAS).reason == "silver SQL changed"
    with conn.cursor() as cur:
        cur.execute("DROP TABLE silver.fin_tax_amounts")
    assert marts.build_silver_layer(conn, SCHEMAS).reason == "silver table missing"
    assert marts.build_silver_layer(conn, SCHEMAS, full=True).reason == "asked for"
    assert not marts.build_silver_layer(conn, SCHEMAS).full
    conn.commit()
    # bronze recreated: its load sequence starts again, silver's mark means nothing any more
    marts.drop_domain_tables(conn, SCHEMAS)
    wh.ensure_bronze(conn, SCHEMAS)
    _load_invoice_and_bill(conn)
    assert marts.build_silver_layer(conn, SCHEMAS).reason == "first build"
    marts.build_silver_layer(conn, SCHEMAS)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP SEQUENCE bronze.fin_load_seq CASCADE"))
        cur.execute("CREATE SEQUENCE bronze.fin_load_seq START 1000")
    assert marts.build_silver_layer(conn, SCHEMAS).reason == "bronze recreated"


def test_failed_incremental_build_changes_nothing(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build_silver_layer(conn, SCHEMAS)
    conn.commit()
    before = marts.fingerprints(conn, SCHEMAS, layers=("silver",))
    state = _silver(conn, "SELECT load_seq FROM silver.fin_silver_state")
    bad = wh.SourceRow(900, WD, {**_move(900, "out_invoice", "2025-03-05", 10), "date": "not a date"})
    wh.upsert_rows(conn, SCHEMAS, "account_move", [bad])
    conn.commit()
    with pytest.raises(WarehouseError, match=r"Incremental silver build failed \(silver SQL\)"):
        marts.build_silver_layer(conn, SCHEMAS)
    conn.rollback()
    assert marts.fingerprints(conn, SCHEMAS, layers=("silver",)) == before
    assert _silver(conn, "SELECT load_seq FROM silver.fin_silver_state") == state


def _never_analyzed(conn: psycopg2.extensions.connection, schemas: list[str]) -> set[str]:
    return {
        f"{schema}.{name}"
        for schema, name in _silver(
            conn,
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind = 'r' AND c.reltuples < 0 AND n.nspname IN ({', '.join(map(repr, schemas))})",
        )
    }


def test_builds_leave_statistics_for_the_gates(conn: psycopg2.extensions.connection) -> None:
    """A rebuilt layer is analyzed in the build's transaction: the gates that read it next
    are not planned blind until autovacuum comes by."""
    _load_invoice_and_bill(conn)
    assert _never_analyzed(conn, [SCHEMAS.bronze])  # loaded, not analyzed yet
    assert marts.build_silver_layer(conn, SCHEMAS).full
    assert marts.build_gold(conn, SCHEMAS)
    conn.commit()
    bookkeeping = {f"{SCHEMAS.bronze}.fin_watermark", f"{SCHEMAS.silver}.fin_silver_state"}  # one row each
    assert _never_analyzed(conn, [SCHEMAS.bronze, SCHEMAS.silver, SCHEMAS.gold]) - bookkeeping == set()
    # an incremental build analyzes a table only when it has no statistics yet
    assert marts.analyze(conn, SCHEMAS, ("silver",), only_never_analyzed=True) == []
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE TABLE {} (LIKE {})").format(
                sql.Identifier(SCHEMAS.silver, "fin_payments_new"),
                sql.Identifier(SCHEMAS.silver, "fin_payments"),
            )
        )
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(SCHEMAS.silver, "fin_payments")))
        cur.execute(
            sql.SQL("ALTER TABLE {} RENAME TO fin_payments").format(
                sql.Identifier(SCHEMAS.silver, "fin_payments_new")
            )
        )
    assert marts.analyze(conn, SCHEMAS, ("silver",), only_never_analyzed=True) == [
        f"{SCHEMAS.silver}.fin_payments"
    ]
    conn.rollback()
