"""The finance domain's contracts agree: gold tables ⇄ table specs ⇄ bi views ⇄ Superset datasets."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import yaml

from ipwb.finance import marts
from ipwb.finance import warehouse as wh
from ipwb.specs import validate_paths

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
SUPERSET = ROOT / "addons" / "ipwb_finance_bir" / "data" / "superset"


def _spec_columns(table: str) -> list[str]:
    spec = yaml.safe_load((SPECS / "tables" / "finance" / f"{table}.yaml").read_text(encoding="utf-8"))
    return [c["name"] for c in spec["columns"]]


def test_finance_specs_validate() -> None:
    report = validate_paths([SPECS / "domains" / "finance_bir.yaml", SPECS / "pipelines" / "finance_bir.yaml",
                             SPECS / "tables" / "finance"])  # fmt: skip
    assert report.ok, report.problems
    domain = yaml.safe_load((SPECS / "domains" / "finance_bir.yaml").read_text(encoding="utf-8"))
    assert sorted(domain["tables"]) == sorted(f"gold.{t}" for t in wh.GOLD_TABLES)
    # the step that publishes gold declares every gold table, so the pipeline's Guardian gate sees them
    pipeline = yaml.safe_load((SPECS / "pipelines" / "finance_bir.yaml").read_text(encoding="utf-8"))
    declared = [t for step in pipeline["steps"] for t in step.get("config", {}).get("targets", [])]
    assert sorted(declared) == sorted(domain["tables"])


def test_gold_tables_have_the_columns_their_specs_document(scratch_db: str) -> None:
    conn = psycopg2.connect(scratch_db)
    try:
        wh.ensure_bronze(conn, wh.FinanceSchemas())
        marts.build(conn, wh.FinanceSchemas())
        with conn.cursor() as cur:
            for table in wh.GOLD_TABLES:
                cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'gold'"
                    " AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
                assert [r[0] for r in cur.fetchall()] == _spec_columns(table), table
    finally:
        conn.close()


def test_superset_datasets_read_bi_views_with_the_gold_columns() -> None:
    datasets = sorted((SUPERSET / "datasets").rglob("*.yaml"))
    assert datasets
    uuids = set()
    for path in datasets:
        dataset = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert dataset["schema"] == "bi"
        gold = wh.BI_VIEWS[dataset["table_name"]]
        physical = [c["column_name"] for c in dataset["columns"] if not c["expression"]]
        assert physical == _spec_columns(gold), path.name
        uuids.add(dataset["uuid"])
    for path in (SUPERSET / "charts").glob("*.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["dataset_uuid"] in uuids, path.name
