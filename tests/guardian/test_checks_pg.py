"""DQ checks against real PostgreSQL data with planted defects: each found, scored, reported.

The warehouse holds customers with 2 missing e-mails, one duplicated id (2 rows), one
region outside the accepted list, orders with 2 orphan customers, one negative amount and
a newest order 72 hours old (SLO 24 h), and a volume far below its history. Every check
runs through ipwb.warehouse.execute (read-only); the database is unchanged afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from ipwb.cli import main
from ipwb.errors import ConfigurationError, SpecError
from ipwb.guardian import validate_paths
from ipwb.guardian.checks import CheckSpec, checks_from_data, generate
from ipwb.guardian.runner import run_checks
from ipwb.guardian.scoring import DEFAULT_WEIGHTS, score, score_by_domain, score_by_table
from ipwb.testing.warehouse import seeded_warehouse
from ipwb.warehouse.connection import WarehouseConfig

SETUP = """
CREATE SCHEMA silver; CREATE SCHEMA gold;
CREATE TABLE silver.silver_customers (customer_id int, email text, region text, signup_date date);
INSERT INTO silver.silver_customers VALUES
  (1, 'a@x.ph', 'north', '2025-01-01'), (2, NULL, 'south', '2025-01-02'),
  (3, 'c@x.ph', 'east', '2025-01-03'), (3, 'c2@x.ph', 'east', '2025-01-03'),
  (4, NULL, 'north', '2025-01-04'), (5, 'e@x.ph', 'mars', '2025-01-05'),
  (6, 'f@x.ph', 'south', '2025-01-06'), (7, 'g@x.ph', 'north', '2025-01-07'),
  (8, 'h@x.ph', 'east', '2025-01-08'), (9, 'i@x.ph', 'north', '2025-01-09');
CREATE TABLE silver.silver_orders (
  order_id int, customer_id int, amount numeric(12, 2), ordered_at timestamptz
);
INSERT INTO silver.silver_orders
  SELECT g, CASE WHEN g = 5 THEN 99 WHEN g = 6 THEN 98 ELSE 1 + g % 9 END,
         CASE WHEN g = 2 THEN -10 ELSE 100 + g END, now() - interval '72 hours' - g * interval '1 minute'
  FROM generate_series(1, 6) AS g;
CREATE TABLE gold.gold_fresh (loaded_at timestamptz);
INSERT INTO gold.gold_fresh VALUES (now() - interval '1 hour');
CREATE TABLE silver.silver_many_nulls (v int);
INSERT INTO silver.silver_many_nulls SELECT NULL FROM generate_series(1, 50);
"""

CHECKS = [
    {"name": "email set", "table": "silver.silver_customers", "type": "not_null", "column": "email"},
    {"name": "id unique", "table": "silver.silver_customers", "type": "unique", "column": "customer_id"},
    {
        "name": "region known",
        "table": "silver.silver_customers",
        "type": "accepted_values",
        "column": "region",
        "values": ["north", "south", "east", "west"],
    },
    {
        "name": "customer exists",
        "table": "silver.silver_orders",
        "type": "relationships",
        "column": "customer_id",
        "to": "silver.silver_customers",
        "field": "customer_id",
    },
    {
        "name": "orders fresh",
        "table": "silver.silver_orders",
        "type": "freshness",
        "column": "ordered_at",
        "max_age_hours": 24,
    },
    {"name": "volume", "table": "silver.silver_orders", "type": "volume", "history": [100, 102, 98, 101]},
    {
        "name": "no negative amount",
        "table": "silver.silver_orders",
        "type": "custom_sql",
        "sql": "SELECT * FROM silver.silver_orders WHERE amount < 0",
    },
    {
        "name": "mart fresh",
        "table": "gold.gold_fresh",
        "type": "freshness",
        "column": "loaded_at",
        "max_age_hours": 24,
    },
    {"name": "mart volume", "table": "gold.gold_fresh", "type": "volume", "history": [1, 1, 2]},
]


@pytest.fixture(scope="module")
def warehouse(module_db: str) -> Iterator[WarehouseConfig]:
    yield seeded_warehouse(module_db, SETUP)


def snapshot(config: WarehouseConfig) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(**config.connect_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT 'c', count(*), count(email), sum(customer_id) FROM silver.silver_customers "
                "UNION ALL SELECT 'o', count(*), count(customer_id), sum(amount) FROM silver.silver_orders"
            )
            return cur.fetchall()
    finally:
        conn.close()


def test_planted_defects_are_found_sampled_and_scored(warehouse: WarehouseConfig) -> None:
    before = snapshot(warehouse)
    results = {r.check.name: r for r in run_checks(warehouse, checks_from_data(CHECKS))}
    assert snapshot(warehouse) == before

    nulls = results["email set"]
    assert (nulls.status, nulls.total, nulls.failed) == ("fail", 10, 2)
    assert sorted(row["customer_id"] for row in nulls.sample) == [2, 4]
    assert '"silver"."silver_customers"' in nulls.sql and '"email" IS NULL' in nulls.sql

    dupes = results["id unique"]
    assert (dupes.status, dupes.total, dupes.failed) == ("fail", 10, 2)
    assert dupes.sample == ({"customer_id": 3, "occurrences": 2},)

    region = results["region known"]
    assert (region.status, region.failed) == ("fail", 1)
    assert region.sample[0]["region"] == "mars"

    orphans = results["customer exists"]
    assert (orphans.status, orphans.total, orphans.failed) == ("fail", 6, 2)
    assert sorted(row["customer_id"] for row in orphans.sample) == [98, 99]

    stale = results["orders fresh"]
    assert stale.status == "fail" and stale.observed is not None and 72 < stale.observed < 73
    assert "SLO 24 h" in stale.message and stale.sample[0]["row_count"] == 6

    volume = results["volume"]
    assert (
        volume.status == "fail" and "6 row(s) vs mean 100" in volume.message and "z-score" in volume.message
    )

    negative = results["no negative amount"]
    assert (negative.status, negative.total, negative.failed) == ("fail", 6, 1)
    assert negative.sample[0]["amount"] == "-10.00"  # decimals kept exact, as text

    assert results["mart fresh"].status == "pass" and results["mart fresh"].observed < 2
    assert results["mart volume"].status == "pass"
    assert all(r.duration_ms > 0 for r in results.values())

    cards = score_by_table(results.values())
    customers = cards["silver.silver_customers"]
    assert customers.dimensions == {"completeness": 80.0, "uniqueness": 80.0, "validity": 90.0}
    assert customers.overall == pytest.approx((80 * 0.25 + 80 * 0.2 + 90 * 0.2) / 0.65)
    orders = cards["silver.silver_orders"]
    # relationships 4/6 ok, freshness 0, volume 0 (completeness), custom 5/6 (validity)
    assert orders.dimensions == pytest.approx(
        {"completeness": 0.0, "consistency": 100 * 4 / 6, "validity": 100 * 5 / 6, "timeliness": 0.0}
    )
    assert cards["gold.gold_fresh"].overall == 100.0
    domains = score_by_domain(
        results.values(),
        {"silver.silver_customers": "crm", "silver.silver_orders": "crm", "gold.gold_fresh": "mart"},
    )
    assert domains["mart"].overall == 100.0
    assert domains["crm"].overall < customers.overall
    assert domains["crm"].failed == 7 and domains["crm"].checks == 7
    assert "SCORE silver.silver_customers: 83.1" in customers.line("silver.silver_customers")


def test_samples_are_capped(warehouse: WarehouseConfig) -> None:
    check = CheckSpec("v set", "silver.silver_many_nulls", "not_null", "v")
    (result,) = run_checks(warehouse, [check], sample_limit=20)
    assert (result.failed, len(result.sample)) == (50, 20)
    (small,) = run_checks(warehouse, [check], sample_limit=3)
    assert len(small.sample) == 3


def test_a_check_that_cannot_run_is_an_error_and_others_still_run(warehouse: WarehouseConfig) -> None:
    checks = [
        CheckSpec("missing", "silver.nowhere", "not_null", "x"),
        CheckSpec("email set", "silver.silver_customers", "not_null", "email"),
    ]
    missing, ok = run_checks(warehouse, checks)
    assert missing.status == "error" and "nowhere" in missing.message and missing.pass_ratio == 0
    assert ok.status == "fail" and ok.failed == 2
    unreachable = WarehouseConfig(dbname="nope", host="127.0.0.1", port=1, connect_timeout=2)
    (down,) = run_checks(unreachable, checks[:1])
    assert down.status == "error"


def test_custom_sql_must_be_read_only() -> None:
    for bad in (
        "DELETE FROM silver.silver_orders",
        "SELECT 1; DROP TABLE silver.silver_orders",
        "WITH d AS (DELETE FROM silver.silver_orders RETURNING *) SELECT * FROM d",
        "COPY silver.silver_orders TO PROGRAM 'sh'",
        "",
    ):
        with pytest.raises(SpecError, match="custom_sql"):
            CheckSpec("c", "silver.silver_orders", "custom_sql", params={"sql": bad})


def test_bad_check_specs_are_refused_with_every_problem() -> None:
    with pytest.raises(SpecError) as caught:
        checks_from_data(
            [
                {"name": "a", "table": "silver.x; DROP TABLE y", "type": "not_null", "column": "c"},
                {"name": "b", "table": "silver.x", "type": "not_null", "column": 'c" OR 1=1 --'},
                {"name": "c", "table": "silver.x", "type": "freshness", "column": "t"},
                {"name": "d", "table": "silver.x", "type": "sometimes"},
                {"name": "e", "table": "silver.x", "type": "relationships", "column": "c", "to": "x"},
            ]
        )
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "checks[0]",
        "checks[1]",
        "checks[2]",
        "checks[3]",
        "checks[4]",
    ]
    with pytest.raises(SpecError):
        checks_from_data({"checks": "no"})


def test_generated_sql_is_composed_not_formatted(warehouse: WarehouseConfig) -> None:
    check = CheckSpec(
        "odd", "silver.silver_customers", "accepted_values", "region", params={"values": ["it's", "10%"]}
    )
    conn = psycopg2.connect(**warehouse.connect_kwargs())
    try:
        text = generate(check).measure.as_string(conn)
    finally:
        conn.close()
    assert "'it''s'" in text and "'10%'" in text
    (result,) = run_checks(warehouse, [check])
    assert result.status == "fail" and result.failed == 10


def test_weights_are_validated() -> None:
    with pytest.raises(ConfigurationError):
        score([], {"speed": 1.0})
    with pytest.raises(ConfigurationError):
        score([], {"completeness": 0.0})
    assert score([], DEFAULT_WEIGHTS).overall == 100.0


def test_perf_step_measures_queries_against_the_budget(warehouse: WarehouseConfig, tmp_path: Path) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "p.yaml").write_text(
        """name: p
owner: me
description: Perf probe.
steps:
  - id: fast
    kind: sql
    description: Fast.
    config:
      target: gold.gold_fresh
      sql: insert into gold.gold_fresh (loaded_at) select c.signup_date from silver.silver_customers as c
  - id: slow
    kind: sql
    description: Slow.
    config:
      target: gold.gold_fresh
      sql: |
        insert into gold.gold_fresh (loaded_at)
        select c.signup_date from silver.silver_customers as c where pg_sleep(0.1) is not null
  - id: missing
    kind: sql
    description: Reads a table that does not exist.
    config:
      target: gold.gold_fresh
      sql: insert into gold.gold_fresh (loaded_at) select n.t from silver.silver_nowhere as n
""",
        encoding="utf-8",
    )
    report = validate_paths([tmp_path], warehouse=warehouse, perf_budget_s=0.3)
    lines = report.lines()
    assert not report.ok
    slow = [line for line in lines if "G601" in line]
    assert (
        len(slow) == 1 and slow[0].startswith(f"{pipelines}/p.yaml:17:9: error G601") and "'slow'" in slow[0]
    )
    missing = [line for line in lines if "G602" in line]
    assert len(missing) == 1 and ":24:12: warning G602" in missing[0] and "silver_nowhere" in missing[0]
    assert before_after_unchanged(warehouse)


def before_after_unchanged(config: WarehouseConfig) -> bool:
    """EXPLAIN ANALYZE of an INSERT … SELECT only ran its SELECT: gold_fresh still has one row."""
    conn = psycopg2.connect(**config.connect_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM gold.gold_fresh")
            return bool(cur.fetchone()[0] == 1)
    finally:
        conn.close()


def test_cli_checks_command(
    warehouse: WarehouseConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump(CHECKS[:2]), encoding="utf-8")
    dsn = psycopg2.extensions.make_dsn(**warehouse.connect_kwargs())
    assert main(["guardian", "checks", str(path), "--dsn", dsn, "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert [r["failed"] for r in payload["results"]] == [2, 2]
    assert payload["scores"]["silver.silver_customers"]["overall"] == 80.0
    path.write_text(yaml.safe_dump(CHECKS[7:8]), encoding="utf-8")
    assert main(["guardian", "checks", str(path), "--dsn", dsn]) == 0
    assert "PASS  freshness" in capsys.readouterr().out
