"""Neo4j mirror: Cypher/parameter generation, no-op when unset, clear error when unreachable."""

from __future__ import annotations

import socket

import pytest

from ipwb.errors import IntegrationError
from ipwb.integrations.neo4j_lineage import (
    COLUMN_EDGES_CYPHER,
    FILTER_EDGES_CYPHER,
    TABLE_EDGES_CYPHER,
    Neo4jLineageMirror,
    build_statements,
)
from ipwb.sql.lineage import ColumnEdge, TableEdge, extract_lineage


def test_statements_are_parameterised_merges() -> None:
    result = extract_lineage("INSERT INTO gold.t (x) SELECT a FROM silver.s WHERE b > 0")
    statements = build_statements(result.tables, result.columns, origin="pipeline:demo")
    assert statements == [
        (
            TABLE_EDGES_CYPHER,
            {"edges": [{"source": "silver.s", "target": "gold.t"}], "origin": "pipeline:demo"},
        ),
        (
            COLUMN_EDGES_CYPHER,
            {
                "edges": [
                    {
                        "source_table": "silver.s",
                        "source_column": "a",
                        "target_table": "gold.t",
                        "target_column": "x",
                        "kind": "direct",
                    }
                ],
                "origin": "pipeline:demo",
            },
        ),
        (
            FILTER_EDGES_CYPHER,
            {
                "edges": [
                    {
                        "source_table": "silver.s",
                        "source_column": "b",
                        "target_table": "gold.t",
                        "target_column": None,
                        "kind": "filter",
                    }
                ],
                "origin": "pipeline:demo",
            },
        ),
    ]
    for cypher, _ in statements:
        assert "MERGE" in cypher and "CREATE (" not in cypher
        assert "silver" not in cypher  # data only ever travels as parameters


def test_hostile_names_stay_in_parameters() -> None:
    evil = "x}) DETACH DELETE n //"
    [(cypher, params)] = build_statements([TableEdge(evil, "t")], [])
    assert evil not in cypher
    assert params["edges"] == [{"source": evil, "target": "t"}]


def test_batching_and_dedup() -> None:
    edges = [ColumnEdge("s", f"c{i}", "t", f"c{i}") for i in range(5)]
    statements = build_statements([], [*edges, *edges], batch_size=2)
    assert [len(p["edges"]) for _, p in statements] == [2, 2, 1]
    assert build_statements([], []) == []


def test_unconfigured_mirror_is_a_noop() -> None:
    for uri in (None, "", "   "):
        mirror = Neo4jLineageMirror(uri)
        assert not mirror.enabled
        report = mirror.push([TableEdge("a", "b")], [])
        assert report.skipped and report.statements == 0
        assert "not configured" in report.message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_an_integration_error() -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    mirror = Neo4jLineageMirror(uri, password="s3cret", timeout=2)
    with pytest.raises(IntegrationError, match=r"Cannot reach Neo4j at bolt://127\.0\.0\.1") as exc:
        mirror.push([TableEdge("a", "b")], [])
    assert "s3cret" not in str(exc.value)
    assert "s3cret" not in repr(mirror)


def test_invalid_uri_is_an_integration_error() -> None:
    with pytest.raises(IntegrationError, match="Invalid Neo4j URI"):
        Neo4jLineageMirror("ftp://127.0.0.1:7687").push([TableEdge("a", "b")], [])
