"""The charts of the finance Superset bundle (:mod:`ipwb.finance.superset_bundle`): one per
analysis, every ``bi`` view covered, series labelled with 2550Q line names, amounts in pesos,
and each chart's ``query_context`` (what Superset's explore view saves, without which alerts,
reports and thumbnails of the chart fail).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

Json = dict[str, Any]

NAMESPACE = uuid.UUID("cafcbc70-9d1d-559d-89d4-31846b1c441c")  # the database's uuid
#: uuids of the first bundle's objects, kept so that re-importing overwrites them
KNOWN_UUIDS = {
    "dataset:expense_spend": "43fb6d97-0994-5b35-971a-1337ca0136ad",
    "dataset:summary_list_sales": "8b39f703-38b5-5820-87cb-99a754aac9e1",
    "dataset:vat_return_monthly": "64086243-e9ef-5f37-9a72-e867d29bc894",
    "dataset:vat_return_quarterly": "9faf5f87-48e7-5183-943f-5681dffc4697",
    "dataset:withholding_alphalist_qap": "4b9f6f3d-14b5-54cc-afdc-36d0c77658a8",
    "chart:expanded_withholding_by_atc": "d0967343-1cbc-5cdc-a277-261f43ab136f",
    "chart:expense_spend_by_category_and_department": "5193bd52-b1a4-5f8b-a0f0-1b67d580333a",
    "chart:net_vat_payable_by_quarter": "c5974ed4-dbc4-56a6-8743-b11bbceecd5b",
    "chart:output_vs_input_vat_by_month": "a12dfba3-2b03-5197-a22b-baf26752b77e",
    "chart:top_customers": "31156b97-d22e-588b-8dbf-0dfe230167f3",
    "dashboard:bir_finance": "d047fcb9-4716-560d-af15-42d562f4c05d",
}
PHP = {"symbol": "PHP", "symbolPosition": "prefix"}
MONEY = ",.2f"


def object_uuid(kind: str, name: str) -> str:
    """Stable uuid of a bundle object (the first bundle's, or derived from its name).

    >>> object_uuid("dashboard", "bir_finance")
    'd047fcb9-4716-560d-af15-42d562f4c05d'
    >>> object_uuid("chart", "x") == object_uuid("chart", "x")
    True
    """
    return KNOWN_UUIDS.get(f"{kind}:{name}") or str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def sum_of(column: str, label: str) -> Json:
    return {"expressionType": "SIMPLE", "column": {"column_name": column}, "aggregate": "SUM", "label": label}


def line_sum(line: str, column: str, label: str) -> Json:
    """A 2550Q line's amount as a labelled series (the line's name, not its number alone)."""
    sql = f"SUM(CASE WHEN line_code = '{line}' THEN {column} END)"
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label}


def where(column: str, operator: str, value: object) -> Json:
    return {
        "clause": "WHERE",
        "expressionType": "SIMPLE",
        "subject": column,
        "operator": operator,
        "comparator": value,
    }


#: charts: (name, title, view, viz_type, params); every bi view has at least one
CHARTS: list[tuple[str, str, str, str, Json]] = [
    (
        "net_vat_payable_by_quarter",
        "Net VAT payable by quarter (2550Q line 56)",
        "vat_return_quarterly",
        "echarts_timeseries_bar",
        {"x_axis": "quarter", "metrics": [line_sum("56", "vat", "56 Net VAT payable")]},
    ),
    (
        "output_vs_input_vat_by_month",
        "Output vs input VAT by month",
        "vat_return_monthly",
        "echarts_timeseries_line",
        {
            "x_axis": "period_month",
            "metrics": [
                line_sum("35", "vat", "35 Output tax due (total sales)"),
                line_sum("48", "vat", "48 Input tax (total current purchases)"),
            ],
        },
    ),
    (
        "vat_return_lines",
        "2550Q lines by quarter",
        "vat_return_quarterly",
        "table",
        {
            "groupby": ["quarter", "line_code", "line_name"],
            "metrics": [sum_of("tax_base", "Tax base"), sum_of("vat", "VAT")],
            "row_limit": 500,
        },
    ),
    (
        "expanded_withholding_by_atc",
        "Expanded withholding by ATC (QAP)",
        "withholding_alphalist_qap",
        "pie",
        {"groupby": ["atc"], "metric": sum_of("tax_withheld", "Tax withheld")},
    ),
    (
        "withholding_1601eq",
        "1601-EQ: withholding remitted by quarter and ATC",
        "withholding_remittance_1601eq",
        "table",
        {
            "groupby": ["quarter", "atc", "tax_rate"],
            "metrics": [sum_of("tax_base", "Income payments"), sum_of("tax_withheld", "Tax withheld")],
        },
    ),
    (
        "withholding_by_payee",
        "Withholding by payee",
        "withholding_by_payee",
        "table",
        {
            "groupby": ["payee_tin", "payee_branch_code", "payee_name", "atc"],
            "metrics": [sum_of("income_payment", "Income payments"), sum_of("tax_withheld", "Tax withheld")],
            "row_limit": 100,
        },
    ),
    (
        "sawt_withheld_by_customers",
        "SAWT: tax withheld by customers",
        "withheld_by_customers_sawt",
        "table",
        {
            "groupby": ["quarter", "payor_tin", "payor_name", "atc"],
            "metrics": [sum_of("income_payment", "Income payments"), sum_of("tax_withheld", "Tax withheld")],
        },
    ),
    (
        "top_customers",
        "Top customers (SLSP sales)",
        "summary_list_sales",
        "table",
        {
            "groupby": ["customer_tin", "customer_name"],
            "metrics": [sum_of("taxable_sales", "Taxable sales"), sum_of("output_tax", "Output VAT")],
            "row_limit": 20,
        },
    ),
    (
        "purchases_list",
        "Purchases list (SLSP purchases)",
        "summary_list_purchases",
        "table",
        {
            "groupby": ["supplier_tin", "supplier_name"],
            "metrics": [
                sum_of("services", "Services"),
                sum_of("capital_goods", "Capital goods"),
                sum_of("other_goods", "Other goods"),
                sum_of("input_tax", "Input VAT"),
            ],
            "row_limit": 100,
        },
    ),
    (
        "expanded_withholding_remittance_0619e",
        "Expanded withholding remitted monthly (0619-E)",
        "withholding_remittance_0619e",
        "echarts_timeseries_bar",
        {
            "x_axis": "period_month",
            "groupby": ["atc"],
            "metrics": [sum_of("tax_withheld", "Tax withheld")],
        },
    ),
    (
        "expense_spend_by_category_and_department",
        "Expense spend by category and department",
        "expense_spend",
        "echarts_timeseries_bar",
        {
            "x_axis": "period_month",
            "groupby": ["category"],
            "metrics": [sum_of("total_amount", "Spend"), sum_of("input_vat", "Input VAT")],
        },
    ),
]


def _formatted(viz_type: str, params: Json) -> Json:
    """Peso formatting: the currency control and a 2-decimal number format."""
    extra: Json = {"currency_format": PHP}
    if viz_type.startswith("echarts_timeseries"):
        extra.update(
            y_axis_format=MONEY, time_grain_sqla="P1M" if params.get("x_axis") == "period_month" else None
        )
    elif viz_type == "pie":
        extra.update(number_format=MONEY, show_labels=True, label_type="key_value")
    else:
        extra.update(
            query_mode="aggregate", table_timestamp_format="smart_date", allow_rearrange_columns=True
        )
    return {key: value for key, value in extra.items() if value is not None}


def query_context(dataset_id: int, view: str, viz_type: str, params: Json) -> Json:
    """What Superset's explore view saves with a chart: one query from the form data."""
    metrics = params.get("metrics") or ([params["metric"]] if "metric" in params else [])
    columns: list[Any] = []
    if "x_axis" in params:
        columns.append(
            {
                "columnType": "BASE_AXIS",
                "sqlExpression": params["x_axis"],
                "label": params["x_axis"],
                "expressionType": "SQL",
                **({"timeGrain": "P1M"} if params["x_axis"] == "period_month" else {}),
            }
        )
    columns += params.get("groupby", [])
    query = {
        "filters": [
            {"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
            for f in params.get("adhoc_filters", [])
        ],
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "columns": columns,
        "metrics": metrics,
        "orderby": [[metrics[0], False]] if metrics and "x_axis" not in params else [],
        "annotation_layers": [],
        "row_limit": params.get("row_limit", 10000),
        "series_limit": 0,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    }
    form_data = {**params, "datasource": f"{dataset_id}__table", "viz_type": viz_type}
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": form_data,
        "result_format": "json",
        "result_type": "full",
    }


def chart(dataset_id: int, name: str, title: str, view: str, viz_type: str, *, params: Json) -> Json:
    """A chart's YAML. ``dataset_id`` is a placeholder: an import points ``params`` and the
    query context at the dataset ``dataset_uuid`` names in the target Superset."""
    params = {
        "viz_type": viz_type,
        "datasource": f"{dataset_id}__table",
        **params,
        **_formatted(viz_type, params),
    }
    params.setdefault("adhoc_filters", [])
    return {
        "slice_name": title,
        "description": None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": viz_type,
        "params": params,
        "query_context": json.dumps(query_context(dataset_id, view, viz_type, params), sort_keys=True),
        "cache_timeout": None,
        "uuid": object_uuid("chart", name),
        "version": "1.0.0",
        "dataset_uuid": object_uuid("dataset", view),
    }
