"""Static validation of generated SQL against the catalog."""

from __future__ import annotations

import pytest

from ipwb.llm.catalog import Catalog
from ipwb.llm.sqlcheck import InvalidSql, check_sql, referenced_tables

CATALOG = Catalog.from_data(
    {
        "tables": [
            {
                "schema": "silver",
                "name": "invoices",
                "columns": [{"name": "invoice_id"}, {"name": "partner_id"}, {"name": "amount_total"}],
                "foreign_keys": [{"columns": ["partner_id"], "references": "silver.partners"}],
            },
            {"schema": "silver", "name": "partners", "columns": [{"name": "partner_id"}, {"name": "tin"}]},
            {"schema": "gold", "name": "partners", "columns": [{"name": "partner_id"}]},
        ]
    }
)


def test_valid_join_returns_tables() -> None:
    checked = check_sql(
        "SELECT p.tin, SUM(i.amount_total) FROM silver.invoices i "
        "JOIN silver.partners p ON p.partner_id = i.partner_id GROUP BY p.tin;",
        CATALOG,
    )
    assert checked.tables == ("silver.invoices", "silver.partners")
    assert not checked.sql.endswith(";")


def test_unqualified_unique_table_is_resolved() -> None:
    assert check_sql("SELECT amount_total FROM invoices", CATALOG).tables == ("silver.invoices",)


def test_cte_and_subquery_are_fine() -> None:
    sql = (
        "WITH t AS (SELECT partner_id, SUM(amount_total) AS s FROM silver.invoices GROUP BY 1) "
        "SELECT t.s FROM t WHERE t.partner_id IN (SELECT partner_id FROM silver.partners)"
    )
    assert check_sql(sql, CATALOG).tables == ("silver.invoices", "silver.partners")


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("SELECT i.total_vat FROM silver.invoices i", "total_vat"),
        ("SELECT bogus FROM silver.invoices", "bogus"),
        ("SELECT * FROM silver.invoice", "unknown table silver.invoice (did you mean invoices"),
        ("SELECT * FROM partners", "ambiguous"),
        ("DELETE FROM silver.invoices", "read-only"),
        ("SELECT 1; SELECT 2", "exactly one"),
        ("SELECT * INTO x FROM silver.invoices", "read-only"),
        ("SELECT * FROM silver.invoices FOR UPDATE", "read-only"),
        ("SELECT pg_sleep(10)", "pg_sleep"),
        ("WITH d AS (DELETE FROM silver.invoices RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELEC amount FROM", "syntax"),
    ],
)
def test_invalid_sql_is_explained(sql: str, fragment: str) -> None:
    with pytest.raises(InvalidSql) as exc:
        check_sql(sql, CATALOG)
    assert fragment in str(exc.value)


def test_unknown_column_message_lists_available_columns() -> None:
    with pytest.raises(InvalidSql) as exc:
        check_sql("SELECT i.total_vat FROM silver.invoices i", CATALOG)
    assert "silver.invoices(invoice_id, partner_id, amount_total)" in str(exc.value)


def test_referenced_tables_excludes_ctes() -> None:
    sql = "WITH x AS (SELECT * FROM silver.invoices) SELECT * FROM x JOIN gold.partners g ON true"
    assert referenced_tables(sql) == {"silver.invoices", "gold.partners"}


def _refused_spellings() -> list[dict[str, str]]:
    from tests.sql.spellings import REFUSED  # noqa: PLC0415 - the guard's corpus, shared

    return [entry for entry in REFUSED if not entry["sql"].startswith("EXPLAIN")]


@pytest.mark.parametrize("entry", _refused_spellings(), ids=lambda entry: entry["id"])
def test_generated_sql_is_refused_under_every_spelling(entry: dict[str, str]) -> None:
    """Genie uses the guard's normalisation and deny list (no list of its own)."""
    with pytest.raises(InvalidSql) as exc:
        check_sql(entry["sql"], CATALOG)
    assert f"[{entry['reason']}]" in str(exc.value) or "exactly one" in str(exc.value)


def test_generated_sql_names_are_read_as_postgresql_reads_them() -> None:
    checked = check_sql('SELECT U&"\\0061mount_total" FROM SILVER.U&"invoic\\0065s"', CATALOG)
    assert checked.tables == ("silver.invoices",)
    assert referenced_tables("SELECT 1 FROM U&\"g!006Fld\" UESCAPE '!'.partners") == {"gold.partners"}
