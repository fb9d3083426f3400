"""Lineage extraction against hand-written expectations (tests/lineage/fixtures/*.yaml).

Each fixture states the SQL, dialect, catalog and the *exact* table and column edge sets
(and the kinds of issues) extraction must produce; any extra or missing edge fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ipwb.sql.lineage import ColumnEdge, TableEdge, extract_lineage

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGS: dict[str, Any] = yaml.safe_load((FIXTURES / "_catalogs.yaml").read_text())
CASES = sorted(p for p in FIXTURES.glob("*.yaml") if not p.name.startswith("_"))


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    catalog = case.get("catalog")
    case["catalog"] = CATALOGS[catalog] if isinstance(catalog, str) else catalog
    return case


def test_fixture_set_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_lineage_fixture(path: Path) -> None:
    case = load(path)
    result = extract_lineage(
        case["sql"],
        case.get("dialect", "postgres"),
        schema=case["catalog"],
        query_target=case.get("query_target", "query"),
        default_schema=case.get("default_schema"),
        include_filters=case.get("include_filters", True),
    )
    expected_tables = {TableEdge(*edge) for edge in case["tables"]}
    expected_columns = {ColumnEdge(*edge) for edge in case["columns"]}
    assert len(expected_columns) == len(case["columns"]), "duplicate expected edge in fixture"
    assert set(result.tables) == expected_tables
    missing = expected_columns - set(result.columns)
    extra = set(result.columns) - expected_columns
    assert not missing and not extra, (
        f"missing: {sorted(map(str, missing))}\nextra: {sorted(map(str, extra))}"
    )
    assert len(result.columns) == len(set(result.columns))
    assert sorted(i.kind for i in result.issues) == sorted(case.get("issues", [])), result.issues
