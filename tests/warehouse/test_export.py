"""Streaming CSV/XLSX export: full result up to the cap, contents faithful, refusals."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from ipwb.errors import ConfigurationError, QueryRefused
from ipwb.sql.classify import StatementRefused
from ipwb.warehouse.export import export_csv, export_xlsx

from .conftest import Warehouse

SERIES = "SELECT g AS n, 'row ' || g AS label, g * 0.5 AS half FROM generate_series(1, 2500) AS g ORDER BY g"


def test_csv_streams_every_row_in_batches(warehouse: Warehouse) -> None:
    out = io.StringIO()
    result = export_csv(warehouse.reader, SERIES, out, batch_rows=300)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["n", "label", "half"]
    assert len(rows) == 2501 and result.rows == 2500 and not result.truncated
    assert rows[1] == ["1", "row 1", "0.5"] and rows[-1] == ["2500", "row 2500", "1250.0"]


def test_csv_cap_truncates(warehouse: Warehouse) -> None:
    out = io.StringIO()
    result = export_csv(warehouse.reader, SERIES, out, max_rows=1000, batch_rows=128)
    assert result.rows == 1000 and result.truncated
    assert len(out.getvalue().splitlines()) == 1001


def test_csv_quotes_and_parameters(warehouse: Warehouse) -> None:
    out = io.StringIO()
    export_csv(
        warehouse.reader, "SELECT owner, balance FROM accounts WHERE owner = {{o}}", out, {"o": "O'Brien"}
    )
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["owner", "balance"], ["O'Brien", "7.00"]]


def test_xlsx_contents_types_and_no_formulas(warehouse: Warehouse) -> None:
    out = io.BytesIO()
    query = (
        "SELECT g AS n, '=1+1' AS text, g * 0.25 AS amount, DATE '2024-01-31' AS day"
        " FROM generate_series(1, 1200) g"
    )
    result = export_xlsx(warehouse.reader, query, out, batch_rows=500)
    assert result.rows == 1200 and not result.truncated
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("n", "text", "amount", "day")
    assert len(rows) == 1201
    assert rows[1][:3] == (1, "=1+1", 0.25)
    assert rows[1][3].date().isoformat() == "2024-01-31"


def test_xlsx_cap(warehouse: Warehouse) -> None:
    out = io.BytesIO()
    assert export_xlsx(warehouse.reader, SERIES, out, max_rows=10).truncated
    with pytest.raises(ConfigurationError):
        export_xlsx(warehouse.reader, SERIES, io.BytesIO(), max_rows=2_000_000)


def test_export_refuses_non_queries_and_hostile_sql(warehouse: Warehouse) -> None:
    with pytest.raises(QueryRefused, match="Only queries"):
        export_csv(warehouse.reader, "SHOW search_path", io.StringIO())
    with pytest.raises(StatementRefused):
        export_csv(
            warehouse.reader, "WITH d AS (DELETE FROM sentinel RETURNING *) SELECT * FROM d", io.StringIO()
        )
