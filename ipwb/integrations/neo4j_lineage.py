"""Optional Neo4j mirror of the lineage graph (PostgreSQL stays the source of truth).

Writes are idempotent ``MERGE`` statements with parameters only (labels and relationship
types are fixed here, never built from data), batched with ``UNWIND`` so one round trip
carries many edges. Without a URI the mirror is a no-op that says so; an unreachable or
refusing server raises :class:`~ipwb.errors.IntegrationError` with the URI (never the
password) and the driver's reason.

Graph shape::

    (:IpwbTable {name})-[:FEEDS]->(:IpwbTable {name})
    (:IpwbColumn {table, name})-[:COLUMN_OF]->(:IpwbTable)
    (:IpwbColumn)-[:FLOWS_TO {kind}]->(:IpwbColumn)
    (:IpwbColumn)-[:FILTERS]->(:IpwbTable)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ipwb.errors import IntegrationError
from ipwb.sql.lineage import ColumnEdge, TableEdge, edge_sort_key

#: edges per UNWIND batch
BATCH_SIZE = 1000

SCHEMA_STATEMENTS: tuple[str, ...] = (
    "CREATE CONSTRAINT ipwb_table_name IF NOT EXISTS FOR (t:IpwbTable) REQUIRE t.name IS UNIQUE",
    "CREATE CONSTRAINT ipwb_column_key IF NOT EXISTS FOR (c:IpwbColumn) REQUIRE (c.table, c.name) IS UNIQUE",
)

TABLE_EDGES_CYPHER = """UNWIND $edges AS e
MERGE (s:IpwbTable {name: e.source})
MERGE (t:IpwbTable {name: e.target})
MERGE (s)-[r:FEEDS]->(t)
SET r.origin = $origin"""

COLUMN_EDGES_CYPHER = """UNWIND $edges AS e
MERGE (st:IpwbTable {name: e.source_table})
MERGE (tt:IpwbTable {name: e.target_table})
MERGE (sc:IpwbColumn {table: e.source_table, name: e.source_column})
MERGE (tc:IpwbColumn {table: e.target_table, name: e.target_column})
MERGE (sc)-[:COLUMN_OF]->(st)
MERGE (tc)-[:COLUMN_OF]->(tt)
MERGE (sc)-[r:FLOWS_TO {kind: e.kind}]->(tc)
SET r.origin = $origin"""

FILTER_EDGES_CYPHER = """UNWIND $edges AS e
MERGE (st:IpwbTable {name: e.source_table})
MERGE (tt:IpwbTable {name: e.target_table})
MERGE (sc:IpwbColumn {table: e.source_table, name: e.source_column})
MERGE (sc)-[:COLUMN_OF]->(st)
MERGE (sc)-[r:FILTERS]->(tt)
SET r.origin = $origin"""

Statement = tuple[str, dict[str, Any]]


@dataclasses.dataclass(frozen=True, slots=True)
class MirrorReport:
    skipped: bool
    message: str
    statements: int = 0


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def build_statements(
    tables: Iterable[TableEdge],
    columns: Iterable[ColumnEdge],
    origin: str = "ipwb",
    batch_size: int = BATCH_SIZE,
) -> list[Statement]:
    """The Cypher (with parameters) that mirrors the edges; safe to run any number of times.

    >>> [(q.split()[0], p["edges"]) for q, p in build_statements([TableEdge("a", "b")], [])]
    [('UNWIND', [{'source': 'a', 'target': 'b'}])]
    """
    table_rows = [{"source": e.source, "target": e.target} for e in sorted(set(tables))]
    flow_rows: list[dict[str, Any]] = []
    filter_rows: list[dict[str, Any]] = []
    for edge in sorted(set(columns), key=edge_sort_key):
        row = dataclasses.asdict(edge)
        (filter_rows if edge.target_column is None else flow_rows).append(row)
    statements: list[Statement] = []
    for cypher, rows in (
        (TABLE_EDGES_CYPHER, table_rows),
        (COLUMN_EDGES_CYPHER, flow_rows),
        (FILTER_EDGES_CYPHER, filter_rows),
    ):
        statements.extend(
            (cypher, {"edges": batch, "origin": origin}) for batch in _batches(rows, batch_size)
        )
    return statements


class Neo4jLineageMirror:
    """Mirror lineage edges into Neo4j when a URI is configured.

    >>> Neo4jLineageMirror(None).push([], []).message
    'Neo4j mirror not configured (no URI): skipped'
    """

    def __init__(
        self,
        uri: str | None,
        user: str = "neo4j",
        password: str = "",
        database: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.uri = (uri or "").strip() or None
        self.user = user
        self._password = password
        self.database = database
        self.timeout = timeout

    @property
    def enabled(self) -> bool:
        return self.uri is not None

    def __repr__(self) -> str:
        return f"Neo4jLineageMirror(uri={self.uri!r}, user={self.user!r})"

    def _driver(self) -> Any:
        try:
            import neo4j  # noqa: PLC0415 - optional dependency, imported only when used
        except ImportError:
            raise IntegrationError("The neo4j Python driver is not installed (pip install neo4j)") from None
        try:
            return neo4j.GraphDatabase.driver(
                str(self.uri),
                auth=(self.user, self._password) if self._password else None,
                connection_timeout=self.timeout,
                connection_acquisition_timeout=self.timeout,
                max_transaction_retry_time=self.timeout,
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise IntegrationError(f"Invalid Neo4j URI {self.uri!r}: {exc}") from None

    def run(self, statements: Sequence[Statement]) -> int:
        """Execute ``statements`` in one write transaction; returns how many ran."""
        if not self.enabled:
            return 0
        import neo4j  # noqa: PLC0415

        driver = self._driver()
        try:
            driver.verify_connectivity()
            with driver.session(database=self.database) as session:
                for query in SCHEMA_STATEMENTS:
                    session.run(query).consume()
                with session.begin_transaction() as tx:
                    for query, params in statements:
                        tx.run(query, params).consume()
                    tx.commit()
        except neo4j.exceptions.Neo4jError as exc:
            raise IntegrationError(f"Neo4j at {self.uri} refused the lineage mirror: {exc.message}") from None
        except (neo4j.exceptions.DriverError, OSError) as exc:
            raise IntegrationError(f"Cannot reach Neo4j at {self.uri}: {exc}") from None
        finally:
            driver.close()
        return len(statements)

    def push(
        self, tables: Iterable[TableEdge], columns: Iterable[ColumnEdge], origin: str = "ipwb"
    ) -> MirrorReport:
        """Mirror the edges, or report that the mirror is not configured."""
        if not self.enabled:
            return MirrorReport(True, "Neo4j mirror not configured (no URI): skipped")
        count = self.run(build_statements(tables, columns, origin))
        return MirrorReport(False, f"Mirrored lineage to Neo4j at {self.uri} ({count} statement(s))", count)
