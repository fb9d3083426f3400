"""Engine tier: bronze versions/tombstones/watermarks and the silver/gold build on real PostgreSQL."""

from __future__ import annotations

import datetime
from decimal import Decimal

import psycopg2
import psycopg2.extensions
import pytest

from ipwb.cli import main
from ipwb.errors import ConfigurationError, WarehouseError
from ipwb.finance import bi, marts
from ipwb.finance import warehouse as wh
from ipwb.finance.reconcile import compare

WD = datetime.datetime(2025, 2, 1, 10, 0, 0)
SCHEMAS = wh.FinanceSchemas()


def _partner(pid: int, name: str, vat: str) -> wh.SourceRow:
    payload = {"id": pid, "name": name, "vat": vat, "branch_code": vat[12:] or "000", "is_company": True,
               "commercial_partner_id": pid}  # fmt: skip
    return wh.SourceRow(pid, WD, payload)


def _taxes() -> list[wh.SourceRow]:
    return [
        wh.SourceRow(1, WD, {"id": 1, "name": "12%", "amount": 12.0, "amount_type": "percent",
                             "type_tax_use": "sale", "atc": ""}),
        wh.SourceRow(2, WD, {"id": 2, "name": "12%", "amount": 12.0, "amount_type": "percent",
                             "type_tax_use": "purchase", "atc": ""}),
        wh.SourceRow(3, WD, {"id": 3, "name": "2% WC", "amount": -2.0, "amount_type": "percent",
                             "type_tax_use": "purchase", "atc": "WC158"}),
    ]  # fmt: skip


def _company(cid: int, name: str, vat: str) -> wh.SourceRow:
    return wh.SourceRow(
        cid, WD, {"id": cid, "name": name, "vat": vat, "branch_code": "000", "currency": "PHP"}
    )


def _move(
    mid: int, move_type: str, day: str, partner: int, state: str = "posted", company: int = 1
) -> dict[str, object]:
    return {"id": mid, "name": f"M{mid}", "company_id": company, "move_type": move_type, "state": state,
            "date": day, "invoice_date": day, "partner_id": partner, "commercial_partner_id": partner,
            "amount_untaxed_signed": 0, "amount_tax_signed": 0, "amount_total_signed": 0}  # fmt: skip


def _line(lid: int, mid: int, balance: float, **extra: object) -> dict[str, object]:
    return {"id": lid, "move_id": mid, "balance": balance, "display_type": "product", **extra}


def _load_invoice_and_bill(conn: psycopg2.extensions.connection, invoice_state: str = "posted") -> None:
    companies = [
        _company(1, "PH Books Inc.", "123-456-789-000"),
        _company(2, "PH Branch Co.", "987-654-321-000"),
    ]
    wh.upsert_rows(conn, SCHEMAS, "res_company", companies)
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [_partner(10, "Customer", "111-222-333-000"),
                                                   _partner(20, "Vendor", "444-555-666-001")])  # fmt: skip
    wh.upsert_rows(conn, SCHEMAS, "account_tax", _taxes())
    invoice = wh.SourceRow(100, WD, _move(100, "out_invoice", "2025-01-15", 10, invoice_state),
                           deleted=invoice_state != "posted")  # fmt: skip
    bill = wh.SourceRow(200, WD, _move(200, "in_invoice", "2025-02-10", 20))
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice, bill])
    lines = [
        wh.SourceRow(1001, WD, _line(1001, 100, -1000.0, tax_ids=[1], tax_tag_invert=True,
                                     tax_tags=[{"name": "+31A"}]), parent_version=invoice.version),
        wh.SourceRow(1002, WD, _line(1002, 100, -120.0, tax_line_id=1, tax_tag_invert=True,
                                     tax_tags=[{"name": "+31B"}]), parent_version=invoice.version),
        wh.SourceRow(2001, WD, _line(2001, 200, 500.0, tax_ids=[2, 3], tax_tags=[{"name": "+42A"}]),
                     parent_version=bill.version),
        wh.SourceRow(2002, WD, _line(2002, 200, 60.0, tax_line_id=2, tax_tags=[{"name": "+42B"}]),
                     parent_version=bill.version),
        wh.SourceRow(2003, WD, _line(2003, 200, -10.0, tax_line_id=3), parent_version=bill.version),
    ]  # fmt: skip
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", lines)


def test_gold_marts_from_bronze(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    counts = marts.build(conn, SCHEMAS)
    assert counts["silver.fin_invoices"] == 2
    assert counts["silver.fin_invoice_lines"] == 5
    vat = marts.gold_vat_lines(conn, SCHEMAS, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    assert vat[(1, "2025-01", "31", "tax_base")] == Decimal("1000.00")
    assert vat[(1, "2025-01", "31", "balance")] == Decimal("120.00")
    assert vat[(1, "2025-02", "42", "balance")] == Decimal("60.00")
    ewt = marts.gold_ewt(conn, SCHEMAS, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    assert ewt == {(1, "2025-Q1", "444555666", "WC158"): (Decimal("500.00"), Decimal("10.00"))}
    query = "SELECT line_code, vat FROM gold.fin_vat_2550q WHERE line_code IN ('35', '56')"
    rows = marts.fetch_dicts(conn, psycopg2.sql.SQL(query))
    assert {r["line_code"]: r["vat"] for r in rows} == {"35": Decimal("120.00"), "56": Decimal("60.00")}
    query = "SELECT line_code, tax_base FROM gold.fin_vat_2550q WHERE line_code IN ('35', '48', '56')"
    bases = {r["line_code"]: r["tax_base"] for r in marts.fetch_dicts(conn, psycopg2.sql.SQL(query))}
    assert bases == {"35": Decimal("1000.00"), "48": Decimal("500.00"), "56": Decimal("0.00")}
    query = "SELECT customer_tin, taxable_sales FROM gold.fin_slsp_sales"
    slsp = marts.fetch_dicts(conn, psycopg2.sql.SQL(query))
    assert slsp == [{"customer_tin": "111222333", "taxable_sales": Decimal("1000.00")}]


def test_rerun_adds_nothing_and_fingerprints_match(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    before = marts.fingerprints(conn, SCHEMAS)
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    assert marts.fingerprints(conn, SCHEMAS) == before


def test_tombstone_drops_cancelled_move_revival_restores(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    _load_invoice_and_bill(conn, invoice_state="cancel")
    counts = marts.build(conn, SCHEMAS)
    assert counts["silver.fin_invoices"] == 1
    assert wh.live_source_ids(conn, SCHEMAS, "account_move") == {200}
    _load_invoice_and_bill(conn)  # back to posted: the earlier version is the latest again
    assert marts.build(conn, SCHEMAS)["silver.fin_invoices"] == 2


def test_watermark_only_moves_forward(conn: psycopg2.extensions.connection) -> None:
    assert wh.get_watermark(conn, SCHEMAS, "account_move").write_date is None
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("account_move", WD, 7))
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("account_move", WD - datetime.timedelta(days=1), 99))
    assert wh.get_watermark(conn, SCHEMAS, "account_move") == wh.Watermark("account_move", WD, 7)
    with pytest.raises(ConfigurationError):
        wh.get_watermark(conn, SCHEMAS, "sale_order")


def test_watermark_read_from_moves_forward_even_without_changes(conn: psycopg2.extensions.connection) -> None:
    hour = datetime.timedelta(hours=1)
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("account_tax", WD, 7, read_from=WD + hour))
    # a later run that saw no new record: (write_date, id) stays, where to read from moves on
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("account_tax", WD, 7, read_from=WD + 2 * hour))
    assert wh.get_watermark(conn, SCHEMAS, "account_tax") == wh.Watermark("account_tax", WD, 7, WD + 2 * hour)
    # never backwards: a stale run cannot make the next one skip what it did not see
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("account_tax", WD, 7, read_from=WD))
    assert wh.get_watermark(conn, SCHEMAS, "account_tax").read_from == WD + 2 * hour
    # a watermark without read_from (an earlier version's) keeps it unset
    wh.set_watermark(conn, SCHEMAS, wh.Watermark("hr_expense", WD, 3))
    assert wh.get_watermark(conn, SCHEMAS, "hr_expense").read_from is None


def test_suffixed_schemas_isolate_and_drop(conn: psycopg2.extensions.connection) -> None:
    sandbox = wh.FinanceSchemas(suffix="t1")
    wh.ensure_bronze(conn, sandbox)
    marts.build(conn, sandbox)
    assert bi.create_bi_views(conn, sandbox)[0] == "bi_t1.vat_return_monthly"
    marts.build(conn, sandbox)  # the views over gold do not block a rebuild
    bi.create_bi_views(conn, sandbox)
    wh.drop_schemas(conn, sandbox)
    with pytest.raises(ConfigurationError):
        wh.drop_schemas(conn, SCHEMAS)
    with pytest.raises(ConfigurationError):
        wh.FinanceSchemas(suffix="x; drop")


def test_bi_role_reads_views_only(conn: psycopg2.extensions.connection, scratch_db: str) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    bi.create_bi_views(conn, SCHEMAS)
    bi.provision_bi_role(conn, SCHEMAS, role="ipwb_bi_reader_test", password="pw-test-only")
    conn.commit()
    dsn = psycopg2.extensions.parse_dsn(scratch_db)
    dsn.update(user="ipwb_bi_reader_test", password="pw-test-only")
    reader = psycopg2.connect(**dsn)
    try:
        with reader.cursor() as cur:
            cur.execute("SELECT count(*) FROM bi.vat_return_monthly")
            assert cur.fetchone()[0] > 0
        reader.rollback()
        with reader.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT count(*) FROM gold.fin_vat_2550m")
    finally:
        reader.close()
        with conn.cursor() as cur:
            cur.execute("DROP OWNED BY ipwb_bi_reader_test")
            cur.execute("DROP ROLE ipwb_bi_reader_test")
        conn.commit()


def test_compare_lists_one_sided_keys() -> None:
    diffs = compare("ewt", {("Q1", "WC158"): Decimal("10")}, {("Q1", "WI010"): Decimal("5")})
    assert [d.key for d in diffs] == [("Q1", "WC158"), ("Q1", "WI010")]
    assert diffs[0].delta == Decimal("-10")


def test_cli_bi_role_then_views_are_granted(
    conn: psycopg2.extensions.connection, scratch_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = "ipwb_bi_reader_cli"
    monkeypatch.setenv("IPWB_TEST_BI_PASSWORD", "pw-cli-test")
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA bi")
    conn.commit()
    args = ["finance", "bi-role", "--dsn", scratch_db, "--role", role]
    assert main(args) == 2  # no bi schema before the first pipeline run
    marts.build(conn, SCHEMAS)
    bi.create_bi_views(conn, SCHEMAS)
    conn.commit()
    assert (
        main(
            [
                "finance",
                "bi-role",
                "--dsn",
                scratch_db,
                "--role",
                role,
                "--password-env",
                "IPWB_TEST_BI_PASSWORD",
            ]
        )
        == 0
    )
    try:
        _load_invoice_and_bill(conn)
        marts.build(conn, SCHEMAS)  # drops and recreates the views: the grant must come back
        bi.create_bi_views(conn, SCHEMAS, role=role)
        conn.commit()
        dsn = psycopg2.extensions.parse_dsn(scratch_db)
        dsn.update(user=role, password="pw-cli-test")
        reader = psycopg2.connect(**dsn)
        with reader.cursor() as cur:
            cur.execute("SELECT count(*) FROM bi.summary_list_sales")
            assert cur.fetchone()[0] == 1
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cur.execute("CREATE TABLE bi.x (a int)")
        reader.close()
        monkeypatch.delenv("IPWB_TEST_BI_PASSWORD")
        assert (
            main(["finance", "bi-role", "--dsn", scratch_db, "--password-env", "IPWB_TEST_BI_PASSWORD"]) == 2
        )
    finally:
        with conn.cursor() as cur:
            cur.execute(
                psycopg2.sql.SQL("DROP OWNED BY {0}; DROP ROLE {0}").format(psycopg2.sql.Identifier(role))
            )
        conn.commit()


def test_staged_gold_is_published_only_when_asked(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    marts.build(conn, SCHEMAS)
    bi.create_bi_views(conn, SCHEMAS)
    conn.commit()
    published = marts.fingerprints(conn, SCHEMAS, layers=("gold",))
    # a new invoice: silver and the staged gold see it, published gold does not yet
    invoice = wh.SourceRow(300, WD, _move(300, "out_invoice", "2025-03-05", 10))
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice])
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [wh.SourceRow(
        3001, WD, _line(3001, 300, -50.0, tax_ids=[1], tax_tag_invert=True, tax_tags=[{"name": "+31A"}]),
        parent_version=invoice.version)])  # fmt: skip
    marts.build_silver(conn, SCHEMAS)
    staged = SCHEMAS.staged()
    assert staged.gold == "gold_stage" and staged.silver == "silver"
    marts.build_gold(conn, staged)
    assert marts.fingerprints(conn, SCHEMAS, layers=("gold",)) == published
    march = marts.gold_vat_lines(conn, staged, datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))
    assert march[(1, "2025-03", "31", "tax_base")] == Decimal("50.00")
    counts = marts.publish_gold(conn, staged)
    bi.create_bi_views(conn, SCHEMAS)
    conn.commit()
    assert counts["gold.fin_vat_2550m"] > 0
    assert marts.fingerprints(conn, SCHEMAS, layers=("gold",)) != published
    assert marts.gold_vat_lines(conn, SCHEMAS, datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)) == march
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'gold_stage'")
        assert cur.fetchone() == (0,)
    # nothing staged: publishing fails clearly and leaves gold as it is
    with pytest.raises(WarehouseError, match="Publishing gold failed"):
        marts.publish_gold(conn, staged)
    conn.rollback()
    assert marts.gold_vat_lines(conn, SCHEMAS, datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)) == march
    # the domain's own tables can be dropped, the shared schemas stay
    marts.drop_domain_tables(conn, SCHEMAS)
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname IN ('bronze', 'silver', 'gold')")
        assert cur.fetchone() == (0,)
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN ('bronze', 'silver', 'gold', 'bi')")
        assert cur.fetchone() == (4,)


def test_gold_is_per_company(conn: psycopg2.extensions.connection) -> None:
    _load_invoice_and_bill(conn)
    invoice = wh.SourceRow(400, WD, _move(400, "out_invoice", "2025-01-20", 10, company=2))
    wh.upsert_rows(conn, SCHEMAS, "account_move", [invoice])
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", [wh.SourceRow(
        4001, WD, _line(4001, 400, -300.0, tax_ids=[1], tax_tag_invert=True, tax_tags=[{"name": "+31A"}]),
        parent_version=invoice.version)])  # fmt: skip
    marts.build(conn, SCHEMAS)
    vat = marts.gold_vat_lines(conn, SCHEMAS, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    assert vat[(1, "2025-01", "31", "tax_base")] == Decimal("1000.00")
    assert vat[(2, "2025-01", "31", "tax_base")] == Decimal("300.00")
    query = "SELECT company_id, company_name, company_tin, tax_base FROM gold.fin_vat_2550q"
    query += " WHERE line_code = '31'"
    rows = marts.fetch_dicts(conn, psycopg2.sql.SQL(query + " ORDER BY company_id"))
    assert [tuple(r.values()) for r in rows] == [
        (1, "PH Books Inc.", "123456789", Decimal("1000.00")),
        (2, "PH Branch Co.", "987654321", Decimal("300.00")),
    ]
