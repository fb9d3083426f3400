"""G301 with a domain's ``table_prefix``: its listed tables (and its pipelines' targets) may
use the prefix instead of ``<layer>_``; other domains' tables may not."""

from __future__ import annotations

from pathlib import Path

from ipwb.guardian import validate_paths
from ipwb.specs import dumps, loads
from ipwb.specs.model import DomainSpec, to_data

FINANCE = """\
name: finance
owner_team: finance
description: Finance marts.
layers: [gold]
table_prefix: fin_
tables: [gold.fin_vat]
"""
SALES = """\
name: sales
owner_team: sales
description: Sales marts.
layers: [gold]
tables: [gold.fin_orders, gold.gold_orders]
"""


def _table(name: str, domain: str) -> str:
    return (
        f"name: {name}\nlayer: gold\nowner: team@example.org\ndomain: {domain}\n"
        f"description: A mart.\ncolumns:\n  - name: id\n    type: integer\n"
        "    description: Key.\n    tests: [not_null]\n"
    )


def _pipeline(name: str, domain: str, table: str) -> str:
    return (
        f"name: {name}\ndescription: Checks.\ndomain: {domain}\nowner: team@example.org\n"
        "schedule: 0 1 * * *\nsteps:\n  - id: check\n    kind: quality_gate\n"
        f"    description: Check.\n    config:\n      table: {table}\n      checks: [not_null]\n"
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _findings(root: Path, code: str) -> list[str]:
    return [line for line in validate_paths([root]).lines() if f" {code} " in line]


def test_a_domain_with_table_prefix_accepts_its_tables_and_targets(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "domains/finance.yaml": FINANCE,
            "tables/gold/fin_vat.yaml": _table("fin_vat", "finance"),
            "pipelines/finance.yaml": _pipeline("finance", "finance", "gold.fin_vat"),
        },
    )
    assert _findings(root, "G301") == []
    assert _findings(root, "G101") == []


def test_another_domains_table_with_that_prefix_is_refused(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "domains/finance.yaml": FINANCE,
            "domains/sales.yaml": SALES,
            "tables/gold/fin_vat.yaml": _table("fin_vat", "finance"),
            "tables/gold/fin_orders.yaml": _table("fin_orders", "sales"),
            "tables/gold/gold_orders.yaml": _table("gold_orders", "sales"),
            "pipelines/sales.yaml": _pipeline("sales", "sales", "gold.fin_orders"),
        },
    )
    found = _findings(root, "G301")
    assert len(found) == 2, found
    table = next(line for line in found if "fin_orders.yaml" in line)
    assert table.startswith(f"{tmp_path}/tables/gold/fin_orders.yaml:1:7: error G301")
    assert "must be named gold_… or <table_prefix>…" in table
    step = next(line for line in found if "pipelines/sales.yaml" in line)
    assert step.startswith(f"{tmp_path}/pipelines/sales.yaml:11:14: error G301")
    assert "gold.fin_orders must be named gold.gold_… (layer prefix) or gold.<table_prefix>…" in step


def test_a_listed_table_matching_neither_form_names_both(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "domains/finance.yaml": FINANCE.replace("gold.fin_vat", "gold.vat"),
            "tables/gold/vat.yaml": _table("vat", "finance"),
            "pipelines/finance.yaml": _pipeline("finance", "finance", "gold.vat"),
        },
    )
    found = sorted(_findings(root, "G301"), key=lambda line: "pipelines/" in line)
    assert len(found) == 2, found
    assert "table 'vat' of layer gold must be named gold_… or fin_… (table_prefix of its domain)" in found[0]
    assert (
        "gold.vat must be named gold.gold_… (layer prefix) or gold.fin_… (table_prefix of domain 'finance')"
        in (found[1])
    )


def test_a_bad_table_prefix_is_a_schema_error_on_its_line(tmp_path: Path) -> None:
    root = _write(
        tmp_path, {"domains/finance.yaml": FINANCE.replace("table_prefix: fin_", "table_prefix: Fin")}
    )
    found = _findings(root, "G101")
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path}/domains/finance.yaml:5:15: error G101")
    assert "'Fin' does not match" in found[0], found


def test_table_prefix_round_trips_and_is_omitted_when_unset() -> None:
    assert loads(dumps(loads(FINANCE, "domain")), "domain").table_prefix == "fin_"
    assert dumps(loads(FINANCE, "domain")) == FINANCE
    assert "table_prefix" not in to_data(DomainSpec("sales", "team", tables=("gold.gold_x",)))


def _layer_gate(name: str, domain: str, tables: list[str]) -> str:
    return (
        f"name: {name}\ndescription: Checks.\ndomain: {domain}\nowner: team@example.org\n"
        "schedule: 0 1 * * *\nsteps:\n  - id: check\n    kind: quality_gate\n"
        f"    description: Check.\n    config:\n      tables: [{', '.join(tables)}]\n"
    )


def test_a_layer_gate_tests_and_names_each_of_its_tables(tmp_path: Path) -> None:
    untested = _table("fin_vat", "finance").replace("    tests: [not_null]\n", "")
    root = _write(
        tmp_path,
        {
            "domains/finance.yaml": FINANCE.replace("[gold.fin_vat]", "[gold.fin_vat, gold.fin_tax]"),
            "tables/gold/fin_vat.yaml": untested,
            "tables/gold/fin_tax.yaml": _table("fin_tax", "finance").replace("    tests: [not_null]\n", ""),
            "pipelines/finance.yaml": _layer_gate("finance", "finance", ["gold.fin_vat", "gold.vat"]),
        },
    )
    assert _findings(root, "G101") == [], "tables instead of table is a valid gate"
    # the gate tests gold.fin_vat; gold.fin_tax, which no gate names, is still untested
    untested_found = _findings(root, "G501")
    assert len(untested_found) == 1, untested_found
    assert "gold.fin_tax" in untested_found[0]
    # each table of the gate follows the naming rule, reported at its place in the list
    found = _findings(root, "G301")
    assert len(found) == 1, found
    assert "step 'check': gold.vat must be named" in found[0]


def test_a_gate_naming_both_table_and_tables_is_refused(tmp_path: Path) -> None:
    text = _layer_gate("finance", "finance", ["gold.fin_vat"]) + "      table: gold.fin_vat\n"
    root = _write(
        tmp_path,
        {
            "domains/finance.yaml": FINANCE,
            "tables/gold/fin_vat.yaml": _table("fin_vat", "finance"),
            "pipelines/finance.yaml": text,
        },
    )
    assert _findings(root, "G101"), "one of table or tables, not both"
