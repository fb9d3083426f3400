"""specs/dbt, the project behind the example pipeline's dbt step, builds for real: the mart
the step selects has exactly the columns (and types) its table spec documents, with the
figures of the silver rows, and its dbt tests run."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import yaml

from ipwb.pipeline.dbtstep import run_dbt
from ipwb.warehouse.connection import WarehouseConfig

SPECS = Path(__file__).resolve().parents[2] / "specs"
SILVER = """
CREATE SCHEMA silver; CREATE SCHEMA gold;
CREATE TABLE silver.silver_sales (sale_id text PRIMARY KEY, store_code text, sale_date date,
    customer_tin text, net_amount numeric(14, 2), vat_amount numeric(14, 2));
INSERT INTO silver.silver_sales VALUES
  ('R1-1', 'MNL', '2026-01-05', NULL, 100.00, 12.00),
  ('R1-2', 'MNL', '2026-01-05', NULL, 50.00, 6.00),
  ('R2-1', 'MNL', '2026-01-05', '123-456-789-000', 10.00, 1.20),
  ('R3-1', 'CEB', '2026-01-05', NULL, 7.50, 0.90);
"""


def test_example_pipeline_dbt_step_builds_the_documented_mart(scratch_db: str) -> None:
    pipeline = yaml.safe_load((SPECS / "pipelines" / "example_daily_sales.yaml").read_text(encoding="utf-8"))
    (step,) = [s for s in pipeline["steps"] if s["kind"] == "dbt"]
    conn = psycopg2.connect(scratch_db)
    with conn, conn.cursor() as cur:
        cur.execute(SILVER)
    config = step["config"]
    project = SPECS / config.get("project", "dbt")
    warehouse = WarehouseConfig.from_dsn(scratch_db)
    result = run_dbt(project, warehouse, command=config["command"], select=config["select"])
    assert {n.unique_id.split(".")[2]: n.status for n in result.nodes} == {
        "gold_daily_sales": "success",
        "not_null_gold_daily_sales_sale_date": "pass",
        "not_null_gold_daily_sales_store_code": "pass",
        "not_null_gold_daily_sales_net_sales": "pass",
    }
    spec = yaml.safe_load((SPECS / "tables" / "gold" / "gold_daily_sales.yaml").read_text(encoding="utf-8"))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c"
                " JOIN pg_attribute a ON a.attrelid = 'gold.gold_daily_sales'::regclass"
                " AND a.attname = c.column_name"
                " WHERE table_schema = 'gold' AND table_name = 'gold_daily_sales'"
                " ORDER BY ordinal_position"
            )
            columns = cur.fetchall()
            cur.execute(
                "SELECT store_code, net_sales::text, output_vat::text, receipts FROM gold.gold_daily_sales"
                " ORDER BY store_code"
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    types = {"numeric(16, 2)": "numeric(16,2)", "text": "text", "date": "date", "integer": "integer"}
    assert columns == [(c["name"], types[c["type"]]) for c in spec["columns"]]
    assert rows == [("CEB", "7.50", "0.90", 1), ("MNL", "160.00", "19.20", 2)]
