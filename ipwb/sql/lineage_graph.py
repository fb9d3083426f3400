"""Traverse lineage edges: upstream/downstream with a depth limit, and impact analysis.

Pure and in memory, for the CLI, tests and small graphs; the Odoo store answers the
same questions with recursive SQL over ``ipwb.lineage.edge`` and must agree with these
semantics:

* a **node** is ``(table, column)``, or ``(table, None)`` for a table as a whole;
* column edges of kind ``filter`` point at ``(target_table, None)``: the column decides
  which rows arrive, so the whole target depends on it;
* **impact** ("what breaks if I drop this column") follows column edges, and once a
  table as a whole is hit (through a filter) everything reading that table is hit too.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import TypeVar

from ipwb.sql.lineage import ColumnEdge, LineageResult, TableEdge

Node = tuple[str, str | None]
T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Impact:
    """Everything downstream of a column, each with its distance in edges (1 = direct).

    ``tables`` holds every affected relation (also those hit as a whole through a
    filter); ``columns`` the columns reached through column edges.
    """

    columns: dict[tuple[str, str], int]
    tables: dict[str, int]


class LineageGraph:
    """Adjacency over table edges and column edges (duplicates collapse).

    >>> g = LineageGraph(columns=[ColumnEdge("a", "x", "b", "y"), ColumnEdge("b", "y", "c", "z")])
    >>> g.downstream_tables("a")
    {'b': 1, 'c': 2}
    >>> g.upstream_columns("c", "z", depth=1)
    {('b', 'y'): 1}
    """

    def __init__(self, columns: Iterable[ColumnEdge] = (), tables: Iterable[TableEdge] = ()) -> None:
        self._table_down: dict[str, set[str]] = defaultdict(set)
        self._table_up: dict[str, set[str]] = defaultdict(set)
        self._col_down: dict[Node, set[Node]] = defaultdict(set)
        self._col_up: dict[Node, set[Node]] = defaultdict(set)
        #: columns of each table that have outgoing edges (to expand a whole-table node)
        self._table_columns: dict[str, set[Node]] = defaultdict(set)
        for table_edge in tables:
            self._add_table(table_edge.source, table_edge.target)
        for edge in columns:
            source: Node = (edge.source_table, edge.source_column)
            target: Node = (edge.target_table, edge.target_column)
            self._col_down[source].add(target)
            self._col_up[target].add(source)
            self._table_columns[edge.source_table].add(source)
            self._add_table(edge.source_table, edge.target_table)

    @classmethod
    def from_result(cls, result: LineageResult) -> LineageGraph:
        return cls(result.columns, result.tables)

    def _add_table(self, source: str, target: str) -> None:
        if source != target:
            self._table_down[source].add(target)
            self._table_up[target].add(source)

    def upstream_tables(self, table: str, depth: int | None = None) -> dict[str, int]:
        return _bfs(table, lambda t: self._table_up.get(t, set()), depth)

    def downstream_tables(self, table: str, depth: int | None = None) -> dict[str, int]:
        return _bfs(table, lambda t: self._table_down.get(t, set()), depth)

    def upstream_columns(
        self, table: str, column: str | None, depth: int | None = None, include_filters: bool = False
    ) -> dict[Node, int]:
        """Columns feeding ``table.column``; with ``include_filters`` also those filtering ``table``."""

        def up(node: Node) -> set[Node]:
            found = set(self._col_up.get(node, ()))
            if include_filters:
                found |= self._col_up.get((node[0], None), set())
            return found

        start: Node = (table, column)
        return _bfs(start, up, depth)

    def downstream_columns(self, table: str, column: str, depth: int | None = None) -> dict[Node, int]:
        """Column nodes (and whole-table nodes, through filters) fed by ``table.column``."""
        start: Node = (table, column)
        return _bfs(start, lambda n: self._col_down.get(n, set()), depth)

    def impact(self, table: str, column: str, depth: int | None = None) -> Impact:
        """What depends on ``table.column``, transitively (see the module docstring).

        >>> g = LineageGraph(columns=[
        ...     ColumnEdge("s", "id", "v", None, "filter"), ColumnEdge("v", "n", "w", "n"),
        ...     ColumnEdge("s", "amt", "v", "amt")])
        >>> g.impact("s", "id")
        Impact(columns={('w', 'n'): 2}, tables={'v': 1, 'w': 2})
        """

        def down(node: Node) -> set[Node]:
            if node[1] is None:  # a whole table is affected: so is everything it feeds
                return {t for source in self._table_columns.get(node[0], ()) for t in self._col_down[source]}
            return self._col_down.get(node, set())

        start: Node = (table, column)
        reached = _bfs(start, down, depth)
        columns = {(t, c): d for (t, c), d in reached.items() if c is not None}
        tables: dict[str, int] = {}
        for (t, _c), d in reached.items():
            tables[t] = min(d, tables.get(t, d))
        return Impact(columns=columns, tables=tables)


def _bfs(start: T, neighbours: Callable[[T], Iterable[T]], depth: int | None) -> dict[T, int]:
    """Breadth-first distances from ``start`` (excluded), at most ``depth`` edges away."""
    seen: dict[T, int] = {}
    queue: deque[tuple[T, int]] = deque([(start, 0)])
    while queue:
        node, distance = queue.popleft()
        if depth is not None and distance >= depth:
            continue
        for nxt in sorted(neighbours(node), key=repr):
            if nxt != start and nxt not in seen:
                seen[nxt] = distance + 1
                queue.append((nxt, distance + 1))
    return seen
