"""Batched measures (one aggregate scan per table) give the same results as per-check queries.

Real PostgreSQL: a table with planted defects and NULL edge cases (an all-NULL column, a
unique column holding only NULLs, NULLs beside duplicates, an empty table), checked once
with ``batch=False`` (one query per check, the reference) and once batched; every result
field that does not depend on timing is equal. A bad check in a batch (missing column, a
value that does not cast) gets its own error and the others their own results.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest

from ipwb.guardian.batch import batch_measure, groups
from ipwb.guardian.checks import CheckSpec, checks_from_data
from ipwb.guardian.runner import CheckResult, run_checks
from ipwb.testing.warehouse import seeded_warehouse
from ipwb.warehouse.connection import WarehouseConfig

SETUP = """
CREATE SCHEMA gold;
CREATE TABLE gold.gold_sales (
  id int, code text, status text, amount numeric(12, 2), nothing int, only_null_key int,
  loaded_at timestamptz, label text
);
INSERT INTO gold.gold_sales
  SELECT g,
         CASE WHEN g IN (3, 4) THEN 'dup' WHEN g = 5 THEN NULL ELSE 'c' || g END,
         CASE WHEN g = 7 THEN 'lost' WHEN g = 8 THEN NULL ELSE 'open' END,
         CASE WHEN g = 9 THEN NULL ELSE g * 10 END,
         NULL, NULL,
         now() - interval '30 hours' - g * interval '1 minute',
         'not a date'
  FROM generate_series(1, 12) AS g;
INSERT INTO gold.gold_sales (id, code) VALUES (1, NULL), (1, NULL);
CREATE TABLE gold.gold_empty (id int, loaded_at timestamptz, status text);
CREATE TABLE gold.gold_keyed (id int PRIMARY KEY, code text, part text);
CREATE UNIQUE INDEX gold_keyed_code ON gold.gold_keyed (code);
CREATE UNIQUE INDEX gold_keyed_part ON gold.gold_keyed (part) WHERE part <> 'x';
INSERT INTO gold.gold_keyed SELECT g, 'k' || g, CASE WHEN g < 3 THEN 'x' ELSE 'p' || g END
  FROM generate_series(1, 5) AS g;
INSERT INTO gold.gold_keyed VALUES (6, NULL, 'p6');
"""

SALES = "gold.gold_sales"
CHECKS = [
    {"name": "id set", "table": SALES, "type": "not_null", "column": "id"},
    {"name": "id unique", "table": SALES, "type": "unique", "column": "id"},
    {"name": "code unique", "table": SALES, "type": "unique", "column": "code"},
    {"name": "amount set", "table": SALES, "type": "not_null", "column": "amount"},
    {"name": "nothing set", "table": SALES, "type": "not_null", "column": "nothing"},
    {"name": "null key unique", "table": SALES, "type": "unique", "column": "only_null_key"},
    {
        "name": "status known",
        "table": SALES,
        "type": "accepted_values",
        "column": "status",
        "values": ["open"],
    },
    {"name": "all null known", "table": SALES, "type": "accepted_values", "column": "nothing", "values": [1]},
    # a list of 2-8 values is padded to a hashed IN list; NULLs, duplicates and misses still count
    {
        "name": "status of three",
        "table": SALES,
        "type": "accepted_values",
        "column": "status",
        "values": ["open", "closed", "open", "held"],
    },
    {
        "name": "code of three",
        "table": SALES,
        "type": "accepted_values",
        "column": "code",
        "values": ["c1", "dup", "c2"],
    },
    {
        "name": "ids known",  # a non-text column, a list already long enough to hash
        "table": SALES,
        "type": "accepted_values",
        "column": "id",
        "values": list(range(1, 12)),
    },
    {
        "name": "ids all known",
        "table": SALES,
        "type": "accepted_values",
        "column": "id",
        "values": list(range(1, 13)),
    },
    {"name": "fresh 24h", "table": SALES, "type": "freshness", "column": "loaded_at", "max_age_hours": 24},
    {"name": "fresh 48h", "table": SALES, "type": "freshness", "column": "loaded_at", "max_age_hours": 48},
    {"name": "volume", "table": SALES, "type": "volume", "history": [14, 14, 15]},
    {"name": "volume drop", "table": SALES, "type": "volume", "history": [100, 101, 99]},
    {
        "name": "no big amount",
        "table": SALES,
        "type": "custom_sql",
        "sql": "SELECT * FROM gold.gold_sales WHERE amount > 100",
    },
    {"name": "empty id set", "table": "gold.gold_empty", "type": "not_null", "column": "id"},
    {"name": "empty id unique", "table": "gold.gold_empty", "type": "unique", "column": "id"},
    {
        "name": "empty fresh",
        "table": "gold.gold_empty",
        "type": "freshness",
        "column": "loaded_at",
        "max_age_hours": 1,
    },
    {"name": "empty volume", "table": "gold.gold_empty", "type": "volume"},
    {
        "name": "empty known",
        "table": "gold.gold_empty",
        "type": "accepted_values",
        "column": "status",
        "values": ["x"],
    },
]


@pytest.fixture(scope="module")
def warehouse(module_db: str) -> Iterator[WarehouseConfig]:
    yield seeded_warehouse(module_db, SETUP)


def comparable(result: CheckResult) -> tuple[object, ...]:
    # the freshness message prints the age to 0.1 h: equal unless the runs straddle a rounding
    message = result.message if result.check.check_type != "freshness" else result.message[:8]
    # a freshness sample shows the age at the time it was taken
    sample = tuple({k: v for k, v in row.items() if k != "age_hours"} for row in result.sample)
    return (result.status, result.total, result.failed, message, sample, result.sample_sql)


def test_batched_results_equal_per_check_results(warehouse: WarehouseConfig) -> None:
    checks = checks_from_data(CHECKS)
    reference = run_checks(warehouse, checks, batch=False)
    batched = run_checks(warehouse, checks)
    assert [r.check for r in batched] == checks  # results in the checks' order
    for one, many in zip(reference, batched, strict=True):
        assert comparable(many) == comparable(one), one.check.name
        # (a freshness age grows between the two runs: seconds apart)
        assert many.observed == pytest.approx(one.observed, abs=0.05), one.check.name

    by_name = {r.check.name: r for r in batched}
    # the planted defects and edge cases, as the reference sees them
    assert (by_name["id unique"].status, by_name["id unique"].failed) == ("fail", 3)
    assert by_name["id unique"].sample == ({"id": 1, "occurrences": 3},)
    assert (by_name["code unique"].failed, by_name["code unique"].total) == (2, 11)
    assert (by_name["nothing set"].status, by_name["nothing set"].failed) == ("fail", 14)
    assert (by_name["null key unique"].status, by_name["null key unique"].total) == ("pass", 0)
    assert (by_name["status known"].failed, by_name["all null known"].status) == (1, "pass")
    # 'lost' is not listed, the NULL status is not judged; 'dup' twice, the other 8 codes not
    assert (by_name["status of three"].failed, by_name["status of three"].total) == (1, 14)
    assert by_name["status of three"].sample[0]["status"] == "lost"
    assert by_name["code of three"].failed == 7  # c6 … c12 (c1, c2, twice dup and 3 NULLs pass)
    assert (by_name["ids known"].failed, by_name["ids all known"].status) == (1, "pass")
    assert by_name["fresh 24h"].status == "fail" and by_name["fresh 48h"].status == "pass"
    assert by_name["volume"].status == "pass" and by_name["volume drop"].status == "fail"
    assert by_name["empty fresh"].message == "no rows: freshness unknown"
    assert by_name["empty fresh"].status == "fail"
    assert all(by_name[n].status == "pass" for n in ("empty id set", "empty id unique", "empty volume"))

    # the single-column checks of a table share one statement; custom SQL keeps its own
    shared = {r.sql for r in batched if r.check.table == SALES and r.check.check_type != "custom_sql"}
    # (a failing unique check re-measures with its own query for the exact count)
    shared -= {by_name["id unique"].sql, by_name["code unique"].sql}
    assert len(shared) == 1 and "count(DISTINCT" in shared.pop()
    assert by_name["no big amount"].sql != by_name["id set"].sql


def seq_scans(config: WarehouseConfig, table: str) -> int:
    conn = psycopg2.connect(**config.connect_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = %s", (table,))
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


def scans_after(config: WarehouseConfig, table: str, before: int, at_least: int) -> int:
    """Sequential scans since ``before`` (statistics reach the view shortly after a session ends)."""
    deadline = time.monotonic() + 10
    while True:
        scans = seq_scans(config, table) - before
        if scans >= at_least or time.monotonic() > deadline:
            return scans
        time.sleep(0.2)


def test_passing_single_column_checks_of_a_table_read_it_once(warehouse: WarehouseConfig) -> None:
    checks = [
        CheckSpec("id set", SALES, "not_null", "id"),
        CheckSpec("status known", SALES, "accepted_values", "status", params={"values": ["open", "lost"]}),
        CheckSpec("recent", SALES, "freshness", "loaded_at", params={"max_age_hours": 48}),
        CheckSpec("rows", SALES, "volume"),
        CheckSpec("null key unique", SALES, "unique", "only_null_key"),
    ]
    before = seq_scans(warehouse, "gold_sales")
    assert all(r.status == "pass" for r in run_checks(warehouse, checks))
    assert scans_after(warehouse, "gold_sales", before, 1) == 1
    before = seq_scans(warehouse, "gold_sales")
    run_checks(warehouse, checks, batch=False)
    # one scan per check, two for unique (its non-null count and its groups)
    assert scans_after(warehouse, "gold_sales", before, len(checks) + 1) == len(checks) + 1


def test_a_bad_check_does_not_sink_the_others(warehouse: WarehouseConfig) -> None:
    checks = [
        CheckSpec("id set", SALES, "not_null", "id"),
        CheckSpec("missing column", SALES, "not_null", "no_such_column"),
        CheckSpec("label is no date", SALES, "freshness", "label", params={"max_age_hours": 1}),
        CheckSpec("status known", SALES, "accepted_values", "status", params={"values": ["open"]}),
    ]
    ok, missing, uncastable, status = run_checks(warehouse, checks)
    assert (ok.status, ok.total, ok.failed) == ("pass", 14, 0)
    assert missing.status == "error" and "no_such_column" in missing.message
    assert uncastable.status == "error" and uncastable.message
    assert (status.status, status.failed) == ("fail", 1) and status.sample[0]["status"] == "lost"
    # each check's error names its own query, not the shared one
    assert "no_such_column" in missing.sql and "no_such_column" not in ok.sql


def test_only_aggregate_checks_of_one_table_are_grouped() -> None:
    checks = checks_from_data(CHECKS)
    grouped = groups(checks)
    assert [sorted({checks[i].table for i in g}) for g in grouped] == [[SALES], ["gold.gold_empty"]]
    assert all(checks[i].check_type != "custom_sql" for g in grouped for i in g)
    with pytest.raises(ValueError, match="one table"):
        batch_measure([checks[0], checks[-1]])
    with pytest.raises(ValueError, match="other tables"):
        batch_measure([CheckSpec("c", SALES, "custom_sql", params={"sql": "SELECT 1"})])


def test_a_column_kept_unique_by_an_index_needs_no_sort(warehouse: WarehouseConfig) -> None:
    keyed = "gold.gold_keyed"
    checks = [
        CheckSpec("id unique", keyed, "unique", "id"),
        CheckSpec("code unique", keyed, "unique", "code"),
        CheckSpec("part unique", keyed, "unique", "part"),  # a partial index proves nothing
        CheckSpec("id set", keyed, "not_null", "id"),
        CheckSpec("code set", keyed, "not_null", "code"),
    ]
    reference = run_checks(warehouse, checks, batch=False)
    batched = run_checks(warehouse, checks)
    for one, many in zip(reference, batched, strict=True):
        assert comparable(many) == comparable(one), one.check.name
    ident, code, part, _, code_set = batched
    assert (code_set.status, code_set.failed) == ("fail", 1)
    # the NULL code is not counted (a unique index holds any number of NULLs)
    assert (ident.status, ident.total, code.status, code.total) == ("pass", 6, "pass", 5)
    assert (part.status, part.failed) == ("fail", 2)
    # the shared statement counts distinct values only where no index vouches for them
    assert 'DISTINCT "id"' not in ident.sql and 'DISTINCT "code"' not in ident.sql
    assert 'DISTINCT "part"' in ident.sql


def test_a_short_value_list_is_sent_as_a_hashed_in_list(warehouse: WarehouseConfig) -> None:
    """PostgreSQL hashes a NOT IN list of 9+ elements; shorter lists are padded to that (the
    same set, as the plan shows it)."""
    check = CheckSpec("three", SALES, "accepted_values", "status", params={"values": ["open", "x", "y"]})
    conn = psycopg2.connect(**warehouse.connect_kwargs())
    try:
        measure = batch_measure([check, CheckSpec("rows", SALES, "volume")]).as_string(conn)
        with conn.cursor() as cur:
            cur.execute("EXPLAIN (VERBOSE) " + measure)
            plan = "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()
    assert measure.count("'y'") == 7  # 'open', 'x' and seven times 'y'
    assert "(status <> ALL ('{open,x,y,y,y,y,y,y,y}'::text[]))" in plan, plan
