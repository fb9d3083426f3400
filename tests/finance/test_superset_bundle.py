"""The Superset bundle: generated from the specs, complete (every bi view charted, each chart's
query context saved, peso format, labelled series, company and period filters), and its
datasets and chart queries run on a real warehouse built by the finance marts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from ipwb.finance import bi, marts, superset_bundle
from ipwb.finance import warehouse as wh
from ipwb.finance.superset_bundle import REFERENCE_VIEWS

from .test_finance_warehouse import _load_invoice_and_bill

ROOT = Path(__file__).resolve().parents[2]
SUPERSET = ROOT / "addons" / "ipwb_finance_bir" / "data" / "superset"
BUNDLE = superset_bundle.bundle(ROOT / "specs" / "tables" / "finance")


def _files(kind: str) -> dict[str, dict[str, Any]]:
    return {path: content for path, content in BUNDLE.items() if path.startswith(kind)}


def test_committed_bundle_is_the_generated_one() -> None:
    committed = {str(p.relative_to(SUPERSET)) for p in SUPERSET.rglob("*.yaml")}
    assert committed == set(BUNDLE), "run: python -m ipwb.finance.superset_bundle"
    for relative, content in BUNDLE.items():
        text = (SUPERSET / relative).read_text(encoding="utf-8")
        assert text == superset_bundle.render(content), (
            f"{relative} is stale: python -m ipwb.finance.superset_bundle"
        )


def test_every_bi_view_has_a_dataset_and_a_chart() -> None:
    datasets = {c["table_name"]: c["uuid"] for c in _files("datasets/").values()}
    assert set(datasets) == set(wh.BI_VIEWS)
    charted = {c["dataset_uuid"] for c in _files("charts/").values()}
    analyses = {uuid for view, uuid in datasets.items() if view not in REFERENCE_VIEWS}
    assert charted == analyses
    assert set(wh.BI_VIEWS) > REFERENCE_VIEWS


def test_charts_save_their_query_context_in_pesos_with_labelled_series() -> None:
    for path, chart in _files("charts/").items():
        context = json.loads(chart["query_context"])
        assert context["datasource"]["type"] == "table", path
        assert context["form_data"]["viz_type"] == chart["viz_type"], path
        (query,) = context["queries"]
        params = chart["params"]
        metrics = params.get("metrics") or [params["metric"]]
        assert query["metrics"] == metrics, path
        assert params["currency_format"] == {"symbol": "PHP", "symbolPosition": "prefix"}, path
        for metric in metrics:
            # a series is named for what it is, never a bare 2550Q line number
            assert metric["label"] and not metric["label"].strip().isdigit(), (path, metric)
        assert "line_code" not in params.get("groupby", []) or "line_name" in params["groupby"], path
    for dataset in _files("datasets/").values():
        if dataset["table_name"] in REFERENCE_VIEWS:
            continue
        money = [m for m in dataset["metrics"] if m["metric_name"].startswith("sum_")]
        assert money and all(m["currency"] == {"symbol": "PHP", "symbolPosition": "prefix"} for m in money)


def test_dashboard_filters_company_and_period() -> None:
    (dashboard,) = _files("dashboards/").values()
    filters = {f["name"]: f for f in dashboard["metadata"]["native_filter_configuration"]}
    assert set(filters) == {"Company", "Year", "Quarter", "Month"}
    datasets = {c["uuid"]: c for c in _files("datasets/").values()}
    charts = {
        item["meta"]["chartId"]: item["meta"]["uuid"]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    }
    chart_views = {c["uuid"]: datasets[c["dataset_uuid"]] for c in _files("charts/").values()}
    assert set(charts.values()) == set(chart_views)
    for name, native in filters.items():
        (target,) = native["targets"]
        column = target["column"]["name"]
        assert column in {c["column_name"] for c in datasets[target["datasetUuid"]]["columns"]}, name
        excluded = set(native["scope"]["excluded"])
        # every chart in the filter's scope has the filtered column (else its query fails)
        for chart_id, chart_uuid in charts.items():
            columns = {c["column_name"] for c in chart_views[chart_uuid]["columns"]}
            assert (chart_id in excluded) == (column not in columns), (name, chart_id)


@pytest.fixture
def warehouse(scratch_db: str) -> Any:
    conn = psycopg2.connect(scratch_db)
    schemas = wh.FinanceSchemas()
    wh.ensure_bronze(conn, schemas)
    _load_invoice_and_bill(conn)
    marts.build(conn, schemas)
    bi.create_bi_views(conn, schemas)
    conn.commit()
    yield conn
    conn.close()


def _expression(item: Any) -> sql.Composable:
    if isinstance(item, str):
        return sql.Identifier(item)
    if item.get("expressionType") == "SIMPLE":
        return sql.SQL("SUM({})").format(sql.Identifier(item["column"]["column_name"]))
    # trusted bundle text (generated above), as Superset itself pastes it into its query
    return sql.SQL(item["sqlExpression"])


def test_datasets_and_chart_queries_run_on_the_warehouse(warehouse: Any) -> None:
    datasets = {c["uuid"]: c for c in _files("datasets/").values()}
    with warehouse.cursor() as cur:
        for dataset in datasets.values():
            columns = [
                sql.SQL(c["expression"]) if c["expression"] else sql.Identifier(c["column_name"])
                for c in dataset["columns"]
            ]
            metrics = [sql.SQL(m["expression"]) for m in dataset["metrics"]]
            cur.execute(
                sql.SQL("SELECT {}, {} FROM {} GROUP BY {}").format(
                    sql.SQL(", ").join(columns),
                    sql.SQL(", ").join(metrics),
                    sql.Identifier("bi", dataset["table_name"]),
                    sql.SQL(", ").join(sql.Literal(i + 1) for i in range(len(columns))),
                )
            )
        for path, chart in _files("charts/").items():
            (query,) = json.loads(chart["query_context"])["queries"]
            dataset = datasets[chart["dataset_uuid"]]
            names = {c["column_name"]: c for c in dataset["columns"]}
            groups = [c["sqlExpression"] if isinstance(c, dict) else c for c in query["columns"]]
            assert all(g in names for g in groups), path
            selected = [_expression(g) for g in groups] + [_expression(m) for m in query["metrics"]]
            cur.execute(
                sql.SQL("SELECT {} FROM {}{}").format(
                    sql.SQL(", ").join(selected),
                    sql.Identifier("bi", dataset["table_name"]),
                    sql.SQL(" GROUP BY {}").format(sql.SQL(", ").join(_expression(g) for g in groups))
                    if groups
                    else sql.SQL(""),
                )
            )
            assert cur.description is not None and len(cur.description) == len(selected), path
