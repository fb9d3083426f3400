"""Evaluation harness on a real warehouse built by the finance domain (bronze → gold → bi),
with a scripted OpenAI-compatible peer: accuracy and failure reasons equal the script's truth."""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from ipwb import cli
from ipwb.errors import ConfigurationError, SpecError
from ipwb.finance import bi, marts
from ipwb.finance import warehouse as wh
from ipwb.llm.catalog import Catalog
from ipwb.llm.catalog_export import export_yaml, live_catalog
from ipwb.llm.eval_diagnose import Reason, invalid_reason, mismatch_reason
from ipwb.llm.evaluate import (
    has_top_level_order,
    load_eval_set,
    parse_eval_set,
    results_match,
    retrieval_results,
    run_eval,
)
from ipwb.llm.nl2sql import Nl2Sql
from ipwb.llm.readonly import readonly_executor
from ipwb.llm.sqlcheck import InvalidSql, check_sql
from ipwb.testing.openai_peer import OpenAIPeer
from ipwb.warehouse.connection import WarehouseConfig
from tests.finance.test_finance_warehouse import _load_invoice_and_bill

from .conftest import make_gateway, model
from .test_retrieval import distractors

SPECS = Path(__file__).resolve().parents[2] / "specs" / "genie"
FINANCE_SET = SPECS / "finance_eval.yaml"
SCHEMAS = ["gold", "bi"]


def reply(sql: str) -> str:
    return f"```sql\n{sql}\n```"


@pytest.fixture(scope="module")
def warehouse(module_db: str) -> Iterator[str]:
    """The finance warehouse built from a month of books (two companies, an invoice, a bill)."""
    conn = psycopg2.connect(module_db)
    schemas = wh.FinanceSchemas()
    wh.ensure_bronze(conn, schemas)
    _load_invoice_and_bill(conn)
    marts.build(conn, schemas)
    bi.create_bi_views(conn, schemas)
    conn.commit()
    conn.close()
    yield module_db


@pytest.fixture(scope="module")
def catalog(warehouse: str) -> Catalog:
    return live_catalog(WarehouseConfig.from_dsn(warehouse), SCHEMAS)


def test_results_compare_as_multisets_unless_ordered() -> None:
    gold = (["a", "b"], [(1, decimal.Decimal("2.50")), (2, None)])
    shuffled = (["x", "y"], [(2, None), (1, 2.5)])
    assert results_match(gold, shuffled)
    assert not results_match(gold, shuffled, ordered=True)
    assert not results_match(gold, (["a"], [(1,), (2,)]))
    assert not results_match(gold, (["a", "b"], [(1, 2.5), (2, None), (2, None)]))  # multiplicity
    assert results_match((["a"], [(decimal.Decimal("0.33333"),)]), (["a"], [(0.3333,)]))  # 4 places
    assert not results_match((["a"], [(decimal.Decimal("0.3334"),)]), (["a"], [(0.3333,)]))


def test_top_level_order_detection() -> None:
    assert has_top_level_order("SELECT a FROM t ORDER BY a")
    assert not has_top_level_order("SELECT a FROM (SELECT a FROM t ORDER BY a) s")


def test_shipped_set_fits_the_live_catalog_of_the_built_warehouse(catalog: Catalog) -> None:
    eval_set = load_eval_set(FINANCE_SET)
    eval_set.check_against(catalog)  # every reference query names real tables and columns
    assert len(eval_set.cases) >= 80
    expects = {c.expect for c in eval_set.cases}
    assert expects == {"answer", "refuse", "not_in_data"}
    results = retrieval_results(eval_set, catalog, k=10)
    read = {t for r in results for t in r.gold_tables}
    assert read == {t.qualified for t in catalog.tables}, "every gold mart and bi view is asked about"
    assert any(len(r.gold_tables) > 1 for r in results)  # joins across marts
    answerable = [r for r in results if r.case.answerable]
    recall = sum(r.recall for r in answerable) / len(answerable)
    assert 0.9 <= recall <= 1.0
    refusals = [c for c in eval_set.cases if not c.answerable]
    assert all(c.probe for c in refusals)
    for case in refusals:  # what a model might write for them is refused before any execution
        with pytest.raises(InvalidSql):
            check_sql(case.probe, catalog)
    narrow = [r for r in retrieval_results(eval_set, catalog, k=1) if r.case.answerable]
    assert sum(r.recall for r in narrow) / len(narrow) < recall  # the metric depends on k


def test_recall_holds_among_hundreds_of_unrelated_tables(catalog: Catalog) -> None:
    data = yaml.safe_load(export_yaml_from(catalog))
    data["tables"] += distractors(400)
    big = Catalog.from_data(data)
    results = [r for r in retrieval_results(load_eval_set(FINANCE_SET), big, k=10) if r.case.answerable]
    assert sum(r.recall for r in results) / len(results) >= 0.9


def export_yaml_from(catalog: Catalog) -> str:
    return yaml.safe_dump(
        {
            "tables": [
                {
                    "schema": t.schema,
                    "name": t.name,
                    "columns": [{"name": c.name, "type": c.type} for c in t.columns],
                }
                for t in catalog.tables
            ]
        }
    )


def test_reasons_come_from_the_parsed_queries(catalog: Catalog) -> None:
    assert (
        invalid_reason("SELECT vat_payable FROM gold.fin_vat_2550m", catalog)[0] == Reason.HALLUCINATED_COLUMN
    )
    assert invalid_reason("SELECT * FROM gold.vat_summary_2550m", catalog)[0] == Reason.HALLUCINATED_TABLE
    assert invalid_reason("I cannot do that.", catalog)[0] == Reason.REFUSED
    assert invalid_reason("DELETE FROM gold.fin_vat_2550m", catalog)[0] == Reason.REFUSED
    ref = "SELECT sum(vat) FROM gold.fin_vat_2550m WHERE line_code = '56' AND quarter = '2025-Q1'"
    equivalent = {"bi.vat_return_monthly": "gold.fin_vat_2550m"}
    other = "SELECT sum(vat) FROM gold.fin_vat_2550q WHERE line_code = '56' AND quarter = '2025-Q1'"
    assert mismatch_reason(ref, other, catalog, equivalent)[0] == Reason.WRONG_TABLE
    # a view of the same table, other aliases, conjuncts in another order: only the filter differs
    view = "SELECT sum(v.vat) FROM bi.vat_return_monthly v WHERE v.quarter = '2025-Q1' AND v.line_code = '35'"
    reason, detail = mismatch_reason(ref, view, catalog, equivalent)
    assert reason == Reason.WRONG_FILTER and "line_code = '56'" in detail
    same = "SELECT max(vat) FROM bi.vat_return_monthly WHERE quarter = '2025-Q1' AND line_code = '56'"
    assert mismatch_reason(ref, same, catalog, equivalent)[0] == Reason.RESULT_MISMATCH


TINY_SET = {
    "name": "tiny",
    "equivalent_tables": {"bi.vat_return_monthly": "gold.fin_vat_2550m"},
    "questions": [
        {"id": "right", "question": "Output VAT per month", "tags": ["vat"],
         "sql": "SELECT period_month, sum(vat) AS vat FROM gold.fin_vat_2550m WHERE line_code = '35' "
                "GROUP BY period_month ORDER BY period_month"},
        {"id": "view", "question": "Net VAT payable of January 2025", "tags": ["vat", "bi"],
         "sql": "SELECT vat FROM gold.fin_vat_2550m "
                "WHERE line_code = '56' AND period_month = DATE '2025-01-01'"},
        {"id": "filter", "question": "Input tax on domestic purchases", "tags": ["vat"],
         "sql": "SELECT sum(vat) FROM gold.fin_vat_2550m WHERE line_code = '42'"},
        {"id": "column", "question": "Tax withheld per ATC", "tags": ["ewt"],
         "sql": "SELECT atc, sum(tax_withheld) FROM gold.fin_ewt_payee_atc GROUP BY atc"},
        {"id": "table", "question": "Payees of the QAP", "tags": ["ewt"],
         "sql": "SELECT payee_name FROM gold.fin_qap"},
        {"id": "error", "question": "Income payments per payee TIN", "tags": ["ewt"],
         "sql": "SELECT payee_tin, sum(income_payment) FROM gold.fin_ewt_payee_atc GROUP BY payee_tin"},
        {"id": "write", "question": "Delete the VAT return", "expect": "refuse"},
        {"id": "payroll", "question": "Payroll per employee", "expect": "not_in_data"},
    ],
}  # fmt: skip


def script_peer(peer: OpenAIPeer) -> int:
    """Answer TINY_SET in order; returns how many answers are right (the scripted truth)."""
    peer.reply(reply("SELECT m.period_month AS month, SUM(m.vat) FROM gold.fin_vat_2550m m "
                     "WHERE m.line_code = '35' GROUP BY 1 ORDER BY 1"))  # fmt: skip
    peer.reply(reply("SELECT vat FROM bi.vat_return_monthly WHERE line_code = '56' "
                     "AND period_month = '2025-01-01'"))  # fmt: skip
    peer.reply(reply("SELECT sum(vat) FROM gold.fin_vat_2550m WHERE line_code = '48' AND NOT is_aggregate"))
    for _ in range(3):  # invented column, never repaired
        peer.reply(reply("SELECT atc_code, sum(ewt_amount) FROM gold.fin_ewt_payee_atc GROUP BY atc_code"))
    peer.reply(reply("SELECT customer_name FROM gold.fin_slsp_sales"))
    peer.reply(
        reply("SELECT payee_tin, sum(income_payment) / 0 FROM gold.fin_ewt_payee_atc GROUP BY payee_tin")
    )
    for _ in range(3):  # the guard refuses, every time
        peer.reply(reply("DELETE FROM gold.fin_vat_2550m"))
    peer.reply(reply("SELECT company_name, sum(total_amount) FROM gold.fin_expense_spend GROUP BY 1"))
    return 2 + 1  # right, view, and the refused write


EXPECTED_REASONS = {
    "right": Reason.CORRECT,
    "view": Reason.CORRECT,
    "filter": Reason.WRONG_FILTER,
    "column": Reason.HALLUCINATED_COLUMN,
    "table": Reason.WRONG_TABLE,
    "error": Reason.ERROR,
    "write": Reason.REFUSED_OK,
    "payroll": Reason.ANSWERED,
}


def test_accuracy_equals_the_scripted_truth(warehouse: str, catalog: Catalog, peer: OpenAIPeer) -> None:
    eval_set = parse_eval_set(TINY_SET)
    right = script_peer(peer)
    engine = Nl2Sql(catalog, make_gateway(peer))
    report = run_eval(eval_set, catalog, nl2sql=engine, executor=readonly_executor(warehouse, timeout_s=5))
    assert {r.case.id: r.reason for r in report.results} == EXPECTED_REASONS
    assert report.correct_count == right
    assert report.execution_accuracy == pytest.approx(right / len(eval_set.cases))
    assert peer.pending == 0
    assert report.by_tag()["vat"] == (2, 3)
    assert "execution accuracy" in report.table() and "hallucinated column" in report.table()


def test_reference_that_fails_is_not_counted(warehouse: str, catalog: Catalog, peer: OpenAIPeer) -> None:
    broken = parse_eval_set(
        {"questions": [{"id": "q", "question": "x", "sql": "SELECT 1 / 0 FROM gold.fin_qap"}]}
    )
    report = run_eval(broken, catalog, nl2sql=Nl2Sql(catalog, make_gateway(peer)),
                      executor=readonly_executor(warehouse))  # fmt: skip
    assert report.results[0].reason == Reason.REFERENCE_FAILED
    assert report.execution_accuracy is None and not peer.requests


def test_set_problems_are_listed_at_once(tmp_path: Path, catalog: Catalog) -> None:
    bad = {
        "questions": [
            {"id": "a", "question": "q"},
            {"id": "b", "question": "q", "expect": "maybe"},
            {"id": "c", "question": "q", "expect": "refuse", "sql": "SELECT 1"},
            "nonsense",
        ]
    }
    with pytest.raises(SpecError) as caught:
        parse_eval_set(bad)
    assert len(caught.value.problems) == 4
    (tmp_path / "bad.yaml").write_text("questions: [unclosed")
    with pytest.raises(SpecError):
        load_eval_set(tmp_path / "bad.yaml")
    unknown = parse_eval_set({"questions": [{"id": "a", "question": "q", "sql": "SELECT x FROM gold.nope"}]})
    with pytest.raises(SpecError, match="does not fit the catalog"):
        unknown.check_against(catalog)


@pytest.fixture
def cli_files(tmp_path: Path, peer: OpenAIPeer, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    (tmp_path / "set.yaml").write_text(yaml.safe_dump(TINY_SET))
    entry = model(peer, "local-a")
    del entry["api_key"]
    entry["api_key_env"] = "IPWB_TEST_LLM_KEY"
    other = model(peer, "local-b", fallbacks=["local-a"])
    (tmp_path / "models.yaml").write_text(yaml.safe_dump({"models": [entry, other], "retry_backoff": 0}))
    monkeypatch.setenv("IPWB_TEST_LLM_KEY", "sk-from-env")
    return tmp_path / "set.yaml", tmp_path / "models.yaml"


def _eval_args(warehouse: str, cli_files: tuple[Path, Path]) -> list[str]:
    set_path, models = cli_files
    return ["genie", "eval", str(set_path), "--dsn", warehouse, "--schemas", "gold,bi",
            "--models", str(models)]  # fmt: skip


def test_cli_json_for_ci(
    warehouse: str, cli_files: tuple[Path, Path], peer: OpenAIPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    right = script_peer(peer)
    args = _eval_args(warehouse, cli_files)
    assert cli.main([*args, "--json", "--model", "local-a", "--timeout", "5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "local-a" and report["correct"] == right
    assert report["execution_accuracy"] == round(right / 8, 4)
    assert {r["id"]: r["reason"] for r in report["results"]} == {
        k: v.value for k, v in EXPECTED_REASONS.items()
    }
    assert {r.model for r in peer.requests} == {"local-a"}
    assert peer.requests[0].headers["Authorization"] == "Bearer sk-from-env"


def test_cli_measures_each_model_without_fallback(
    warehouse: str, cli_files: tuple[Path, Path], peer: OpenAIPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_peer(peer)
    peer.error(500)  # local-b fails on its first question: no fallback to local-a
    for _ in range(20):
        peer.reply(reply("SELECT 1"))
    args = _eval_args(warehouse, cli_files)
    assert cli.main([*args, "--model", "local-a", "--model", "local-b"]) == 0
    out = capsys.readouterr().out
    assert out.count("execution accuracy") == 2 and "model                    local-b" in out
    a_calls = 12  # TINY_SET scripted: one call per question, three for each never-valid answer
    assert {r.model for r in peer.requests[:a_calls]} == {"local-a"}
    assert {r.model for r in peer.requests[a_calls:]} == {"local-b"}  # local-b's error: no fallback


def test_cli_catalog_export_equals_the_live_catalog(
    warehouse: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "catalog.yaml"
    assert (
        cli.main(["genie", "catalog-export", "--dsn", warehouse, "--schemas", "gold,bi", "-o", str(out)]) == 0
    )
    assert Catalog.load(out) == live_catalog(WarehouseConfig.from_dsn(warehouse), SCHEMAS)
    assert out.read_text() == export_yaml(WarehouseConfig.from_dsn(warehouse), SCHEMAS)
    assert cli.main(["genie", "eval", str(FINANCE_SET), "--catalog", str(out), "--offline", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["questions"] >= 80 and 0.9 <= summary["recall@10"] <= 1.0
    assert summary["execution_accuracy"] is None and summary["execution_skipped"] == "offline"


def test_cli_refusals(warehouse: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # no catalog source: a clear error, not a hand-written fallback
    assert cli.main(["genie", "eval", str(FINANCE_SET), "--offline"]) != 0
    assert "--dsn or --catalog" in capsys.readouterr().err
    # no model configured: recall only, and the reason is said
    assert (
        cli.main(["genie", "eval", str(FINANCE_SET), "--dsn", warehouse, "--schemas", "gold,bi", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["execution_skipped"].startswith("No LLM model configured")
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({"models": [{"name": "x", "model": "openai/x"}]}))
    args = ["genie", "eval", str(FINANCE_SET), "--dsn", warehouse, "--models", str(tmp_path / "m.yaml")]
    assert cli.main([*args, "--model", "nope"]) != 0
    assert "No model named 'nope'" in capsys.readouterr().err
    assert cli.main([*args, "--timeout", "0"]) != 0
    with pytest.raises(ConfigurationError):
        readonly_executor(warehouse, max_rows=0)("SELECT 1")


def test_model_sql_runs_guarded_and_read_only(warehouse: str) -> None:
    run = readonly_executor(warehouse, timeout_s=1)
    from ipwb.errors import IpwbError  # noqa: PLC0415

    for hostile in (
        "DELETE FROM gold.fin_qap",
        "SELECT set_config('statement_timeout', '0', false)",
        "SELECT pg_sleep(3)",
        "WITH x AS (DELETE FROM gold.fin_qap RETURNING 1) SELECT * FROM x",
    ):
        with pytest.raises(IpwbError):
            run(hostile)
    assert run("SELECT count(*) FROM gold.fin_qap")[1][0][0] > 0
