"""The new-domain template: generated specs validate, checks load, SQL runs bronze → gold."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import psycopg2
import pytest
import yaml

from ipwb.errors import ConfigurationError, SpecError
from ipwb.finance import odoo_source
from ipwb.finance.scaffold import SourceField, SourceModel, scaffold
from ipwb.finance.warehouse import SourceRow, Watermark
from ipwb.guardian.checks import checks_from_data
from ipwb.specs import dumps, load_file, validate_paths

ORDERS = SourceModel(
    "sale.order",
    (
        SourceField("name", "char", required=True),
        SourceField("date_order", "datetime", required=True),
        SourceField("partner_id", "many2one"),
        SourceField("amount_total", "monetary"),
        SourceField("state", "selection"),
    ),
)
TEAMS = SourceModel("crm.team", (SourceField("name", "char"),))


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_generated_specs_validate(tmp_path: Path) -> None:
    files = scaffold("sales_orders", "sales-analytics", [ORDERS, TEAMS])
    assert "pipelines/sales_orders.yaml" in files
    assert "tables/sales_orders/sales_orders_sale_order_monthly.yaml" in files
    _write(tmp_path, files)
    for name, text in files.items():  # specs come out in the stable format of `ipwb spec`
        if name.split("/")[0] in ("domains", "pipelines", "tables"):
            assert dumps(load_file(tmp_path / name)) == text, name
    report = validate_paths([tmp_path])
    assert report.ok, report.problems
    assert len(report.files) == 2 + 4  # domain, pipeline, 2 silver + 2 gold tables
    checks = checks_from_data(yaml.safe_load(files["checks/sales_orders.yaml"]))
    assert {c.check_type for c in checks} == {"not_null", "unique", "freshness"}


def test_generated_sql_runs_bronze_to_gold(scratch_db: str) -> None:
    files = scaffold("sales_orders", "sales-analytics", [ORDERS])
    conn = psycopg2.connect(scratch_db)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE SCHEMA bronze; CREATE SCHEMA silver; CREATE SCHEMA gold")
            cur.execute(files["sql/sales_orders/bronze_sale_order.sql"])
            for source_id, version, total, deleted in ((1, "a", 100, False), (1, "b", 150, False),
                                                       (2, "a", 40, False), (3, "a", 5, True)):  # fmt: skip
                payload = {
                    "name": f"S{source_id}",
                    "date_order": "2025-03-04 10:00:00",
                    "amount_total": total,
                }
                cur.execute(
                    "INSERT INTO bronze.sales_orders_sale_order (source_id, version, is_deleted, payload)"
                    " VALUES (%s, %s, %s, %s)",
                    (source_id, version, deleted, json.dumps(payload)),
                )
            cur.execute(files["sql/sales_orders/silver_sale_order.sql"])
            cur.execute(files["sql/sales_orders/gold_sale_order_monthly.sql"])
            cur.execute(
                "SELECT period_month::text, records, amount_total_total"
                " FROM gold.sales_orders_sale_order_monthly"
            )
            assert cur.fetchall() == [("2025-03-01", 2, 190)]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("domain", "owner", "models", "expected"),
    [
        ("Sales Orders", "x", [ORDERS], "domain name"),
        ("sales", "", [ORDERS], "owner"),
        ("sales", "x", [], "at least one model"),
        ("sales", "x", [SourceModel("sale.order", ())], "at least one field"),
        ("sales", "x", [SourceModel("sale.order", (SourceField("tags", "many2many"),))], "not supported"),
        (
            "sales",
            "x",
            [SourceModel("sale.order", (SourceField("x; drop", "char"),))],
            "not a storable field",
        ),
        ("sales", "x", [SourceModel("Robert'); --", (SourceField("name", "char"),))], "not an Odoo model"),
    ],
)
def test_bad_input_is_refused_with_every_problem(
    domain: str, owner: str, models: list[SourceModel], expected: str
) -> None:
    with pytest.raises(SpecError) as caught:
        scaffold(domain, owner, models)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_pipeline_starts_with_the_odoo_extraction() -> None:
    files = scaffold("sales_orders", "sales-analytics", [ORDERS])
    spec = yaml.safe_load(files["pipelines/sales_orders.yaml"])
    first = spec["steps"][0]
    assert (first["id"], first["kind"]) == ("extract_sale_order", "odoo_extract")
    assert first["config"]["model"] == "sale.order"
    assert first["config"]["target"] == "bronze.sales_orders_sale_order"
    assert spec["steps"][1]["depends_on"] == ["extract_sale_order"]


def test_odoo_source_loads_versions_once_and_tombstones(scratch_db: str) -> None:
    target = "bronze.sales_orders_sale_order"
    day = datetime.datetime(2025, 3, 4, 10, 0)
    rows = [SourceRow(1, day, {"name": "S1"}), SourceRow(2, day, {"name": "S2"})]
    conn = psycopg2.connect(scratch_db)
    try:
        odoo_source.ensure_table(conn, target)
        odoo_source.ensure_table(conn, target)  # idempotent
        assert odoo_source.upsert_rows(conn, target, rows) == 2
        assert odoo_source.upsert_rows(conn, target, rows) == 0
        assert odoo_source.upsert_rows(conn, target, [SourceRow(1, day, {"name": "S1 bis"})]) == 1
        assert odoo_source.upsert_rows(conn, target, [SourceRow(2, None, {"id": 2}, deleted=True)]) == 1
        assert odoo_source.live_ids(conn, target) == {1}
        odoo_source.set_watermark(conn, target, day, 2)
        odoo_source.set_watermark(conn, target, day - datetime.timedelta(days=1), 9)  # never backwards
        assert odoo_source.get_watermark(conn, target) == Watermark(target, day, 2)
        with pytest.raises(ConfigurationError):
            odoo_source.ensure_table(conn, "silver.not_bronze")
    finally:
        conn.close()
