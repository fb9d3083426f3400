"""Table- and column-level lineage of SQL statements, with sqlglot.

:func:`extract_lineage` parses a script (one or more statements), qualifies each query
against an optional catalog (``{schema: {table: {column: type}}}``, e.g.
:meth:`ipwb.warehouse.introspect.Snapshot.to_lineage_schema`) so ``*`` expands and
unqualified columns resolve, then walks the query's scopes back to base-table columns.

Targets: ``INSERT … SELECT`` → the inserted table, ``CREATE TABLE/VIEW/MATERIALIZED VIEW
… AS`` → the created relation, ``UPDATE … [FROM]`` and ``MERGE`` → the modified table; a
bare ``SELECT`` flows into the pseudo-target ``query_target``. Edges are plain frozen
dataclasses the catalog stores as-is; problems that do not stop extraction (ambiguous
or unknown columns, ``*`` without a catalog, statements without data flow) are listed in
:attr:`LineageResult.issues` instead of raising. Only unparseable SQL raises
:class:`~ipwb.errors.SqlSyntaxError` (with line and column).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from ipwb.errors import ConfigurationError, SqlSyntaxError
from ipwb.sql.lineage_scope import FILTER, Resolver, Sources, base_tables, stronger, table_name

#: column-edge kinds, weakest first; ``filter`` edges have ``target_column=None``
KINDS: tuple[str, ...] = ("direct", "derived", "aggregate", "filter")
DEFAULT_QUERY_TARGET = "query"

#: catalog shape: {schema: {table: {column: type}}} (or with a leading database level)
CatalogSchema = Mapping[str, Any]


@dataclasses.dataclass(frozen=True, order=True, slots=True)
class TableEdge:
    source: str
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnEdge:
    """``source_table.source_column`` flows into ``target_table.target_column``.

    ``kind``: ``direct`` (copied/renamed), ``derived`` (computed by an expression),
    ``aggregate`` (through an aggregate function) or ``filter`` (only decides which
    rows arrive: WHERE/JOIN/HAVING; then ``target_column`` is ``None``).
    """

    source_table: str
    source_column: str
    target_table: str
    target_column: str | None
    kind: str = "direct"


@dataclasses.dataclass(frozen=True, slots=True)
class LineageIssue:
    """A problem that weakened, but did not stop, extraction."""

    kind: str  # ambiguous_column | unknown_column | unknown_star | partial | no_data_flow | …
    message: str
    statement: int  # 0-based index of the statement in the script


@dataclasses.dataclass(frozen=True, slots=True)
class LineageResult:
    tables: tuple[TableEdge, ...] = ()
    columns: tuple[ColumnEdge, ...] = ()
    issues: tuple[LineageIssue, ...] = ()

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """JSON-ready form (the CLI's output)."""
        return {
            "tables": [dataclasses.asdict(e) for e in self.tables],
            "columns": [dataclasses.asdict(e) for e in self.columns],
            "issues": [dataclasses.asdict(i) for i in self.issues],
        }


def parse_script(sql: str, dialect: str = "postgres") -> list[exp.Expr]:
    """Parse ``sql`` into statements, or raise :class:`SqlSyntaxError` with line/column."""
    _check_dialect(dialect)
    try:
        statements = sqlglot.parse(sql, dialect=dialect)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = first.get("line"), first.get("col")
        what = first.get("description") or str(exc).splitlines()[0]
        where = f" at line {line}, column {col}" if line else ""
        raise SqlSyntaxError(f"Cannot parse SQL{where}: {what}", line, col) from None
    except TokenError as exc:
        raise SqlSyntaxError(f"Cannot tokenize SQL: {exc}") from None
    return [s for s in statements if s is not None]


def extract_lineage(
    sql: str,
    dialect: str = "postgres",
    *,
    schema: CatalogSchema | None = None,
    query_target: str = DEFAULT_QUERY_TARGET,
    default_schema: str | None = None,
    include_filters: bool = True,
) -> LineageResult:
    """Lineage of every statement in ``sql``.

    ``default_schema`` qualifies unqualified table names (e.g. ``"public"``); without it
    they stay as written. Identifiers are normalised like the dialect does (unquoted →
    lower case in PostgreSQL); catalog names are taken verbatim.

    >>> r = extract_lineage("INSERT INTO gold.t (total) SELECT sum(amount) FROM silver.s")
    >>> r.tables
    (TableEdge(source='silver.s', target='gold.t'),)
    >>> [(e.source_column, e.target_column, e.kind) for e in r.columns]
    [('amount', 'total', 'aggregate')]
    """
    _check_dialect(dialect)
    catalog = MappingSchema(dict(schema or {}), dialect=dialect, normalize=False)
    extractor = _Extractor(dialect, catalog, query_target, default_schema, include_filters)
    for index, statement in enumerate(parse_script(sql, dialect)):
        extractor.statement(index, statement)
    return extractor.result()


def extract_view_lineage(
    views: Iterable[tuple[str, str]],
    dialect: str = "postgres",
    *,
    schema: CatalogSchema | None = None,
    include_filters: bool = True,
) -> LineageResult:
    """Lineage of view bodies: ``(qualified view name, SELECT text)`` pairs.

    Feeds on :attr:`ipwb.warehouse.introspect.TableInfo.view_definition` (``pg_get_viewdef``
    output), so a catalog scan also yields the lineage of every view and materialized view.
    A definition that does not parse becomes an issue for that view, not an exception.

    >>> r = extract_view_lineage([("gold.v", " SELECT s.a AS b FROM silver.s;")])
    >>> [(e.source_table, e.source_column, e.target_table, e.target_column) for e in r.columns]
    [('silver.s', 'a', 'gold.v', 'b')]
    """
    _check_dialect(dialect)
    catalog = MappingSchema(dict(schema or {}), dialect=dialect, normalize=False)
    extractor = _Extractor(dialect, catalog, DEFAULT_QUERY_TARGET, None, include_filters)
    for index, (view, definition) in enumerate(views):
        extractor.index = index
        try:
            statements = parse_script(definition, dialect)
        except SqlSyntaxError as exc:
            extractor.report("parse_error", f"View {view}: {exc}")
            continue
        for statement in statements:
            if isinstance(statement, exp.Query):
                extractor.flow(statement, view, None)
    return extractor.result()


@dataclasses.dataclass
class _Extractor:
    dialect: str
    catalog: MappingSchema
    query_target: str
    default_schema: str | None
    include_filters: bool
    tables: set[TableEdge] = dataclasses.field(default_factory=set)
    columns: dict[tuple[str, str, str, str | None], str] = dataclasses.field(default_factory=dict)
    issues: list[LineageIssue] = dataclasses.field(default_factory=list)
    index: int = 0

    def result(self) -> LineageResult:
        return LineageResult(
            tables=tuple(sorted(self.tables)),
            columns=tuple(
                sorted((ColumnEdge(*k, kind) for k, kind in self.columns.items()), key=edge_sort_key)
            ),
            issues=tuple(self.issues),
        )

    def report(self, kind: str, message: str) -> None:
        issue = LineageIssue(kind, message, self.index)
        if issue not in self.issues:
            self.issues.append(issue)

    def known_columns(self, table: str) -> frozenset[str] | None:
        parts = _split(table)
        if not self.catalog.mapping or len(parts) < 2:
            return None
        try:
            names = self.catalog.column_names(exp.table_(parts[-1], db=parts[-2], catalog=_at(parts, -3)))
        except SqlglotError:
            return None
        return frozenset(names) if names else None

    # -- statements -------------------------------------------------------------------

    def statement(self, index: int, statement: exp.Expr) -> None:
        self.index = index
        if isinstance(statement, exp.Insert):
            self._insert(statement)
        elif isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
            self._create(statement)
        elif isinstance(statement, exp.Update):
            self._update(statement)
        elif isinstance(statement, exp.Merge):
            self._merge(statement)
        elif isinstance(statement, exp.Query):
            self.flow(statement, self.query_target, None)
        else:
            kind = type(statement).__name__.upper()
            self.report("no_data_flow", f"{kind} statement has no lineage")

    def _insert(self, insert: exp.Insert) -> None:
        query = insert.expression
        target, columns = self._target(insert.this)
        if not isinstance(query, exp.Query):
            self.report("no_data_flow", f"INSERT into {target} without a query (VALUES) has no lineage")
            return
        _move_with(insert, query)
        if not columns and self.known_columns(target):
            columns = self._catalog_order(target)
        self.flow(query, target, columns or None)  # None: the query's own output names

    def _create(self, create: exp.Create) -> None:
        target, columns = self._target(create.this)
        query = create.expression
        _move_with(create, query)
        self.flow(query, target, columns or None)

    def _update(self, update: exp.Update) -> None:
        target_expr = update.this
        target, _ = self._target(target_expr)
        names, select = [], exp.select().from_(target_expr.copy())
        for assignment in update.expressions:
            if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                names.append(_normalize(assignment.this, self.dialect))
                select = select.select(exp.alias_(assignment.expression.copy(), f"_ipwb_{len(names)}"))
        from_ = update.args.get("from_") or update.args.get("from")
        for source in from_.expressions if from_ and from_.expressions else [from_.this] if from_ else []:
            select = select.join(source.copy(), join_type="cross")
        where = update.args.get("where")
        if where is not None:
            select = select.where(where.this.copy())
        _move_with(update, select)
        self.flow(select, target, names)

    def _merge(self, merge: exp.Merge) -> None:
        target_expr = merge.this
        target, _ = self._target(target_expr)
        names: list[str] = []
        select = (
            exp.select()
            .from_(target_expr.copy())
            .join(merge.args["using"].copy(), on=merge.args["on"].copy())
        )
        whens = merge.args.get("whens")
        for when in whens.expressions if whens else []:
            then = when.args.get("then")
            pairs: list[tuple[exp.Expr, exp.Expr]] = []
            if isinstance(then, exp.Update):
                pairs = [(a.this, a.expression) for a in then.expressions if isinstance(a, exp.EQ)]
            elif isinstance(then, exp.Insert) and isinstance(then.this, exp.Tuple):
                values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
                pairs = list(zip(then.this.expressions, values, strict=False))
            for column, value in pairs:
                names.append(_normalize(column, self.dialect))
                select = select.select(exp.alias_(value.copy(), f"_ipwb_{len(names)}"))
        _move_with(merge, select)
        self.flow(select, target, names)

    # -- the common part --------------------------------------------------------------

    def _target(self, node: exp.Expr) -> tuple[str, list[str]]:
        columns: list[str] = []
        if isinstance(node, exp.Schema):
            columns = [
                _normalize(c, self.dialect)
                for c in node.expressions
                if isinstance(c, exp.Identifier | exp.ColumnDef)
            ]
            node = node.this
        table = node if isinstance(node, exp.Table) else node.find(exp.Table)
        if table is None:
            return self.query_target, columns
        qualified = qualify(exp.select("*").from_(table.copy()), dialect=self.dialect, db=self.default_schema)
        found = qualified.find(exp.Table)
        return table_name(found if found is not None else table), columns

    def _catalog_order(self, table: str) -> list[str]:
        parts = _split(table)
        return list(self.catalog.column_names(exp.table_(parts[-1], db=parts[-2], catalog=_at(parts, -3))))

    def flow(self, query: exp.Expr, target: str, columns: list[str] | None) -> None:
        """Record the edges of ``query`` flowing into ``target`` (columns by position)."""
        options: dict[str, Any] = {
            "dialect": self.dialect,
            "schema": self.catalog,
            "db": self.default_schema,
            "validate_qualify_columns": False,
            "identify": False,
        }
        try:
            qualified = qualify(query.copy(), **options)
        except OptimizeError as exc:
            self.report("partial", f"Columns only partly resolved: {exc}")
            qualified = qualify(query.copy(), qualify_columns=False, **options)
        root = build_scope(qualified)
        if root is None:
            self.report("no_data_flow", "Statement has no query to trace")
            return
        resolver = Resolver(self.report, self.known_columns, root)
        for source in base_tables(root):
            if source != target:
                self.tables.add(TableEdge(source, target))
        outputs = resolver.output_names(root)
        if any(name == "*" for name in outputs):
            self.report("unknown_star", f"SELECT * flowing into {target} needs a catalog to expand columns")
        names = columns if columns is not None else outputs
        if columns is not None and len(columns) != len(outputs):
            self.report(
                "column_count",
                f"{target} receives {len(outputs)} column(s) for {len(columns)} target column(s)",
            )
        for position, target_column in enumerate(names[: len(outputs)]):
            if outputs[position] == "*":
                continue
            self._add(resolver.resolve_output(root, position), target, target_column)
        if self.include_filters:
            self._add(resolver.filter_sources(), target, None)

    def _add(self, sources: Sources, target: str, target_column: str | None) -> None:
        for (table, column), kind in sources.items():
            key = (table, column, target, target_column)
            if kind == FILTER or key not in self.columns:
                self.columns[key] = kind
            else:
                self.columns[key] = stronger(self.columns[key], kind)


def _check_dialect(dialect: str) -> None:
    try:
        sqlglot.Dialect.get_or_raise(dialect)
    except ValueError as exc:
        raise ConfigurationError(f"Unknown SQL dialect {dialect!r}: {exc}") from None


def edge_sort_key(edge: ColumnEdge) -> tuple[str, str, str, str, str]:
    return (edge.source_table, edge.source_column, edge.target_table, edge.target_column or "", edge.kind)


def _move_with(statement: exp.Expr, query: exp.Expr) -> None:
    """``WITH … INSERT/CREATE/UPDATE`` keeps the CTEs on the statement: hand them to the query."""
    key = "with_" if "with_" in statement.args else "with"
    with_ = statement.args.get(key)
    if with_ is None or not isinstance(query, exp.Query):
        return
    query_key = "with_" if "with_" in type(query).arg_types else "with"
    if query.args.get(query_key) is None:
        query.set(query_key, with_.copy())


def _normalize(node: exp.Expr, dialect: str) -> str:
    """Name of an identifier/column as the database sees it (unquoted → folded)."""
    identifier = node.this if isinstance(node, exp.Column | exp.ColumnDef) else node
    if not isinstance(identifier, exp.Identifier):
        return node.name
    return sqlglot.Dialect.get_or_raise(dialect).normalize_identifier(identifier.copy()).name


def _split(table: str) -> list[str]:
    """Inverse of ``table_name`` (honours the double quotes it adds)."""
    parts, current, quoted, i = [], "", False, 0
    while i < len(table):
        char = table[i]
        if char == '"':
            if quoted and table[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
        i += 1
    return [*parts, current]


def _at(parts: list[str], index: int) -> str | None:
    return parts[index] if len(parts) >= -index else None
