"""The finance marts' Superset import bundle, generated: ``python -m ipwb.finance.superset_bundle``.

One dataset per ``bi`` view (columns from the table specs, plus the period columns
``year``/``quarter``/``month`` the native filters use), one chart per analysis, every chart
with its saved ``query_context`` (alerts, reports and thumbnails need it), series labelled
with 2550Q line names, amounts in pesos (``currency_format`` PHP, which Superset renders ₱),
and a dashboard with company and period native filters. Writing the files from code keeps
datasets, charts and filters consistent with the gold specs; a test compares them.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import yaml

from ipwb.finance.superset_charts import CHARTS, MONEY, NAMESPACE, PHP, Json, chart, object_uuid
from ipwb.finance.warehouse import BI_VIEWS

DATABASE_UUID = str(NAMESPACE)
_TYPES = {"bigint": "BIGINT", "text": "VARCHAR", "date": "DATE", "boolean": "BOOLEAN"}


#: bi views that describe parties and codes rather than amounts: a dataset each, no chart
REFERENCE_VIEWS = frozenset({"filers", "payees", "withholding_atc"})


def _spec_columns(specs: Path, table: str) -> list[Json]:
    spec = yaml.safe_load((specs / f"{table}.yaml").read_text(encoding="utf-8"))
    return list(spec["columns"])


def _period_columns(names: set[str]) -> list[tuple[str, str]]:
    """Calculated ``year``/``quarter``/``month`` columns a view lacks (the filters' targets)."""
    if "period_month" in names:
        source = {
            "year": "to_char(period_month, 'YYYY')",
            "quarter": "to_char(period_month, 'YYYY-\"Q\"Q')",
            "month": "to_char(period_month, 'YYYY-MM')",
        }
    elif "quarter" in names:
        source = {"year": "left(quarter, 4)"}
    else:  # a reference view (filers, payees, ATCs): no period to filter on
        source = {}
    return [(name, expression) for name, expression in source.items() if name not in names]


def dataset(specs: Path, view: str) -> Json:
    columns = []
    spec_columns = _spec_columns(specs, BI_VIEWS[view])
    metrics: list[Json] = [_metric("count", "COUNT(*)", "COUNT(*)", None)]
    for column in spec_columns:
        kind = str(column["type"])
        numeric = kind.startswith("numeric")
        columns.append(_column(column["name"], _TYPES.get(kind, kind.upper()), column.get("description")))
        columns[-1]["is_dttm"] = kind == "date"
        if numeric and column["name"] != "tax_rate":
            name = column["name"]
            metrics.append(_metric(f"sum_{name}", f"SUM({name})", f"Σ {name.replace('_', ' ')}", MONEY))
    for name, expression in _period_columns({c["name"] for c in spec_columns}):
        columns.append(
            {**_column(name, "VARCHAR", f"Period filter column ({name})"), "expression": expression}
        )
    return {
        "table_name": view,
        "main_dttm_col": "period_month" if any(c["column_name"] == "period_month" for c in columns) else None,
        "description": f"bi.{view}: finance gold mart {BI_VIEWS[view]} (read-only view)",
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "schema": "bi",
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "uuid": object_uuid("dataset", view),
        "metrics": metrics,
        "columns": columns,
        "version": "1.0.0",
        "database_uuid": DATABASE_UUID,
    }


def _column(name: str, kind: str, description: object) -> Json:
    return {
        "column_name": name,
        "verbose_name": None,
        "is_dttm": False,
        "is_active": True,
        "type": kind,
        "advanced_data_type": None,
        "groupby": True,
        "filterable": True,
        "expression": None,
        "description": description,
        "python_date_format": None,
        "extra": None,
    }


def _metric(name: str, expression: str, verbose: str, d3format: str | None) -> Json:
    return {
        "metric_name": name,
        "verbose_name": verbose,
        "metric_type": None,
        "expression": expression,
        "description": None,
        "d3format": d3format,
        "currency": PHP if d3format else None,
        "extra": None,
        "warning_text": None,
    }


def _native_filter(name: str, column: str, datasets: dict[str, str], excluded: list[int]) -> Json:
    view = "vat_return_monthly" if column in ("year", "quarter", "month") else "vat_return_quarterly"
    return {
        "id": f"NATIVE_FILTER-{column}",
        "name": name,
        "filterType": "filter_select",
        "targets": [{"column": {"name": column}, "datasetUuid": datasets[view]}],
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [] if column in ("company_name", "year") else ["NATIVE_FILTER-year"],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
        "controlValues": {
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "multiSelect": True,
            "searchAllOptions": False,
            "inverseSelection": False,
            "sortAscending": True,
        },
        "type": "NATIVE_FILTER",
        "description": "",
    }


def dashboard(charts: list[tuple[int, Json, str]], datasets: dict[str, str], monthly: set[str]) -> Json:
    """The dashboard: one chart per row, and native filters on company, year, quarter and month
    (month only for the charts whose view has months: the quarterly marts do not)."""
    position: Json = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {
            "type": "HEADER",
            "id": "HEADER_ID",
            "meta": {"text": "BIR finance (InsightPulse Workbench)"},
        },
    }
    for row, (chart_id, spec, _view) in enumerate(charts):
        position["GRID_ID"]["children"].append(f"ROW-{row}")
        position[f"ROW-{row}"] = {
            "type": "ROW",
            "id": f"ROW-{row}",
            "children": [f"CHART-{row}"],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        position[f"CHART-{row}"] = {
            "type": "CHART",
            "id": f"CHART-{row}",
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", f"ROW-{row}"],
            "meta": {
                "width": 12,
                "height": 50,
                "chartId": chart_id,
                "uuid": spec["uuid"],
                "sliceName": spec["slice_name"],
            },
        }
    not_monthly = [chart_id for chart_id, _spec, view in charts if view not in monthly]
    filters = [
        _native_filter("Company", "company_name", datasets, []),
        _native_filter("Year", "year", datasets, []),
        _native_filter("Quarter", "quarter", datasets, []),
        _native_filter("Month", "month", datasets, not_monthly),
    ]
    return {
        "dashboard_title": "BIR finance",
        "description": "VAT (2550M/2550Q), expanded withholding (1601-EQ, QAP, 2307), SAWT, SLSP and "
        "expense spend from the InsightPulse Workbench gold marts.",
        "css": "",
        "slug": "bir-finance",
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": object_uuid("dashboard", "bir_finance"),
        "position": position,
        "metadata": {
            "color_scheme": "supersetColors",
            "refresh_frequency": 86400,
            "cross_filters_enabled": True,
            "native_filter_configuration": filters,
        },
        "version": "1.0.0",
    }


DATABASE: Json = {
    "database_name": "InsightPulse warehouse (BI)",
    "sqlalchemy_uri": "postgresql+psycopg2://ipwb_bi_reader:XXXXXXXXXX@127.0.0.1:54329/ipwb_warehouse",
    "cache_timeout": None,
    "expose_in_sqllab": True,
    "allow_run_async": False,
    "allow_ctas": False,
    "allow_cvas": False,
    "allow_dml": False,
    "allow_file_upload": False,
    "extra": {"allows_virtual_table_explore": True},
    "uuid": DATABASE_UUID,
    "version": "1.0.0",
}


def bundle(specs: Path) -> dict[str, Json]:
    """Every file of the bundle: ``{relative path: content}``."""
    files: dict[str, Json] = {
        "metadata.yaml": {"version": "1.0.0", "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"},
        "databases/ipwb_warehouse.yaml": DATABASE,
    }
    datasets, monthly = {}, set()
    for view in BI_VIEWS:
        content = dataset(specs, view)
        files[f"datasets/ipwb_warehouse/{view}.yaml"] = content
        datasets[view] = content["uuid"]
        if content["main_dttm_col"]:
            monthly.add(view)
    charts = []
    # reference views (REFERENCE_VIEWS) are datasets to join and explore, not charted
    for index, (name, title, view, viz_type, params) in enumerate(CHARTS, start=1):
        content = chart(list(BI_VIEWS).index(view) + 1, name, title, view, viz_type, params=params)
        files[f"charts/{name}.yaml"] = content
        charts.append((index, content, view))
    files["dashboards/bir_finance.yaml"] = dashboard(charts, datasets, monthly)
    return files


def render(content: Json) -> str:
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=120)


def write(specs: Path, folder: Path) -> list[Path]:
    """(Re)write the bundle's YAML files under ``folder`` (its README stays); returns them."""
    written = []
    for relative, content in bundle(specs).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(content), encoding="utf-8")
        written.append(path)
    for stale in folder.rglob("*.yaml"):
        if stale not in written:
            stale.unlink()
    return written


def zip_bundle(specs: Path, target: Path, *, assets: bool = False) -> Path:
    """The bundle as an import zip (files under a ``bir_finance/`` folder, as Superset exports).

    ``assets``: metadata type ``assets``, for ``POST /api/v1/assets/import/``, which overwrites
    databases, datasets, charts and the dashboard (a *Dashboard* import overwrites only the
    dashboard and keeps existing charts and datasets as they are)."""
    files = bundle(specs)
    if assets:
        files["metadata.yaml"] = {**files["metadata.yaml"], "type": "assets"}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, content in files.items():
            archive.writestr(f"bir_finance/{relative}", render(content))
    return target


def main(argv: list[str] | None = None) -> int:
    """``[FOLDER]``: rewrite the bundle's YAML (default: the addon's); ``--zip FILE
    [--assets]``: write an import zip instead."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(__file__).resolve().parents[2]
    specs = root / "specs" / "tables" / "finance"
    if "--zip" in args:
        target = Path(args[args.index("--zip") + 1])
        print(zip_bundle(specs, target, assets="--assets" in args))
        return 0
    folder = Path(args[0]) if args else root / "addons" / "ipwb_finance_bir" / "data" / "superset"
    for path in write(specs, folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
