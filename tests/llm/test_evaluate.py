"""Evaluation harness: result comparison, execution accuracy on a real PostgreSQL, CLI."""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml
from psycopg2 import sql

from ipwb import cli
from ipwb.llm.catalog import Catalog
from ipwb.llm.evaluate import EvalSet, has_top_level_order, load_eval_set, results_match, run_eval
from ipwb.llm.nl2sql import Nl2Sql
from ipwb.llm.readonly import readonly_executor
from ipwb.testing.openai_peer import OpenAIPeer

from .conftest import make_gateway, model

SPECS = Path(__file__).resolve().parents[2] / "specs" / "genie"


def test_results_compare_as_multisets_unless_ordered() -> None:
    gold = (["a", "b"], [(1, decimal.Decimal("2.50")), (2, None)])
    shuffled = (["x", "y"], [(2, None), (1, 2.5)])
    assert results_match(gold, shuffled)
    assert not results_match(gold, shuffled, ordered=True)
    assert not results_match(gold, (["a"], [(1,), (2,)]))
    assert not results_match(gold, (["a", "b"], [(1, 2.5), (2, None), (2, None)]))  # multiplicity


def test_top_level_order_detection() -> None:
    assert has_top_level_order("SELECT a FROM t ORDER BY a")
    assert not has_top_level_order("SELECT a FROM (SELECT a FROM t ORDER BY a) s")


def _create_warehouse(dsn: str, catalog: Catalog) -> None:
    """Every catalog table as a real (empty) PostgreSQL table, plus a few rows."""
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        for schema in sorted({t.schema for t in catalog.tables}):
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for table in catalog.tables:
            cols = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type)) for c in table.columns
            )
            cur.execute(
                sql.SQL("CREATE TABLE {}.{} ({})").format(
                    sql.Identifier(table.schema), sql.Identifier(table.name), cols
                )
            )
        cur.executemany(
            "INSERT INTO gold.vat_summary_2550m (company_id, period_month, output_vat, total_input_vat,"
            " vat_payable) VALUES (1, %s, %s, %s, %s)",
            [
                (datetime.date(2025, 1, 1), 120, 20, 100),
                (datetime.date(2025, 2, 1), 60, 10, 50),
                (datetime.date(2025, 3, 1), 300, 100, 200),
                (datetime.date(2024, 12, 1), 10, 1, 9),
            ],
        )
        cur.executemany(
            "INSERT INTO silver.partners (partner_id, partner_name, tin, partner_type)"
            " VALUES (%s, %s, %s, %s)",
            [
                (1, "Acme", None, "vendor"),
                (2, "Globe", "123-456-789-00000", "vendor"),
                (3, "Cebu Co", "", "both"),
            ],
        )
        cur.executemany(
            "INSERT INTO gold.ewt_by_payee_atc (payee_name, atc_code, ewt_amount) VALUES (%s, %s, %s)",
            [("Acme", "WC158", 5), ("Globe", "WC158", 9), ("Acme", "WC158", 1), ("Globe", "WI010", 50)],
        )
    conn.close()


@pytest.fixture(scope="module")
def warehouse(module_db: str) -> Iterator[tuple[str, EvalSet]]:
    eval_set = load_eval_set(SPECS / "finance_eval.yaml")
    _create_warehouse(module_db, eval_set.catalog)
    yield module_db, eval_set


def test_every_gold_query_runs_on_the_catalog_schema(warehouse: tuple[str, EvalSet]) -> None:
    dsn, eval_set = warehouse
    execute = readonly_executor(dsn)
    for case in eval_set.cases:
        columns, _rows = execute(case.sql)
        assert columns, case.id


def test_execution_accuracy_against_real_postgres(warehouse: tuple[str, EvalSet], peer: OpenAIPeer) -> None:
    dsn, full = warehouse
    picked = {c.id: c for c in full.cases if c.id in {"vat-01", "vat-02", "mdm-01", "ewt-02"}}
    eval_set = EvalSet(
        "subset", full.catalog, tuple(picked[i] for i in ("vat-01", "vat-02", "mdm-01", "ewt-02"))
    )
    # vat-01: right, written differently (aliases, EXTRACT instead of a date range)
    peer.reply(
        "```sql\nSELECT v.period_month AS m, SUM(v.vat_payable) FROM gold.vat_summary_2550m v "
        "WHERE EXTRACT(YEAR FROM v.period_month) = 2025 GROUP BY 1 ORDER BY 1\n```"
    )
    # vat-02: wrong figure (input instead of output VAT)
    peer.reply(
        "```sql\nSELECT SUM(total_input_vat) FROM gold.vat_summary_2550m "
        "WHERE period_month = DATE '2025-03-01'\n```"
    )
    # mdm-01: invalid column first, repaired second, rows in another order
    peer.reply("```sql\nSELECT partner_id, partner_name FROM silver.partners WHERE vendor_tin IS NULL\n```")
    peer.reply(
        "```sql\nSELECT partner_id, partner_name FROM silver.partners "
        "WHERE COALESCE(tin, '') = '' AND partner_type <> 'customer' ORDER BY partner_name DESC\n```"
    )
    # ewt-02: right
    peer.reply(
        "```sql\nSELECT payee_name, SUM(ewt_amount) AS total FROM gold.ewt_by_payee_atc "
        "WHERE atc_code = 'WC158' GROUP BY payee_name ORDER BY total DESC LIMIT 10\n```"
    )
    engine = Nl2Sql(eval_set.catalog, make_gateway(peer))
    report = run_eval(eval_set, k=10, nl2sql=engine, executor=readonly_executor(dsn))
    verdicts = {r.case.id: r.correct for r in report.results}
    assert verdicts == {"vat-01": True, "vat-02": False, "mdm-01": True, "ewt-02": True}
    assert report.execution_accuracy == pytest.approx(0.75)
    assert len(peer.requests) == 5
    assert report.summary()["executed"] == 4


def test_cli_offline_prints_recall(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["genie", "eval", str(SPECS / "finance_eval.yaml"), "--offline", "--k", "10"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["questions"] >= 50
    assert 0.9 <= summary["recall@10"] <= 1.0
    assert summary["execution_accuracy"] is None and summary["execution_skipped"] == "offline"


def test_cli_runs_execution_accuracy_with_models_file(
    warehouse: tuple[str, EvalSet],
    peer: OpenAIPeer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn, _ = warehouse
    small = {
        "name": "tiny",
        "catalog": str(SPECS / "finance_catalog.yaml"),
        "questions": [
            {
                "id": "q1",
                "question": "Vendors without a TIN",
                "sql": "SELECT partner_name FROM silver.partners WHERE tin IS NULL",
            }
        ],
    }
    (tmp_path / "set.yaml").write_text(yaml.safe_dump(small))
    entry = model(peer, "local-a")
    del entry["api_key"]
    entry["api_key_env"] = "IPWB_TEST_LLM_KEY"
    (tmp_path / "models.yaml").write_text(yaml.safe_dump({"models": [entry], "retry_backoff": 0}))
    monkeypatch.setenv("IPWB_TEST_LLM_KEY", "sk-from-env")
    peer.reply("```sql\nSELECT partner_name FROM silver.partners WHERE tin IS NULL\n```")
    code = cli.main(
        ["genie", "eval", str(tmp_path / "set.yaml"), "--dsn", dsn, "--models", str(tmp_path / "models.yaml")]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["execution_accuracy"] == 1.0
    assert peer.requests[0].headers["Authorization"] == "Bearer sk-from-env"


def test_cli_without_model_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["genie", "eval", str(SPECS / "finance_eval.yaml")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["execution_skipped"].startswith("No LLM model configured")
