"""The CSV export written by PostgreSQL (guarded ``COPY (query) TO STDOUT``): the user's query
stays one read-only statement, the cap counts records (not lines), values are PostgreSQL's text."""

from __future__ import annotations

import csv
import io

import pytest

from ipwb.errors import IpwbError
from ipwb.sql.classify import StatementRefused
from ipwb.warehouse.export import export_csv

from .conftest import Warehouse


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_trailing_semicolon_and_comment_keep_one_statement(warehouse: Warehouse) -> None:
    for query in ("SELECT 1 AS a;", "SELECT 1 AS a -- the end", "SELECT 1 AS a;  \n"):
        out = io.StringIO()
        result = export_csv(warehouse.reader, query, out)
        assert (result.rows, result.truncated, rows_of(out.getvalue())) == (1, False, [["a"], ["1"]])


def test_cap_counts_records_with_embedded_newlines(warehouse: Warehouse) -> None:
    query = (
        "SELECT g AS n, 'line 1' || chr(10) || 'line ' || g AS note "
        "FROM generate_series(1, 30) AS g ORDER BY g"
    )
    out = io.StringIO()
    result = export_csv(warehouse.reader, query, out, max_rows=10)
    rows = rows_of(out.getvalue())
    assert (result.rows, result.truncated, len(rows)) == (10, True, 11)
    assert rows[10] == ["10", "line 1\nline 10"]
    exact = io.StringIO()
    assert not export_csv(warehouse.reader, query, exact, max_rows=30).truncated
    no_header = io.StringIO()
    assert export_csv(warehouse.reader, query, no_header, max_rows=5, header=False).rows == 5
    assert len(rows_of(no_header.getvalue())) == 5


def test_values_are_postgresql_text(warehouse: Warehouse) -> None:
    out = io.StringIO()
    export_csv(
        warehouse.reader,
        "SELECT true AS b, ARRAY[1, 2] AS arr, NULL::text AS nothing, 7 % 4 AS m, "
        "TIMESTAMPTZ '2025-01-01 00:00:01+00' AT TIME ZONE 'UTC' AS at",
        out,
    )
    assert rows_of(out.getvalue())[1] == ["t", "{1,2}", "", "3", "2025-01-01 00:00:01"]


def test_a_second_statement_cannot_ride_on_the_wrapper(warehouse: Warehouse) -> None:
    for hostile in (
        "SELECT 1) TO STDOUT; SELECT (1",
        "SELECT 1 AS a) AS x; COPY sentinel TO STDOUT; SELECT * FROM (SELECT 1",
    ):
        with pytest.raises(StatementRefused):
            export_csv(warehouse.reader, hostile, io.StringIO())
    # a parenthesis inside a literal is only a character
    out = io.StringIO()
    export_csv(warehouse.reader, "SELECT $$ ) x $$ AS d, ') y' AS e", out)
    assert rows_of(out.getvalue())[1] == [" ) x ", ") y"]


def test_the_reader_role_applies(warehouse: Warehouse) -> None:
    with pytest.raises(IpwbError):
        export_csv(warehouse.reader, "SELECT * FROM pg_authid", io.StringIO())
