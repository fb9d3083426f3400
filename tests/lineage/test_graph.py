"""Traversal and impact analysis over edges extracted from a medallion script."""

from __future__ import annotations

import doctest

import pytest

import ipwb.sql.lineage
import ipwb.sql.lineage_graph
import ipwb.sql.lineage_scope
from ipwb.sql.lineage import ColumnEdge, extract_lineage
from ipwb.sql.lineage_graph import LineageGraph

SCRIPT = """
INSERT INTO silver.invoice (invoice_id, partner_id, net)
SELECT id, partner_id, amount FROM bronze.invoice WHERE status = 'posted';
INSERT INTO silver.partner (partner_id, name) SELECT id, TRIM(name) FROM bronze.partner;
CREATE VIEW gold.revenue AS
SELECT p.name, SUM(i.net) AS revenue
FROM silver.invoice i JOIN silver.partner p ON p.partner_id = i.partner_id
GROUP BY p.name;
CREATE VIEW platinum.top AS SELECT name FROM gold.revenue WHERE revenue > 1000;
"""


@pytest.fixture(scope="module")
def graph() -> LineageGraph:
    return LineageGraph.from_result(extract_lineage(SCRIPT))


def test_doctests() -> None:
    for module in (ipwb.sql.lineage, ipwb.sql.lineage_graph, ipwb.sql.lineage_scope):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def test_table_traversal_with_depth(graph: LineageGraph) -> None:
    assert graph.downstream_tables("bronze.invoice") == {
        "silver.invoice": 1,
        "gold.revenue": 2,
        "platinum.top": 3,
    }
    assert graph.downstream_tables("bronze.invoice", depth=2) == {"silver.invoice": 1, "gold.revenue": 2}
    assert graph.upstream_tables("platinum.top") == {
        "gold.revenue": 1,
        "silver.invoice": 2,
        "silver.partner": 2,
        "bronze.invoice": 3,
        "bronze.partner": 3,
    }
    assert graph.upstream_tables("platinum.top", depth=0) == {}


def test_column_traversal(graph: LineageGraph) -> None:
    assert graph.upstream_columns("platinum.top", "name") == {
        ("gold.revenue", "name"): 1,
        ("silver.partner", "name"): 2,
        ("bronze.partner", "name"): 3,
    }
    with_filters = graph.upstream_columns("gold.revenue", "revenue", include_filters=True)
    assert with_filters == {
        ("silver.invoice", "net"): 1,
        ("silver.invoice", "partner_id"): 1,
        ("silver.partner", "partner_id"): 1,
        ("bronze.invoice", "amount"): 2,
        ("bronze.invoice", "partner_id"): 2,
        ("bronze.invoice", "status"): 2,
        ("bronze.partner", "id"): 2,
    }
    assert graph.downstream_columns("bronze.invoice", "amount") == {
        ("silver.invoice", "net"): 1,
        ("gold.revenue", "revenue"): 2,
        ("platinum.top", None): 3,
    }


def test_impact_of_dropping_a_filter_column(graph: LineageGraph) -> None:
    # bronze.invoice.status only filters silver.invoice: the whole table and all it feeds
    impact = graph.impact("bronze.invoice", "status")
    assert impact.tables == {"silver.invoice": 1, "gold.revenue": 2, "platinum.top": 3}
    # columns: those reached through column edges (gold.revenue is listed whole in tables)
    assert impact.columns == {("gold.revenue", "revenue"): 2, ("platinum.top", "name"): 3}


def test_impact_of_a_projected_column(graph: LineageGraph) -> None:
    impact = graph.impact("bronze.partner", "name")
    assert impact.columns == {
        ("silver.partner", "name"): 1,
        ("gold.revenue", "name"): 2,
        ("platinum.top", "name"): 3,
    }
    assert impact.tables == {"silver.partner": 1, "gold.revenue": 2, "platinum.top": 3}
    assert graph.impact("bronze.partner", "name", depth=1).tables == {"silver.partner": 1}
    assert graph.impact("nowhere", "x").tables == {}


def test_cycles_terminate() -> None:
    graph = LineageGraph(columns=[ColumnEdge("a", "x", "b", "x"), ColumnEdge("b", "x", "a", "x")])
    assert graph.downstream_columns("a", "x") == {("b", "x"): 1}
    assert graph.downstream_tables("a") == {"b": 1}
