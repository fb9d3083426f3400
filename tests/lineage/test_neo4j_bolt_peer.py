"""The Neo4j lineage mirror through the real ``neo4j`` driver against the loopback Bolt peer.

The peer (``ipwb.testing.bolt_peer``) speaks Bolt 5.4 + PackStream v1; these tests assert on
what it really received: handshake, auth, transactions, query text and parameters.
"""

from __future__ import annotations

import copy
import doctest
import io
import socket
from collections.abc import Iterator

import neo4j
import pytest

import ipwb.testing.bolt_peer
from ipwb.errors import IntegrationError
from ipwb.integrations.neo4j_lineage import (
    COLUMN_EDGES_CYPHER,
    FILTER_EDGES_CYPHER,
    SCHEMA_STATEMENTS,
    TABLE_EDGES_CYPHER,
    Neo4jLineageMirror,
    build_statements,
)
from ipwb.sql.lineage import ColumnEdge, TableEdge, extract_lineage
from ipwb.testing.bolt_peer import MAGIC, BoltPeer, Structure, frame, pack, unpack

PASSWORD = "peer-pw-7f3a"
SQL = """INSERT INTO gold.revenue (customer, total)
SELECT c.name, SUM(i.amount) FROM silver.invoice i JOIN silver.customer c ON c.id = i.customer_id
WHERE i.state = 'posted' GROUP BY c.name"""


@pytest.fixture
def peer() -> Iterator[BoltPeer]:
    with BoltPeer(user="neo4j", password=PASSWORD) as server:
        yield server


def _mirror(peer: BoltPeer, password: str = PASSWORD) -> Neo4jLineageMirror:
    return Neo4jLineageMirror(peer.uri, user="neo4j", password=password, timeout=5)


# -- PackStream / framing ------------------------------------------------------------------------
BOUNDARY_VALUES = [
    None,
    True,
    False,
    0,
    -16,
    -17,
    127,
    128,
    -128,
    -129,
    32767,
    32768,
    -(2**31),
    2**31,
    2**63 - 1,
    -(2**63),
    0.0,
    -1.5,
    1e300,
    "",
    "x" * 15,
    "x" * 16,
    "é" * 200,
    "y" * 70_000,
    b"",
    b"\x00\xff" * 200,
    [],
    list(range(16)),
    list(range(300)),
    {},
    {f"k{i}": i for i in range(16)},
    {"nested": [{"a": None, "b": [1.5, "s", {"c": False}]}], "": -1},
]


@pytest.mark.parametrize("value", BOUNDARY_VALUES, ids=lambda v: repr(v)[:30])
def test_packstream_round_trip_and_matches_the_driver(value: object) -> None:
    codec = pytest.importorskip("neo4j._codec.packstream.v1")
    encoded = pack(value)
    assert unpack(encoded) == value
    buffer = io.BytesIO()
    codec.Packer(buffer).pack(value)
    assert encoded == buffer.getvalue()  # byte for byte what the real driver sends
    assert codec.Unpacker(codec.UnpackableBuffer(encoded)).unpack() == value


def test_structures_and_chunking() -> None:
    message = Structure(0x10, ("RETURN $x", {"x": [1, "two"]}, {}))
    encoded = pack(message)
    assert encoded[:2] == b"\xb3\x10"
    assert unpack(encoded) == message
    framed = frame(b"z" * 70_000)
    assert framed[:2] == b"\xff\xff" and framed[-2:] == b"\x00\x00"
    assert len(framed) == 2 + 0xFFFF + 2 + (70_000 - 0xFFFF) + 2
    with pytest.raises(ValueError, match="trailing"):
        unpack(encoded + b"\xc0")
    with pytest.raises(TypeError):
        pack(object())


def test_doctests() -> None:
    result = doctest.testmod(ipwb.testing.bolt_peer)
    assert result.failed == 0 and result.attempted > 0


# -- the mirror through the real driver --------------------------------------------------------
def test_mirror_sends_parameterised_merges_in_a_committed_transaction(peer: BoltPeer) -> None:
    lineage = extract_lineage(SQL)
    report = _mirror(peer).push(lineage.tables, lineage.columns, origin="pipeline:revenue")

    expected = build_statements(lineage.tables, lineage.columns, origin="pipeline:revenue")
    assert report.statements == len(expected) == 3
    assert peer.log[:2] == ["HELLO", "LOGON"]
    assert peer.user_agents[0].startswith(f"neo4j-python/{neo4j.__version__}")
    assert {"TELEMETRY", "BEGIN", "COMMIT"} <= set(peer.log)
    assert "ROLLBACK" not in peer.log and "RESET" not in peer.log
    # schema statements run auto-commit, then one explicit transaction carries the edges
    schema, edges = peer.transactions[:-1], peer.transactions[-1]
    assert [tx.runs[0].query for tx in schema] == list(SCHEMA_STATEMENTS)
    assert not any(tx.explicit for tx in schema) and edges.explicit
    assert [(run.query, run.parameters) for run in edges.runs] == expected
    assert [run.query for run in edges.runs] == [TABLE_EDGES_CYPHER, COLUMN_EDGES_CYPHER, FILTER_EDGES_CYPHER]
    assert peer.graph.constraints == {"ipwb_table_name", "ipwb_column_key"}

    rels = peer.graph.rels
    invoice, revenue = ("IpwbTable", "silver.invoice"), ("IpwbTable", "gold.revenue")
    assert rels[("FEEDS", invoice, revenue)] == {"origin": "pipeline:revenue"}
    assert ("FEEDS", ("IpwbTable", "silver.customer"), revenue) in rels
    amount, total = ("IpwbColumn", "silver.invoice", "amount"), ("IpwbColumn", "gold.revenue", "total")
    assert rels[("FLOWS_TO", amount, total, "aggregate")] == {"origin": "pipeline:revenue"}
    assert ("COLUMN_OF", amount, invoice) in rels and ("COLUMN_OF", total, revenue) in rels
    assert ("FILTERS", ("IpwbColumn", "silver.invoice", "state"), revenue) in rels
    for query in (run.query for run in peer.runs):
        assert "silver" not in query and "gold" not in query and "posted" not in query


def test_mirroring_twice_leaves_the_graph_unchanged(peer: BoltPeer) -> None:
    lineage = extract_lineage(SQL)
    mirror = _mirror(peer)
    mirror.push(lineage.tables, lineage.columns)
    first = copy.deepcopy(peer.graph)
    committed = len(peer.transactions)
    assert first.rels and first.nodes

    mirror.push(lineage.tables, lineage.columns)
    assert len(peer.transactions) == 2 * committed  # really sent again ...
    assert peer.transactions[-1].runs == peer.transactions[committed - 1].runs
    assert peer.graph == first  # ... and MERGE left the graph as it was

    mirror.push([TableEdge("silver.invoice", "gold.other")], [])
    assert len(peer.graph.nodes) == len(first.nodes) + 1  # the model does react to new edges


def test_wrong_password_is_a_clear_integration_error_without_the_secret(peer: BoltPeer) -> None:
    wrong = "wrong-pw-91c2"
    mirror = _mirror(peer, password=wrong)
    with pytest.raises(IntegrationError, match="unauthorized") as exc:
        mirror.push([TableEdge("a", "b")], [])
    message = str(exc.value)
    assert peer.uri in message
    assert wrong not in message and PASSWORD not in message and wrong not in repr(mirror)
    assert peer.log == ["HELLO", "LOGON"]  # refused at LOGON: nothing ran
    assert peer.transactions == []


def test_missing_password_is_refused_too(peer: BoltPeer) -> None:
    with pytest.raises(IntegrationError, match="refused the lineage mirror"):
        _mirror(peer, password="").push([TableEdge("a", "b")], [])
    assert peer.transactions == []


def test_failing_statement_rolls_back_the_whole_transaction(peer: BoltPeer) -> None:
    peer.fail_next_run(message="Invalid input 'FLOWS_TO': expected ...", match="FLOWS_TO")
    lineage = extract_lineage(SQL)
    with pytest.raises(IntegrationError, match="refused the lineage mirror: Invalid input 'FLOWS_TO'"):
        _mirror(peer).push(lineage.tables, lineage.columns)
    # the table edges ran before the failing statement, in the same transaction: not committed
    assert all(not tx.explicit for tx in peer.transactions)
    assert [run.query for run in peer.runs] == list(SCHEMA_STATEMENTS)
    assert not peer.graph.rels and not peer.graph.nodes
    assert peer.log.count("RUN") == len(SCHEMA_STATEMENTS) + 2  # the failing one was the 2nd in the tx
    assert "COMMIT" not in peer.log and "RESET" in peer.log  # the driver reset the failed connection

    # the next mirror run on the same server works and is complete
    _mirror(peer).push(lineage.tables, lineage.columns)
    assert peer.transactions[-1].explicit and len(peer.transactions[-1].runs) == 3


def test_hostile_names_travel_only_as_parameters(peer: BoltPeer) -> None:
    evil_table = "x'}) DETACH DELETE n //"
    evil_column = '`c` }]->() MATCH (m) DELETE m RETURN "'
    _mirror(peer).push(
        [TableEdge(evil_table, "gold.t")], [ColumnEdge(evil_table, evil_column, "gold.t", "y")]
    )
    for run in peer.runs:
        assert "DETACH" not in run.query and "DELETE" not in run.query
    edges = peer.transactions[-1].runs
    assert edges[0].parameters["edges"] == [{"source": evil_table, "target": "gold.t"}]
    assert edges[1].parameters["edges"][0]["source_column"] == evil_column
    assert ("IpwbTable", evil_table) in peer.graph.nodes
    assert ("IpwbColumn", evil_table, evil_column) in peer.graph.nodes


# -- the peer's own protocol behaviour through the driver ----------------------------------------
def test_rolled_back_transactions_are_not_recorded_and_bookmarks_chain(peer: BoltPeer) -> None:
    with neo4j.GraphDatabase.driver(peer.uri, auth=("neo4j", PASSWORD)) as driver:
        with driver.session() as session:
            with session.begin_transaction() as tx:
                tx.run("CREATE (n {name: $n})", {"n": "dropped"}).consume()
                tx.rollback()
            with session.begin_transaction() as tx:
                tx.run("CREATE (n {name: $n})", {"n": "kept"}).consume()
                tx.commit()
            session.run("RETURN $x", {"x": 1}).consume()
        assert driver.verify_authentication(auth=("neo4j", "nope")) is False
        assert driver.verify_authentication(auth=("neo4j", PASSWORD)) is True
    assert "ROLLBACK" in peer.log and "LOGOFF" in peer.log
    kept, auto = peer.transactions
    assert [run.parameters for run in kept.runs] == [{"n": "kept"}]
    assert auto.runs[0].extra["bookmarks"] == [kept.bookmark]


def test_handshake_on_a_raw_socket(peer: BoltPeer) -> None:
    host, port = peer.uri.removeprefix("bolt://").split(":")
    offer = b"\x00\x08\x08\x05" + b"\x00" * 12  # 5.0 to 5.8, as the driver offers it
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(MAGIC + offer)
        assert sock.recv(4) == b"\x00\x00\x04\x05"  # Bolt 5.4 chosen
        sock.sendall(frame(pack(Structure(0x10, ("RETURN 1", {}, {})))))  # RUN before HELLO/LOGON
        reply = unpack(sock.recv(4096)[2:-2])
    assert reply.tag == 0x7F and reply.fields[0]["code"] == "Neo.ClientError.Security.Unauthorized"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(MAGIC + b"\x00\x00\x04\x04" + b"\x00" * 12)  # only Bolt 4.4 offered
        assert sock.recv(4) == b"\x00" * 4  # no common version
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /xy HTTP/1.0\r\n\r\n")  # 20 bytes, as many as a Bolt opening
        assert sock.recv(4) == b""  # not a Bolt client: closed without an answer
