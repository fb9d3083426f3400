"""Engine tier: BIR data files byte for byte against fixtures written from the published
layouts, form lines, refusals, and the filings read from a real gold build."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest

from ipwb.errors import FilingError
from ipwb.finance import marts
from ipwb.finance import warehouse as wh
from ipwb.finance.filings import Period, dat, forms, generate
from ipwb.finance.filings.identity import Filer, Taxpayer, split_tin

FIXTURES = Path(__file__).parent / "fixtures" / "filings"
Q1 = Period(2025, 1)
D = Decimal

FILER = Filer(
    tin="123456789",
    branch="0000",
    registered_name="InsightPulse Demo PH Inc.",
    address="12 Ayala Ave, Makati City, Metro Manila",
    rdo_code="050",
)
ACME = Taxpayer("987654321", "0000", registered_name="Acme Supplies Corp", address="5 Rizal St, Cebu City")
JUAN = Taxpayer("111222333", "0001", last_name="Dela Cruz", first_name="Juan", middle_name="Santos")


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _fields(record: str) -> list[str]:
    return next(csv.reader([record]))


def test_qap_matches_the_fixture_byte_for_byte() -> None:
    rows = [
        dat.WithholdingRow(ACME, "WC158", D("1.0000"), D("20000"), D("200")),
        dat.WithholdingRow(JUAN, "WI010", D("5"), D("3000.004"), D("150")),
    ]
    file = dat.qap_dat(FILER, Q1, rows)
    assert file.name == "12345678900000320251601EQ.DAT"
    assert file.content == _fixture(file.name)
    records = file.records
    assert [len(_fields(r)) for r in records] == [7, 14, 14, 7]
    assert (file.details, records[0][:4], records[-1][:2]) == (2, "HQAP", "C1")
    control = _fields(records[-1])
    details = [_fields(r) for r in records[1:-1]]
    assert D(control[5]) == sum(D(d[12]) for d in details) == file.totals["income_payment"]
    assert D(control[6]) == sum(D(d[13]) for d in details) == file.totals["tax_withheld"]


def test_sawt_matches_the_fixture_and_names_the_return() -> None:
    file = dat.sawt_dat(FILER, Q1, [dat.WithholdingRow(ACME, "WC158", D(1), D(5000), D(50))])
    assert file.name == "12345678900000320252550Q.DAT"
    assert file.content == _fixture(file.name)
    assert [len(_fields(r)) for r in file.records] == [10, 15, 7]
    assert dat.sawt_dat(FILER, Q1, [], form="1702Q").name.endswith("1702Q.DAT")
    with pytest.raises(FilingError, match="SAWT is attached to"):
        dat.sawt_dat(FILER, Q1, [], form="9999X")


def test_slsp_sales_and_purchases_match_the_fixtures() -> None:
    sales = dat.slsp_sales_dat(
        FILER,
        Q1,
        [
            dat.SalesRow(ACME, D(0), D(0), D(5000), D(600)),
            dat.SalesRow(JUAN, D(700), D(2000), D(10000), D(1200)),
        ],
    )
    assert sales.name == "123456789S032025.DAT"
    assert sales.content == _fixture(sales.name)
    assert [len(_fields(r)) for r in sales.records] == [17, 15, 15]
    header = _fields(sales.records[0])
    for index, column in zip(range(10, 14), range(9, 13), strict=True):
        assert D(header[index]) == sum(D(_fields(r)[column]) for r in sales.records[1:])
    purchases = dat.slsp_purchases_dat(
        FILER,
        Q1,
        [
            dat.PurchaseRow(ACME, D(0), D(0), D(0), D(0), D(20000), D(2400)),
            dat.PurchaseRow(JUAN, D(0), D(0), D(4500), D(0), D(0), D(540)),
        ],
    )
    assert purchases.name == "123456789P032025.DAT"
    assert purchases.content == _fixture(purchases.name)
    assert [len(_fields(r)) for r in purchases.records] == [21, 17, 17]
    assert purchases.totals["input_tax"] == D("2940.00")


def test_text_is_cleaned_to_the_ascii_the_modules_accept() -> None:
    odd = Taxpayer("987654321", "0000", registered_name='Niño "Quoted",\nCorp ' + "x" * 80)
    file = dat.qap_dat(FILER, Q1, [dat.WithholdingRow(odd, "wc158", D(1), D(1), D(0))])
    detail = file.records[1]
    name = _fields(detail)[5]
    assert name.startswith("NINO QUOTED, CORP X") and len(name) == 50
    assert _fields(detail)[10] == "WC158"
    assert detail.count('"') == 2


def test_refusals_are_clear() -> None:
    with pytest.raises(FilingError, match="RDO code"):
        dat.qap_dat(Filer("123456789", "0000", "Co", rdo_code=""), Q1, [])
    with pytest.raises(FilingError, match="no valid TIN"):
        dat.qap_dat(Filer("", "0000", "Co", rdo_code="050"), Q1, [])
    with pytest.raises(FilingError, match="without a valid 9-digit TIN: Foreign GmbH"):
        dat.qap_dat(
            FILER, Q1, [dat.WithholdingRow(Taxpayer("", "0000", "Foreign GmbH"), "WC158", D(1), D(1), D(0))]
        )
    with pytest.raises(FilingError, match="Malformed TIN"):
        split_tin("DE123456789")
    with pytest.raises(FilingError, match="Malformed TIN"):
        split_tin("1234")
    assert split_tin("123-456-789-001") == ("123456789", "0001")
    with pytest.raises(FilingError, match="Invalid period"):
        Period(2025, 5)
    with pytest.raises(FilingError, match="not in 2025 Q1"):
        Period(2025, 1, 4)


def test_form_lines_and_exports() -> None:
    quarters = {
        "2025-Q1": {"31": (D(1000), D(120)), "42": (D(5000), D(600))},
        "2025-Q2": {"31": (D(10000), D(1200)), "16": (D(0), D(50))},
    }
    q2 = {line.code: line for line in forms.form_2550q(quarters, Period(2025, 2))}
    # Q1 left 480 of excess input tax: carried over to Q2's line 36
    assert q2["36"].amount == D("480.00") and q2["41"].amount == D("480.00")
    assert q2["56"].amount == q2["15"].amount == D("720.00")
    assert q2["21"].amount == D("670.00") and q2["26"].amount == D("670.00")
    assert q2["35"].tax_base == D("10000.00")
    monthly = [
        {
            "month": 1,
            "atc": "WC158",
            "tax_rate": D(1),
            "tax_base": D(1000),
            "tax_withheld": D(10),
            "nature": "x",
        },
        {
            "month": 2,
            "atc": "WC158",
            "tax_rate": D(1),
            "tax_base": D(2000),
            "tax_withheld": D(20),
            "nature": "x",
        },
        {
            "month": 3,
            "atc": "WI010",
            "tax_rate": D(5),
            "tax_base": D(100),
            "tax_withheld": D(5),
            "nature": "y",
        },
    ]
    eq = {line.code: line for line in forms.form_1601eq(monthly)}
    assert (eq["19"].amount, eq["20"].amount, eq["21"].amount, eq["25"].amount) == (D(35), D(10), D(20), D(5))
    assert eq["ATC WC158 1.00%"].tax_base == D(3000)
    feb = {line.code: line for line in forms.form_0619e(monthly, 2)}
    assert feb["14"].amount == feb["18"].amount == D(20)
    text = forms.lines_csv(forms.form_0619e(monthly, 2)).decode()
    assert text.splitlines()[0] == "Line,Description,Tax base,Amount"
    assert "14,Amount of Remittance,,20.00" in text.splitlines()
    book = forms.lines_xlsx("0619E", forms.form_0619e(monthly, 2))
    assert zipfile.ZipFile(io.BytesIO(book)).namelist().count("xl/worksheets/sheet1.xml") == 1


# ------------------------------------------------------------------ from a real gold build

WD = datetime.datetime(2025, 3, 1, 10, 0, 0)
SCHEMAS = wh.FinanceSchemas()


def _load(conn: psycopg2.extensions.connection, rdo: str = "050") -> None:
    company = {
        "id": 1,
        "name": "Demo PH",
        "vat": "123-456-789-00000",
        "branch_code": "000",
        "currency": "PHP",
        "rdo_code": rdo,
        "registered_name": "InsightPulse Demo PH Inc.",
        "address": "12 Ayala Ave, Makati",
    }
    partners = [
        {
            "id": 10,
            "name": "Acme Supplies Corp",
            "vat": "987-654-321-00000",
            "branch_code": "000",
            "is_company": True,
            "commercial_partner_id": 10,
            "country_code": "PH",
            "address": "5 Rizal St, Cebu",
        },
        {
            "id": 11,
            "name": "Juan Dela Cruz",
            "vat": "111-222-333-00001",
            "branch_code": "001",
            "is_company": False,
            "commercial_partner_id": 11,
            "country_code": "PH",
            "last_name": "Dela Cruz",
            "first_name": "Juan",
        },
        {
            "id": 12,
            "name": "Fremd GmbH",
            "vat": "DE123456789",
            "branch_code": "000",
            "is_company": True,
            "commercial_partner_id": 12,
            "country_code": "DE",
        },
    ]
    taxes = [
        {"id": 1, "name": "12% VAT", "amount": 12.0, "amount_type": "percent", "type_tax_use": "purchase",
         "atc": ""},
        {"id": 3, "name": "Rentals 5%", "amount": -5.0, "amount_type": "percent", "type_tax_use": "purchase",
         "atc": "WI100"},
        {"id": 4, "name": "Services 2%", "amount": -2.0, "amount_type": "percent", "type_tax_use": "purchase",
         "atc": "WC158"},
    ]  # fmt: skip
    wh.upsert_rows(conn, SCHEMAS, "res_company", [wh.SourceRow(1, WD, company)])
    wh.upsert_rows(conn, SCHEMAS, "res_partner", [wh.SourceRow(p["id"], WD, p) for p in partners])  # type: ignore[arg-type]
    wh.upsert_rows(conn, SCHEMAS, "account_tax", [wh.SourceRow(t["id"], WD, t) for t in taxes])  # type: ignore[arg-type]
    moves, lines = [], []
    bills = (
        (100, 10, "2025-01-15", 4, 20000),
        (101, 11, "2025-02-10", 3, 3000),
        (102, 10, "2025-03-05", 4, 1000),
    )
    for mid, partner, day, tax, base in bills:
        move = {
            "id": mid,
            "name": f"BILL{mid}",
            "company_id": 1,
            "move_type": "in_invoice",
            "state": "posted",
            "date": day,
            "invoice_date": day,
            "partner_id": partner,
            "commercial_partner_id": partner,
        }
        row = wh.SourceRow(mid, WD, move)
        moves.append(row)
        withheld = -base * 2 // 100 if tax == 4 else -base * 5 // 100
        for lid, payload in (
            (mid * 10, {"balance": base, "tax_ids": [1, tax], "tax_tags": [{"name": "+42A"}]}),
            (mid * 10 + 1, {"balance": base * 12 // 100, "tax_line_id": 1, "tax_tags": [{"name": "+42B"}]}),
            (mid * 10 + 2, {"balance": withheld, "tax_line_id": tax}),
        ):
            lines.append(
                wh.SourceRow(lid, WD, {"id": lid, "move_id": mid, **payload}, parent_version=row.version)
            )
    wh.upsert_rows(conn, SCHEMAS, "account_move", moves)
    wh.upsert_rows(conn, SCHEMAS, "account_move_line", lines)
    marts.build(conn, SCHEMAS)
    conn.commit()


def test_filings_from_gold(conn: psycopg2.extensions.connection) -> None:
    _load(conn)
    qap = generate(conn, SCHEMAS, 1, "qap", Q1)
    dat_file = qap.artifacts[0]
    assert dat_file.name == "12345678900000320251601EQ.DAT"
    records = dat_file.content.decode("ascii").split("\r\n")[:-1]
    assert len(records) == 2 + qap.details == 4
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), sum(income_payment), sum(tax_withheld) FROM gold.fin_qap"
            " WHERE quarter = '2025-Q1'"
        )
        count, income, withheld = cur.fetchone()
    assert qap.details == count
    assert (qap.totals["income_payment"], qap.totals["tax_withheld"]) == (income, withheld)
    juan = next(_fields(r) for r in records if "111222333" in r)
    assert juan[4:9] == ["0001", "", "DELA CRUZ", "JUAN", ""]
    purchases = generate(conn, SCHEMAS, 1, "slsp_purchases", Q1)
    assert purchases.totals["other_goods"] == D("24000.00")
    eq = generate(conn, SCHEMAS, 1, "1601eq", Q1).totals
    assert eq["19"] == withheld and eq["20"] == D("400.00") and eq["21"] == D("150.00")
    feb = generate(conn, SCHEMAS, 1, "0619e", Period.of_month(2025, 2))
    assert feb.totals["14"] == D("150.00") and feb.artifacts[0].name == "1234567890000_0619E_2025-02.csv"
    with conn.cursor() as cur:
        cur.execute(
            "SELECT tin, is_foreign_vat, foreign_vat_number FROM gold.fin_payees WHERE partner_id = 12"
        )
        assert cur.fetchone() == ("", True, "DE123456789")
        cur.execute("SELECT tin_branch, rdo_code FROM gold.fin_filers")
        assert cur.fetchone() == ("1234567890000", "050")


def test_filings_refuse_bad_periods_and_filers(conn: psycopg2.extensions.connection) -> None:
    _load(conn, rdo="")
    with pytest.raises(FilingError, match="no valid RDO code"):
        generate(conn, SCHEMAS, 1, "qap", Q1)
    _load(conn)
    with pytest.raises(FilingError, match="2024-Q4 is outside the published data"):
        generate(conn, SCHEMAS, 1, "qap", Period(2024, 4))
    with pytest.raises(FilingError, match="not in the published gold"):
        generate(conn, SCHEMAS, 99, "qap", Q1)
    with pytest.raises(FilingError, match="first or second month"):
        generate(conn, SCHEMAS, 1, "0619e", Period.of_month(2025, 3))
    with pytest.raises(FilingError, match="Unknown BIR form"):
        generate(conn, SCHEMAS, 1, "1604e", Q1)
