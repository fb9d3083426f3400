"""The pipeline's dbt step runtime (subprocess dbt) for real, and lineage from the manifest it
leaves behind: table edges from ``depends_on`` (through an ephemeral model), column edges
from compiled SQL, the failed nodes named when a dbt test fails, and a clear message for a
malformed project."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from ipwb.dbt import DbtModel, generate_project, load_manifest, manifest_lineage
from ipwb.errors import ConfigurationError, SpecError
from ipwb.guardian.checks import CheckSpec
from ipwb.pipeline.dbtstep import DbtStepError, run_dbt
from ipwb.testing.warehouse import seeded_warehouse
from ipwb.warehouse.connection import WarehouseConfig

SETUP = """
CREATE SCHEMA bronze; CREATE SCHEMA silver; CREATE SCHEMA gold;
CREATE TABLE bronze.bronze_orders (order_id int, customer text, amount numeric, ordered_on date);
INSERT INTO bronze.bronze_orders VALUES
  (1, 'a', 10, '2026-01-01'), (2, 'b', 5, '2026-01-01'),
  (3, 'c', 7, '2026-01-02'), (4, 'd', NULL, '2026-01-02');
"""
MODELS = [
    DbtModel(
        "silver_valid_orders",
        "silver",
        "select order_id, customer, amount, ordered_on from {{ source('bronze', 'bronze_orders') }} "
        "where amount is not null",
        materialized="ephemeral",
        sources=("bronze.bronze_orders",),
    ),
    DbtModel(
        "silver_orders",
        "silver",
        "select order_id, upper(customer) as customer, amount, ordered_on "
        "from {{ ref('silver_valid_orders') }}",
    ),
    DbtModel(
        "gold_daily_orders",
        "gold",
        "select ordered_on, count(*) as orders, sum(amount) as total_amount "
        "from {{ ref('silver_orders') }} group by ordered_on",
    ),
]
CHECKS = [CheckSpec("customer set", "silver.silver_orders", "not_null", "customer")]


@pytest.fixture
def warehouse(scratch_db: str) -> Iterator[WarehouseConfig]:
    yield seeded_warehouse(scratch_db, SETUP)


def _rows(config: WarehouseConfig, sql: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(**config.connect_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def test_dbt_step_builds_and_its_manifest_gives_lineage(warehouse: WarehouseConfig, tmp_path: Path) -> None:
    project = generate_project(tmp_path / "proj", models=MODELS, checks=CHECKS, name="ipwb_orders")
    result = run_dbt(project.path, warehouse, command="build", select="+gold_daily_orders")
    assert _rows(
        warehouse, "select ordered_on::text, orders, total_amount from gold.gold_daily_orders order by 1"
    ) == [
        ("2026-01-01", 2, 15),
        ("2026-01-02", 1, 7),
    ]
    assert result.rows_affected == 3 + 2  # silver_orders + gold_daily_orders (tests write nothing)
    assert set(result.built) == {"model.ipwb_orders.silver_orders", "model.ipwb_orders.gold_daily_orders"}
    assert "PASS=" in result.log and result.manifest is not None
    assert not list(project.path.glob("target")), "artifacts stay in the step's temporary directory"

    lineage = manifest_lineage(result.manifest)
    assert {(e.source, e.target) for e in lineage.tables} == {
        ("bronze.bronze_orders", "silver.silver_orders"),  # through the ephemeral model
        ("silver.silver_orders", "gold.gold_daily_orders"),
    }
    columns = {
        (e.source_table, e.source_column, e.target_table, e.target_column, e.kind) for e in lineage.columns
    }
    assert ("bronze.bronze_orders", "customer", "silver.silver_orders", "customer", "derived") in columns
    assert ("bronze.bronze_orders", "amount", "silver.silver_orders", None, "filter") in columns
    assert (
        "silver.silver_orders",
        "amount",
        "gold.gold_daily_orders",
        "total_amount",
        "aggregate",
    ) in columns
    assert all(e.source_table.count(".") == 1 for e in lineage.columns), "database part dropped"

    only_gold = manifest_lineage(result.manifest, only={"model.ipwb_orders.gold_daily_orders"}, columns=False)
    assert [(e.source, e.target) for e in only_gold.tables] == [
        ("silver.silver_orders", "gold.gold_daily_orders")
    ]
    assert only_gold.columns == ()

    saved = tmp_path / "manifest.json"
    saved.write_text(json.dumps(result.manifest), encoding="utf-8")
    assert manifest_lineage(saved) == lineage


def test_failing_dbt_test_and_malformed_project(warehouse: WarehouseConfig, tmp_path: Path) -> None:
    project = generate_project(tmp_path / "proj", models=MODELS, checks=CHECKS, name="ipwb_orders")
    conn = psycopg2.connect(**warehouse.connect_kwargs())
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO bronze.bronze_orders VALUES (5, NULL, 3, '2026-01-03')")
    conn.close()
    with pytest.raises(DbtStepError) as failed:
        run_dbt(project.path, warehouse, command="build")
    message = str(failed.value)
    assert "guardian_customer_set (fail" in message, message
    statuses = {n.unique_id.split(".")[2]: n.status for n in failed.value.nodes}
    assert statuses["silver_orders"] == "success"
    assert statuses["gold_daily_orders"] == "skipped"  # downstream of the failed test
    assert "Got 1 result" in failed.value.log

    (project.path / "models" / "gold_daily_orders.sql").write_text("select * from {{ ref('nowhere') }}\n")
    with pytest.raises(DbtStepError, match=r"Compilation Error: .*nowhere.* was not found"):
        run_dbt(project.path, warehouse, command="build")
    (project.path / "dbt_project.yml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DbtStepError, match=r"exit 2\): .*Syntax error near line 2"):
        run_dbt(project.path, warehouse, command="run")
    with pytest.raises(ConfigurationError, match="not a dbt project"):
        run_dbt(tmp_path, warehouse, command="build")


def test_bad_manifests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_manifest(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError, match="not JSON"):
        load_manifest(tmp_path / "bad.json")
    with pytest.raises(SpecError, match="no `nodes`"):
        manifest_lineage({"sources": {}})
    broken = {
        "nodes": {
            "model.p.m": {
                "resource_type": "model",
                "name": "m",
                "schema": "silver",
                "alias": "m",
                "depends_on": {"nodes": ["source.p.bronze.t"]},
                "compiled_code": "select from where (",
            }
        },
        "sources": {"source.p.bronze.t": {"name": "t", "schema": "bronze", "identifier": "t"}},
    }
    lineage = manifest_lineage(broken)
    assert [(e.source, e.target) for e in lineage.tables] == [("bronze.t", "silver.m")]
    assert [i.kind for i in lineage.issues] == ["partial"]
