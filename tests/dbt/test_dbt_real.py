"""dbt for real: a project generated from Guardian checks, `dbt run` + `dbt test` in-process
against a real PostgreSQL database with planted defects; failures counted per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from ipwb.dbt import DbtModel, generate_project, run_dbt
from ipwb.errors import ConfigurationError, SpecError
from ipwb.guardian.checks import CheckSpec
from ipwb.testing.warehouse import seeded_warehouse
from ipwb.warehouse.connection import WarehouseConfig

SETUP = """
CREATE SCHEMA bronze; CREATE SCHEMA silver;
CREATE TABLE bronze.bronze_customers (id int, email text, tier text);
INSERT INTO bronze.bronze_customers VALUES
  (1, 'a@x.ph', 'gold'), (2, NULL, 'silver'), (3, 'c@x.ph', 'bronze'), (3, 'd@x.ph', 'gold'),
  (4, NULL, 'platinum'), (5, 'f@x.ph', 'gold'), (5, 'g@x.ph', 'gold'), (6, NULL, 'silver');
CREATE TABLE bronze.bronze_orders (order_id int, customer_id int);
INSERT INTO bronze.bronze_orders VALUES (1, 1), (2, 2), (3, 42), (4, 43), (5, 44);
"""

MODEL = DbtModel(
    "silver_customers",
    "silver",
    "select id, email, tier from {{ source('bronze', 'bronze_customers') }}",
    description="Customers, as loaded.",
    sources=("bronze.bronze_customers",),
)
CHECKS = [
    CheckSpec("email set", "silver.silver_customers", "not_null", "email"),
    CheckSpec("id unique", "silver.silver_customers", "unique", "id"),
    CheckSpec(
        "tier known",
        "silver.silver_customers",
        "accepted_values",
        "tier",
        params={"values": ["gold", "silver", "bronze"]},
    ),
    CheckSpec(
        "customer exists",
        "bronze.bronze_orders",
        "relationships",
        "customer_id",
        params={"to": "silver.silver_customers", "field": "id"},
    ),
    CheckSpec(
        "no order zero",
        "bronze.bronze_orders",
        "custom_sql",
        params={"sql": "select * from bronze.bronze_orders where order_id = 0"},
    ),
    CheckSpec("fresh", "silver.silver_customers", "freshness", "email", params={"max_age_hours": 1}),
]


@pytest.fixture
def warehouse(scratch_db: str) -> Iterator[WarehouseConfig]:
    yield seeded_warehouse(scratch_db, SETUP)


def test_generated_tests_run_for_real_and_count_failures(warehouse: WarehouseConfig, tmp_path: Path) -> None:
    project = generate_project(tmp_path / "proj", models=[MODEL], checks=CHECKS)
    assert [c.name for c in project.not_converted] == ["fresh"]
    schema = yaml.safe_load((tmp_path / "proj" / "models" / "schema.yml").read_text(encoding="utf-8"))
    model_columns = {c["name"]: c["data_tests"] for c in schema["models"][0]["columns"]}
    assert model_columns["email"] == [{"not_null": {"name": "guardian_email_set"}}]
    assert {s["name"] for s in schema["sources"]} == {"bronze"}
    profiles = (tmp_path / "proj" / "profiles.yml").read_text(encoding="utf-8")
    leaked = any(warehouse.password in p.read_text(encoding="utf-8") for p in project.path.rglob("*.y*ml"))
    assert not leaked, "the password was written into the project"
    assert "IPWB_DBT_PASSWORD" in profiles

    built = run_dbt(project.path, warehouse, "run")
    assert built.success, built.results
    assert built.by_name()["silver_customers"].status == "success"

    tested = run_dbt(project.path, warehouse, "test")
    assert not tested.success
    outcome = {name: (r.status, r.failures) for name, r in tested.by_name().items()}
    assert outcome == {
        "guardian_email_set": ("fail", 3),
        "guardian_id_unique": ("fail", 2),  # two duplicated ids
        "guardian_tier_known": ("fail", 1),  # platinum
        "guardian_customer_exists": ("fail", 3),  # orders of customers 42, 43, 44
        "guardian_no_order_zero": ("pass", 0),
    }
    assert {r.name for r in tested.failed} == set(outcome) - {"guardian_no_order_zero"}
    assert "IPWB_DBT_PASSWORD" not in os.environ  # credentials only lived during the call

    # repair the data: the same tests pass after a rebuild
    conn = psycopg2.connect(**warehouse.connect_kwargs())
    with conn, conn.cursor() as cur:
        cur.execute(
            "DELETE FROM bronze.bronze_customers "
            "WHERE email IS NULL OR tier = 'platinum' OR email IN ('d@x.ph', 'g@x.ph')"
        )
        cur.execute("DELETE FROM bronze.bronze_orders WHERE customer_id > 6 OR customer_id = 2")
    conn.close()
    assert run_dbt(project.path, warehouse, "build").success
    written = [p for p in project.path.rglob("*") if p.is_file()]
    assert any(p.parent.name == "logs" for p in written)  # dbt's logs stay inside the project
    leaked = [p.name for p in written if warehouse.password.encode() in p.read_bytes()]
    assert not leaked, f"the password was written into {leaked}"


def test_bad_inputs_are_refused(tmp_path: Path, warehouse: WarehouseConfig) -> None:
    with pytest.raises(ConfigurationError):
        run_dbt(tmp_path, warehouse, "test")  # no dbt_project.yml
    generate_project(tmp_path / "p", checks=CHECKS[:1])
    with pytest.raises(ConfigurationError):
        run_dbt(tmp_path / "p", warehouse, "run-operation")
    with pytest.raises(SpecError):
        generate_project(tmp_path / "q", models=[DbtModel("Bad Name", "silver", "select 1")])
