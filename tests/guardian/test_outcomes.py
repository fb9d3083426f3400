"""Step 5 with stored outcomes: declared tests must *pass* (100% of gold's, 80% of silver's).

The outcomes come from a real ``dbt build``/``dbt test`` (run_results.json + manifest.json
in the project's target/) or from a plain JSON file of check outcomes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwb.cli import main
from ipwb.dbt import DbtModel, generate_project, run_dbt
from ipwb.errors import SpecError
from ipwb.guardian import validate_paths
from ipwb.guardian.checks import CheckSpec
from ipwb.guardian.gate import PromotionTarget, evaluate
from ipwb.guardian.outcomes import TestOutcome, load_outcomes, read_results
from ipwb.testing.warehouse import seeded_warehouse
from ipwb.warehouse.connection import WarehouseConfig

SILVER = """name: silver_people
layer: silver
owner: people@insightpulse.example
description: People, as loaded.
columns:
  - name: id
    type: integer
    description: Person id.
    tests: [not_null, unique]
  - name: email
    type: text
    description: E-mail address.
    tests: [not_null]
  - name: tier
    type: text
    description: Loyalty tier.
    tests:
      - accepted_values:
          values: [gold, silver]
"""
GOLD = """name: gold_tiers
layer: gold
owner: people@insightpulse.example
description: People per tier.
columns:
  - name: tier
    type: text
    description: Loyalty tier.
    tests: [not_null, unique]
  - name: people
    type: integer
    description: How many people.
"""
SETUP = """
CREATE SCHEMA bronze; CREATE SCHEMA silver; CREATE SCHEMA gold;
CREATE TABLE bronze.bronze_people (id int, email text, tier text);
INSERT INTO bronze.bronze_people VALUES (1, 'a@x.ph', 'gold'), (2, 'b@x.ph', 'silver'), (3, NULL, 'gold');
"""
MODELS = [
    DbtModel(
        "silver_people",
        "silver",
        "select id, email, tier from {{ source('bronze', 'bronze_people') }}",
        sources=("bronze.bronze_people",),
    ),
    DbtModel(
        "gold_tiers",
        "gold",
        "select tier, count(*)::int as people from {{ ref('silver_people') }} group by tier",
    ),
]
CHECKS = [
    CheckSpec("id set", "silver.silver_people", "not_null", "id"),
    CheckSpec("id unique", "silver.silver_people", "unique", "id"),
    CheckSpec("email set", "silver.silver_people", "not_null", "email"),  # fails: person 3
    CheckSpec(
        "tier known", "silver.silver_people", "accepted_values", "tier", params={"values": ["gold", "silver"]}
    ),
    CheckSpec("tier set", "silver.silver_people", "not_null", "tier"),
    CheckSpec("tier present", "gold.gold_tiers", "not_null", "tier"),
    CheckSpec("tier once", "gold.gold_tiers", "unique", "tier"),
]


def specs(root: Path, *, silver_tier_set: bool = False, gold_people_test: bool = False) -> Path:
    (root / "tables" / "silver").mkdir(parents=True, exist_ok=True)
    (root / "tables" / "gold").mkdir(parents=True, exist_ok=True)
    silver = SILVER + ("      - not_null\n" if silver_tier_set else "")
    gold = GOLD + ("    tests: [not_null]\n" if gold_people_test else "")
    (root / "tables" / "silver" / "silver_people.yaml").write_text(silver, encoding="utf-8")
    (root / "tables" / "gold" / "gold_tiers.yaml").write_text(gold, encoding="utf-8")
    return root


def lines(report, code: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in report.lines() if f" {code} " in line]


@pytest.fixture
def warehouse(scratch_db: str) -> Iterator[WarehouseConfig]:
    yield seeded_warehouse(scratch_db, SETUP)


def keep(project: Path, where: Path) -> Path:
    """Copy dbt's run_results.json and manifest.json (the next invocation overwrites them)."""
    where.mkdir(parents=True)
    for name in ("run_results.json", "manifest.json"):
        shutil.copy(project / "target" / name, where / name)
    return where / "run_results.json"


def test_real_dbt_results_gate_gold_and_silver(warehouse: WarehouseConfig, tmp_path: Path) -> None:
    project = generate_project(tmp_path / "proj", models=MODELS, checks=CHECKS).path
    assert run_dbt(project, warehouse, "run").success
    tested = run_dbt(project, warehouse, "test")  # 7 tests: only email set fails
    assert {r.name for r in tested.failed} == {"guardian_email_set"}
    all_five = keep(project, tmp_path / "all")
    four = run_dbt(project, warehouse, "test", extra_args=["--exclude", "guardian_tier_set"])
    assert len(four.results) == 6
    without_tier_set = keep(project, tmp_path / "four")

    outcomes = read_results(all_five)
    by_name = {o.name: o for o in outcomes}
    assert by_name["guardian_email_set"].status == "fail"
    assert by_name["guardian_email_set"].message  # dbt's "Got 1 result, configured to fail if != 0"
    assert (by_name["guardian_email_set"].table, by_name["guardian_email_set"].column) == (
        "silver.silver_people",
        "email",
    )
    assert by_name["guardian_tier_known"].test == "accepted_values"
    assert by_name["guardian_tier_once"].table == "gold.gold_tiers"

    # silver: 4 of 5 declared tests pass (80%) — enough; gold: both tests pass
    root = specs(tmp_path / "s80", silver_tier_set=True)
    report = validate_paths([root], outcomes=outcomes)
    assert lines(report, "G504") == [] and lines(report, "G503") == [], report.text()
    assert report.ok, report.text()

    # silver: 3 of 4 pass (75%) — the failing test is reported on its line
    root = specs(tmp_path / "s75")
    report = validate_paths([root], outcomes=read_results(without_tier_set))
    silver_file = root / "tables" / "silver" / "silver_people.yaml"
    assert [line.split(" [")[0] for line in lines(report, "G504")] == [f"{silver_file}:13:13: error G504"]
    assert "'guardian_email_set' fails" in lines(report, "G504")[0]
    assert "silver tests pass 75% (3/4), under 80%" in lines(report, "G504")[0]
    assert not report.ok

    # gold: a declared test dbt never ran blocks as "not run yet"
    root = specs(tmp_path / "g", silver_tier_set=True, gold_people_test=True)
    report = validate_paths([root], outcomes=outcomes)
    gold_file = root / "tables" / "gold" / "gold_tiers.yaml"
    assert [line.split(": error")[0] for line in lines(report, "G503")] == [f"{gold_file}:13:13"]
    assert "test 'people not_null' has not run yet (100% must pass)" in lines(report, "G503")[0]
    assert not report.ok


def test_gold_failing_test_blocks_and_cli_reads_plain_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = specs(tmp_path / "specs", silver_tier_set=True)
    silver_ok = [
        {"table": "silver.silver_people", "name": n, "column": c, "test": t, "status": "pass"}
        for n, c, t in [
            ("a", "id", "not_null"),
            ("b", "id", "unique"),
            ("c", "email", "not_null"),
            ("d", "tier", "accepted_values"),
            ("e", "tier", "not_null"),
        ]
    ]
    gold = [
        {
            "table": "gold.gold_tiers",
            "name": "tier set",
            "column": "tier",
            "test": "not_null",
            "status": "pass",
        },
        {
            "table": "gold.gold_tiers",
            "name": "tier once",
            "column": "tier",
            "test": "unique",
            "status": "fail",
            "message": "2 failing row(s)",
        },
        {"table": "gold.gold_tiers", "name": "no negative", "status": "error", "message": "relation missing"},
    ]
    results = tmp_path / "results.json"
    results.write_text(json.dumps(silver_ok + gold), encoding="utf-8")
    code = main(["guardian", "validate", str(root), "--results", str(results)])
    out = capsys.readouterr().out
    gold_file = root / "tables" / "gold" / "gold_tiers.yaml"
    assert code == 2
    assert f"{gold_file}:9:23: error G503 [5 test] gold table gold.gold_tiers: test 'tier once' fails" in out
    assert (
        f"{gold_file}:1:7: error G503 [5 test] gold table gold.gold_tiers: test 'no negative' could not run"
        in out
    )
    # once every gold test passes, the cycle passes
    results.write_text(json.dumps(silver_ok + gold[:1] + [dict(gold[1], status="pass")]), encoding="utf-8")
    assert main(["guardian", "validate", str(root), "--results", str(results)]) == 0
    # without --results the pass rules are skipped with a note
    assert main(["guardian", "validate", str(root)]) == 0
    out = capsys.readouterr().out
    assert "info G503 [5 test] skipped: no test results given" in out
    assert "info G504 [5 test] skipped" in out


def test_bad_results_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"table": "gold.x", "name": "t", "status": "maybe"}]), encoding="utf-8")
    with pytest.raises(SpecError, match="'maybe' is not one of"):
        read_results(bad)
    assert main(["guardian", "validate", str(tmp_path), "--results", str(bad)]) == SpecError.exit_code
    with pytest.raises(SpecError, match="needs table"):
        load_outcomes([{"name": "t", "status": "pass"}])
    run_results = tmp_path / "dbt" / "run_results.json"
    run_results.parent.mkdir()
    run_results.write_text(json.dumps({"metadata": {"dbt_schema_version": "x/run-results/v6.json"}}), "utf-8")
    with pytest.raises(SpecError, match=r"manifest\.json beside"):
        read_results(run_results)
    assert load_outcomes({"gold.x": {"t": "success", "u": "warn"}}) == [
        TestOutcome("gold.x", "t", "pass"),
        TestOutcome("gold.x", "u", "fail"),
    ]


def test_gate_needs_passing_tests() -> None:
    facts = {"owner": "ana", "slo": "24 h", "tests": 2, "upstream_edges": 1}
    never = TestOutcome("gold.g", "date set", "not_run")
    failing = TestOutcome("gold.g", "date set", "fail")
    passing = TestOutcome("gold.g", "date set", "pass")
    assert evaluate(PromotionTarget("gold.g", **facts)).status == "passed"  # outcomes unknown: counted only
    verdict = evaluate(PromotionTarget("gold.g", outcomes=(never,), **facts))  # type: ignore[arg-type]
    assert (verdict.status, verdict.reasons) == ("blocked", ("test 'date set' has not run yet",))
    assert verdict.details == (("test '{test}' has not run yet", {"test": "date set"}),)
    verdict = evaluate(PromotionTarget("gold.g", outcomes=(failing,), **facts))  # type: ignore[arg-type]
    assert verdict.reasons == ("test 'date set' fails",)
    assert evaluate(PromotionTarget("gold.g", outcomes=(passing,), **facts)).allowed  # type: ignore[arg-type]
