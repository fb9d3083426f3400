"""Walk sqlglot scopes of one *qualified* query back to base-table columns.

Internal to :mod:`ipwb.sql.lineage`. sqlglot's own ``sqlglot.lineage`` builds a node tree
per output column but does not say *how* a value was derived nor which columns only
filter or join rows; this resolver answers exactly what the catalog stores:
``{(base table, base column): kind}`` for every output column, plus the base columns
that act as filters (WHERE / JOIN … ON / HAVING / QUALIFY, and subqueries there).

Kinds are ranked ``direct < derived < aggregate``; along a chain of CTEs and subqueries
the strongest wins (an aggregate of a renamed column is an aggregate).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, ScopeType, find_all_in_scope

DIRECT, DERIVED, AGGREGATE, FILTER = "direct", "derived", "aggregate", "filter"
_RANK = {DIRECT: 0, DERIVED: 1, AGGREGATE: 2}

#: (table name, column name) of a base table
BaseColumn = tuple[str, str]
#: a base column and how the value was obtained from it
Sources = dict[BaseColumn, str]


def stronger(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def merge_into(target: Sources, more: Sources, through: str = DIRECT) -> None:
    """Add ``more`` to ``target``, each kind strengthened by ``through``, keeping the strongest."""
    for key, kind in more.items():
        strongest = stronger(kind, through)
        target[key] = stronger(target[key], strongest) if key in target else strongest


def quote_part(part: str) -> str:
    """Dotted names stay readable; a part containing a dot or quote is double-quoted."""
    if "." in part or '"' in part:
        return '"' + part.replace('"', '""') + '"'
    return part


def table_name(table: exp.Table) -> str:
    """``catalog.schema.name`` with the parts that are present.

    >>> import sqlglot
    >>> table_name(sqlglot.parse_one('SELECT 1 FROM "a.b".c').find(exp.Table))
    '"a.b".c'
    """
    return ".".join(quote_part(p) for p in (table.catalog, table.db, table.name) if p)


def classify(expression: exp.Expr) -> str:
    """How one projection derives its value from the columns it mentions (this scope only)."""
    node = expression.unalias() if isinstance(expression, exp.Alias) else expression
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column | exp.Subquery):
        return DIRECT
    for agg in find_all_in_scope(node, exp.AggFunc):
        if not agg.find_ancestor(exp.Window):
            return AGGREGATE
    return DERIVED


@dataclasses.dataclass
class Resolver:
    """Resolves columns of qualified scopes; ``report(kind, message)`` collects problems.

    ``known_columns(table)`` returns the catalog's columns of a base table, or ``None``
    when the table is not in the catalog (then any column name is accepted).
    """

    report: Callable[[str, str], None]
    known_columns: Callable[[str], frozenset[str] | None]
    root: Scope
    _memo: dict[tuple[int, str | int], Sources] = dataclasses.field(default_factory=dict)
    #: expression id → the traversed scope of it (a recursive CTE's self-reference is a
    #: second, source-less Scope over the anchor query; resolve through the real one)
    _canonical: dict[int, Scope] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for scope in self.root.traverse():
            self._canonical.setdefault(id(scope.expression), scope)

    def output_names(self, scope: Scope) -> list[str]:
        return list(_selectable(scope).named_selects)

    def resolve_output(self, scope: Scope, column: str | int) -> Sources:
        """Base columns feeding output ``column`` (name or position) of ``scope``."""
        scope = self._canonical.get(id(scope.expression), scope)
        key = (id(scope), column)
        if key not in self._memo:
            self._memo[key] = {}  # cycle guard (recursive CTEs)
            self._memo[key] = self._resolve_output(scope, column)
        return self._memo[key]

    def _resolve_output(self, scope: Scope, column: str | int) -> Sources:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            return self._resolve_set_operation(scope, column)
        if not isinstance(expression, exp.Select):
            # e.g. a parenthesised query: its only child scope answers
            return self.resolve_output(scope.subquery_scopes[0], column) if scope.subquery_scopes else {}
        selects = expression.selects
        if isinstance(column, str) and scope.outer_columns and column in scope.outer_columns:
            column = scope.outer_columns.index(column)
        if isinstance(column, int):
            projection = selects[column] if column < len(selects) else None
        else:
            projection = next((s for s in selects if s.alias_or_name == column), None)
            if projection is None:
                return self._through_star(scope, column)
        return {} if projection is None else self.sources_of(scope, projection, classify(projection))

    def _resolve_set_operation(self, scope: Scope, column: str | int) -> Sources:
        """UNION/INTERSECT/EXCEPT: the same position in every branch."""
        index = column if isinstance(column, int) else self._index_of(scope, column)
        result: Sources = {}
        if index is not None:
            for branch in scope.set_operation_scopes:
                merge_into(result, self.resolve_output(branch, index))
        return result

    def _index_of(self, scope: Scope, column: str) -> int | None:
        names = self.output_names(scope)
        return names.index(column) if column in names else None

    def _through_star(self, scope: Scope, column: str) -> Sources:
        """``column`` of an unexpanded ``SELECT *`` (no catalog): pass through one source."""
        if not _selectable(scope).is_star:
            return {}
        selected = list(scope.selected_sources.values())
        if len(selected) == 1:
            return self._from_source(selected[0][1], column, None)
        self.report("ambiguous_column", f"Column {column!r} comes from a SELECT * over several sources")
        return {}

    def sources_of(self, scope: Scope, expression: exp.Expr, kind: str) -> Sources:
        """Base columns that ``expression`` (evaluated in ``scope``) reads, with ``kind``."""
        result: Sources = {}
        for column in find_all_in_scope(expression, exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            merge_into(result, self.column_sources(scope, column), kind)
        subquery_scopes = {id(s.expression): s for s in scope.subquery_scopes}
        for query in find_all_in_scope(expression, *exp.UNWRAPPED_QUERIES):
            sub = subquery_scopes.get(id(query))
            if sub is None:
                continue
            for position in range(len(_selectable(sub).selects)):
                merge_into(result, self.resolve_output(sub, position), kind)
        return result

    def column_sources(self, scope: Scope, column: exp.Column) -> Sources:
        """Base columns behind one column reference (looking outwards for correlation)."""
        name = column.name
        if not column.table:
            selected = list(scope.selected_sources.values())
            if len(selected) == 1:
                return self._from_source(selected[0][1], name, column)
            if any(
                isinstance(s, exp.Table) and self.known_columns(table_name(s)) is None for _, s in selected
            ):
                self.report("ambiguous_column", f"Cannot tell which table column {name!r} comes from")
            else:
                self.report("unknown_column", f"Column {name!r} is not in any table of its query")
            return {}
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(column.table)
            if source is not None:
                return self._from_source(source, name, column)
            current = current.parent
        self.report("unknown_column", f"Column {column.sql()!r} refers to an unknown table alias")
        return {}

    def _from_source(self, source: exp.Table | Scope, name: str, column: exp.Column | None) -> Sources:
        if isinstance(source, Scope):
            return self.resolve_output(source, name)
        if not isinstance(source, exp.Table):
            return {}
        table = table_name(source)
        known = self.known_columns(table)
        if known is not None and name not in known:
            self.report("unknown_column", f"Column {name!r} is not in the catalog for {table}")
            return {}
        return {(table, name): DIRECT}

    def filter_sources(self) -> Sources:
        """Base columns that decide *which rows* reach the output (kind ``filter``)."""
        result: Sources = {}
        for scope in self.root.traverse():
            expression = scope.expression
            if isinstance(expression, exp.Select):
                for clause in _filter_clauses(expression):
                    merge_into(result, self.sources_of(scope, clause, DIRECT))
            if scope.scope_type == ScopeType.SUBQUERY and _in_filter_position(expression):
                for position in range(len(_selectable(scope).selects)):
                    merge_into(result, self.resolve_output(scope, position))
        return dict.fromkeys(result, FILTER)


def base_tables(root: Scope) -> Iterator[str]:
    """Names of every base table the query reads (CTE names excluded)."""
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and source.name:
                yield table_name(source)


def _selectable(scope: Scope) -> exp.Query:
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    while isinstance(expression, exp.Subquery):
        expression = expression.this
    return expression if isinstance(expression, exp.Query) else exp.select()


def _filter_clauses(select: exp.Select) -> Iterator[exp.Expr]:
    for key in ("where", "having", "qualify"):
        clause = select.args.get(key)
        if clause is not None:
            yield clause
    # joins of this query, including parenthesised join trees ``FROM (a JOIN b ON …)``
    # (pg_get_viewdef writes those), but not joins inside subqueries (their own scope)
    for join in find_all_in_scope(select, exp.Join):
        for key in ("on", "using"):
            value = join.args.get(key)
            if isinstance(value, list):
                yield from value
            elif value is not None:
                yield value


def _in_filter_position(query: exp.Expr) -> bool:
    """Whether a subquery sits in WHERE/HAVING/QUALIFY/ON of its parent query."""
    node = query.parent
    while node is not None and not isinstance(node, exp.UNWRAPPED_QUERIES):
        if isinstance(node, exp.Where | exp.Having | exp.Qualify | exp.Join):
            return True
        node = node.parent
    return False
