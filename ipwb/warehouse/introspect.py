"""Read a PostgreSQL warehouse's structure into immutable, typed snapshots.

The catalog scanner needs the whole structure of a warehouse (schemas, tables, views,
materialized views, columns, keys, comments, sizes) and must scan 10k tables in seconds,
so :func:`introspect` issues a *constant* number of set-based ``pg_catalog`` queries (one
per object kind) inside a single read-only, repeatable-read transaction, never one query
per table, and assembles the result in Python.

Each table carries its ``oid`` and each column its ``attnum``: they survive renames, so
:mod:`ipwb.warehouse.scan` can tell "renamed" from "dropped and re-created".
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import WarehouseError
from ipwb.warehouse.connection import WarehouseConfig, connect

#: schemas that are PostgreSQL's own and never part of a catalog
SYSTEM_SCHEMAS: frozenset[str] = frozenset({"pg_catalog", "information_schema", "pg_toast"})

#: ``pg_class.relkind`` → the kind names the catalog uses
RELKINDS: dict[str, str] = {
    "r": "table",
    "p": "partitioned_table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column addressed by schema, table and name (the target of a foreign key).

    >>> ColumnRef("silver", "customer", "id").dotted
    'silver.customer.id'
    >>> ColumnRef.parse("silver.customer.id") == ColumnRef("silver", "customer", "id")
    True
    """

    schema: str
    table: str
    column: str

    @property
    def dotted(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}"

    @classmethod
    def parse(cls, dotted: str) -> ColumnRef:
        """Inverse of :attr:`dotted` (names containing dots are not supported here)."""
        parts = dotted.split(".")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"Expected schema.table.column, got {dotted!r}")
        return cls(parts[0], parts[1], parts[2])


@dataclasses.dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign-key constraint; ``columns`` and ``ref_columns`` are aligned by position."""

    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column. ``attnum`` is stable across renames within the same table OID."""

    attnum: int
    name: str
    data_type: str
    nullable: bool
    default: str | None = None
    comment: str | None = None
    is_primary_key: bool = False
    #: the columns this one references through foreign keys (usually zero or one)
    references: tuple[ColumnRef, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class TableInfo:
    """A table, view, materialized view, partitioned or foreign table.

    ``row_estimate`` is ``pg_class.reltuples`` (``None`` when never analysed) and
    ``total_bytes`` is ``pg_total_relation_size`` (0 for views).
    """

    oid: int
    schema: str
    name: str
    kind: str
    comment: str | None = None
    row_estimate: int | None = None
    total_bytes: int = 0
    columns: tuple[ColumnInfo, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: ``pg_get_viewdef`` for views and materialized views (input for lineage)
    view_definition: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaInfo:
    oid: int
    name: str
    owner: str
    comment: str | None = None
    tables: tuple[TableInfo, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    """The structure of one warehouse database at one moment.

    ``schema_filter`` records the schemas the scan was restricted to (``None``: all), so a
    diff never archives tables of schemas that were not looked at.
    """

    database: str
    server_version: str
    taken_at: datetime.datetime
    schemas: tuple[SchemaInfo, ...] = ()
    schema_filter: tuple[str, ...] | None = None

    def tables(self) -> Iterator[TableInfo]:
        for schema in self.schemas:
            yield from schema.tables

    def table(self, schema: str, name: str) -> TableInfo | None:
        return next((t for t in self.tables() if t.key == (schema, name)), None)

    def covers_schema(self, name: str) -> bool:
        """Whether the scan looked at schema ``name`` (so absence there means "dropped")."""
        if name in SYSTEM_SCHEMAS:
            return False
        return self.schema_filter is None or name in self.schema_filter

    def to_lineage_schema(self) -> dict[str, dict[str, dict[str, str]]]:
        """``{schema: {table: {column: type}}}``, the catalog shape :mod:`ipwb.sql.lineage` takes."""
        return {
            s.name: {t.name: {c.name: c.data_type for c in t.columns} for t in s.tables} for s in self.schemas
        }


_SCHEMA_FILTER = sql.SQL(
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'"
    " AND n.nspname NOT LIKE 'pg\\_temp\\_%%'"
    " AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s))"
)

_SCHEMAS_SQL = sql.SQL(
    """SELECT n.oid, n.nspname, pg_get_userbyid(n.nspowner), d.description
         FROM pg_namespace n
         LEFT JOIN pg_description d
           ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
        WHERE {filter}
        ORDER BY n.nspname"""
)

_RELATIONS_SQL = sql.SQL(
    """SELECT c.oid, n.nspname, c.relname, c.relkind, d.description,
              CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
              CASE WHEN c.relkind IN ('v') THEN 0 ELSE pg_total_relation_size(c.oid) END,
              CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_description d
           ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter}
        ORDER BY n.nspname, c.relname"""
)

_COLUMNS_SQL = sql.SQL(
    """SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
              NOT a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), d.description
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         LEFT JOIN pg_description d
           ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter}
        ORDER BY a.attrelid, a.attnum"""
)

_CONSTRAINTS_SQL = sql.SQL(
    """SELECT con.conrelid, con.contype, con.conname,
              ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                     ORDER BY k.ord)::text[],
              fn.nspname, fc.relname,
              ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                     ORDER BY k.ord)::text[]
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE con.contype IN ('p', 'f') AND {filter}
        ORDER BY con.conrelid, con.conname"""
)


def introspect(conn: psycopg2.extensions.connection, schemas: Sequence[str] | None = None) -> Snapshot:
    """Snapshot the structure of the database ``conn`` is connected to.

    ``schemas`` restricts the scan (``None``: every non-system schema). Runs four queries
    in one read-only repeatable-read transaction so the parts are mutually consistent
    (when ``conn`` is idle; inside an open transaction they run in that transaction and
    leave it open), and never writes. The ``search_path`` is cleared for these queries, so
    view definitions name every relation with its schema.
    """
    params: dict[str, Any] = {"schemas": list(schemas) if schemas is not None else None}
    # Own transaction when the connection is idle (consistent snapshot, read-only);
    # otherwise read inside the caller's transaction and leave it untouched.
    own = conn.status == psycopg2.extensions.STATUS_READY
    old_autocommit = conn.autocommit
    try:
        if own:
            conn.autocommit = True
        with conn.cursor() as cur:
            if own:
                cur.execute("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # pg_get_viewdef leaves out the schema of every relation on the search_path: clear
            # it for these queries (transaction-local), so view definitions are fully qualified
            # whatever the role's or session's search_path is.
            cur.execute(
                "SELECT current_database(), current_setting('server_version'),"
                " current_setting('search_path'), set_config('search_path', 'pg_catalog', true)"
            )
            database, version, search_path, _cleared = cur.fetchone()  # type: ignore[misc]
            rows = {}
            for part, query in (
                ("schemas", _SCHEMAS_SQL),
                ("relations", _RELATIONS_SQL),
                ("columns", _COLUMNS_SQL),
                ("constraints", _CONSTRAINTS_SQL),
            ):
                cur.execute(query.format(filter=_SCHEMA_FILTER), params)
                rows[part] = cur.fetchall()
            if own:
                cur.execute("ROLLBACK")
            else:  # the caller's transaction keeps its search_path
                cur.execute("SELECT set_config('search_path', %s, true)", (search_path,))
    except psycopg2.Error as exc:
        if own and not conn.closed:
            with conn.cursor() as cur:
                cur.execute("ROLLBACK")  # autocommit mode: end the explicit transaction
        detail = (exc.pgerror or str(exc)).strip().splitlines()[0]
        raise WarehouseError(f"Cannot introspect the warehouse: {detail}") from None
    finally:
        if own and not conn.closed:
            conn.autocommit = old_autocommit
    return _assemble(
        str(database),
        str(version),
        rows,
        tuple(schemas) if schemas is not None else None,
    )


def _assemble(
    database: str, version: str, rows: dict[str, list[tuple[Any, ...]]], schema_filter: tuple[str, ...] | None
) -> Snapshot:
    """Turn the raw rows of the four queries into the nested, immutable snapshot."""
    primary_keys: dict[int, tuple[str, ...]] = {}
    foreign_keys: dict[int, list[ForeignKey]] = defaultdict(list)
    for relid, contype, conname, cols, ref_schema, ref_table, ref_cols in rows["constraints"]:
        if contype == "p":
            primary_keys[relid] = tuple(cols)
        else:
            foreign_keys[relid].append(
                ForeignKey(conname, tuple(cols), ref_schema, ref_table, tuple(ref_cols))
            )

    columns: dict[int, list[ColumnInfo]] = defaultdict(list)
    for relid, attnum, name, data_type, nullable, default, comment in rows["columns"]:
        pk = primary_keys.get(relid, ())
        refs = tuple(
            ColumnRef(fk.ref_schema, fk.ref_table, ref_col)
            for fk in foreign_keys.get(relid, ())
            for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True)
            if col == name
        )
        columns[relid].append(
            ColumnInfo(attnum, name, data_type, bool(nullable), default, comment, name in pk, refs)
        )

    tables: dict[str, list[TableInfo]] = defaultdict(list)
    for oid, schema, name, relkind, comment, reltuples, size, viewdef in rows["relations"]:
        tables[schema].append(
            TableInfo(
                oid=int(oid),
                schema=schema,
                name=name,
                kind=RELKINDS[relkind],
                comment=comment,
                row_estimate=None if reltuples is None else int(reltuples),
                total_bytes=int(size or 0),
                columns=tuple(columns.get(oid, ())),
                primary_key=primary_keys.get(oid, ()),
                foreign_keys=tuple(foreign_keys.get(oid, ())),
                view_definition=viewdef,
            )
        )
    schemas = tuple(
        SchemaInfo(int(oid), name, owner, comment, tuple(tables.get(name, ())))
        for oid, name, owner, comment in rows["schemas"]
    )
    return Snapshot(
        database=database,
        server_version=version,
        taken_at=datetime.datetime.now(datetime.timezone.utc),
        schemas=schemas,
        schema_filter=schema_filter,
    )


#: statement timeout of a scan's introspection (seconds): the reader role's own (30 s, for
#: users' queries) cancels the snapshot of a 100k-table warehouse on a loaded machine
SCAN_STATEMENT_TIMEOUT_S = 900


def introspect_warehouse(
    config: WarehouseConfig,
    schemas: Sequence[str] | None = None,
    statement_timeout_s: int = SCAN_STATEMENT_TIMEOUT_S,
) -> Snapshot:
    """Connect with ``config``, take a :func:`introspect` snapshot and close the connection.

    The snapshot's queries get ``statement_timeout_s`` (session-level, on this connection
    only, which is closed afterwards) instead of the role's interactive timeout.
    """
    conn = connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_catalog.set_config('statement_timeout', %s, false)",
                (f"{int(statement_timeout_s) * 1000}ms",),
            )
        conn.commit()
        return introspect(conn, schemas)
    finally:
        conn.close()


_COUNT_SQL = sql.SQL(
    """SELECT count(*)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter}"""
)


def count_relations(config: WarehouseConfig, schemas: Sequence[str] | None = None) -> int:
    """How many tables and views a scan of ``schemas`` would see (one cheap catalog count).

    Lets the caller decide before introspecting whether a scan fits in one request or is
    applied in batches by a background job.
    """
    conn = connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute(
                _COUNT_SQL.format(filter=_SCHEMA_FILTER),
                {"schemas": list(schemas) if schemas is not None else None},
            )
            row = cur.fetchone()
        conn.rollback()
        return int(row[0]) if row else 0
    finally:
        conn.close()
