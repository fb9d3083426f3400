"""``ipwb bench catalog-engine``: build N tables in a warehouse, time introspection and diff.

The issue's target is "10k tables scanned in well under a minute". This measures the
engine part (``pg_catalog`` snapshot + pure diff); the Odoo JSON-RPC search part is
measured on top by :mod:`ipwb.bench.catalog`, which builds its tables with this module.
The command exits non-zero only when the repeat diff is not empty (an idempotency failure),
never because of a timing.

Tables are generated as DDL batches composed with :mod:`psycopg2.sql` (never string
formatting), committed every ``chunk`` tables: one transaction creating 10k tables (with
their indexes and TOAST tables) would exhaust ``max_locks_per_transaction``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb.bench.figures import emit
from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig, connect
from ipwb.warehouse.introspect import introspect
from ipwb.warehouse.scan import apply_plan, diff_snapshot

#: the ≈10 columns of every generated table: (name, type)
BENCH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "bigint PRIMARY KEY"),
    ("name", "text NOT NULL"),
    ("amount", "numeric(14,2)"),
    ("quantity", "integer DEFAULT 0"),
    ("status", "varchar(20)"),
    ("is_active", "boolean DEFAULT true"),
    ("created_at", "timestamptz DEFAULT now()"),
    ("ref_id", "bigint"),
    ("note", "text"),
    ("payload", "jsonb"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogBenchFigures:
    tables: int
    columns: int
    build_seconds: float
    introspect_seconds: float
    diff_first_seconds: float
    diff_repeat_seconds: float
    repeat_plan_empty: bool

    @property
    def tables_per_second(self) -> float:
        scan = self.introspect_seconds + self.diff_first_seconds
        return self.tables / scan if scan else float("inf")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["scan_seconds"] = round(self.introspect_seconds + self.diff_first_seconds, 3)
        data["tables_per_second"] = round(self.tables_per_second, 1)
        return data


def _execute(conn: psycopg2.extensions.connection, statements: list[sql.Composable]) -> None:
    with conn.cursor() as cur:
        cur.execute(sql.SQL(";\n").join(statements))
    conn.commit()


def drop_bench_schema(conn: psycopg2.extensions.connection, schema: str, chunk: int = 500) -> None:
    """Drop ``schema`` and its tables, a chunk of tables per transaction."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname",
            (schema,),
        )
        names = [row[0] for row in cur.fetchall()]
    for start in range(0, len(names), chunk):
        batch = [sql.Identifier(schema, n) for n in names[start : start + chunk]]
        _execute(conn, [sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.SQL(", ").join(batch))])
    _execute(conn, [sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))])


def build_bench_tables(
    conn: psycopg2.extensions.connection, n_tables: int, schema: str = "ipwb_bench", chunk: int = 500
) -> None:
    """Create ``schema`` with ``n_tables`` tables of :data:`BENCH_COLUMNS`, with comments.

    Every tenth table gets a foreign key to the previous one so constraints are exercised.
    """
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in BENCH_COLUMNS
    )
    _execute(conn, [sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))])
    for start in range(0, n_tables, chunk):
        statements: list[sql.Composable] = []
        for i in range(start, min(start + chunk, n_tables)):
            table = sql.Identifier(schema, f"t_{i:06d}")
            statements.append(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
            statements.append(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(f"Benchmark table {i}"))
            )
            if i % 10 == 9:
                previous = sql.Identifier(schema, f"t_{i - 1:06d}")
                statements.append(
                    sql.SQL("ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} ({})").format(
                        table, sql.Identifier("ref_id"), previous, sql.Identifier("id")
                    )
                )
        _execute(conn, statements)


def bench_catalog_engine(
    conn: psycopg2.extensions.connection,
    n_tables: int,
    schema: str = "ipwb_bench",
    rebuild: bool = True,
) -> CatalogBenchFigures:
    """Build (unless ``rebuild`` is false), then time one snapshot and two diffs.

    The first diff starts from an empty catalog (everything to create); the repeat diff
    runs against the applied plan and must be empty (idempotency under load).
    """
    started = time.perf_counter()
    if rebuild:
        drop_bench_schema(conn, schema)
        build_bench_tables(conn, n_tables, schema)
    built = time.perf_counter()
    snapshot = introspect(conn, [schema])
    introspected = time.perf_counter()
    plan = diff_snapshot([], snapshot)
    diffed = time.perf_counter()
    known_tables, known_schemas = apply_plan([], plan)
    repeat_start = time.perf_counter()
    repeat = diff_snapshot(known_tables, snapshot, known_schemas)
    repeat_end = time.perf_counter()
    tables = list(snapshot.tables())
    return CatalogBenchFigures(
        tables=len(tables),
        columns=sum(len(t.columns) for t in tables),
        build_seconds=round(built - started, 3),
        introspect_seconds=round(introspected - built, 3),
        diff_first_seconds=round(diffed - introspected, 3),
        diff_repeat_seconds=round(repeat_end - repeat_start, 3),
        repeat_plan_empty=repeat.is_empty,
    )


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    catalog = benches.add_parser(
        "catalog-engine",
        help="build N tables (~10 columns each) in a warehouse and time introspection + scan diff",
    )
    catalog.add_argument("--tables", type=int, default=1000, help="number of tables to build (default 1000)")
    catalog.add_argument("--dsn", required=True, help="libpq DSN of the warehouse database to build in")
    catalog.add_argument("--schema", default="ipwb_bench", help="schema to (re)create (default ipwb_bench)")
    catalog.add_argument(
        "--reuse", action="store_true", help="scan the existing schema instead of rebuilding"
    )
    catalog.add_argument("--drop", action="store_true", help="drop the schema again afterwards")
    catalog.set_defaults(func=run_catalog_engine)


def run_catalog_engine(args: argparse.Namespace) -> int:
    if args.tables < 1:
        raise ConfigurationError("--tables must be at least 1")
    conn = connect(WarehouseConfig.from_dsn(args.dsn, application_name="ipwb-bench"))
    try:
        figures = bench_catalog_engine(conn, args.tables, schema=args.schema, rebuild=not args.reuse)
        if args.drop:
            drop_bench_schema(conn, args.schema)
    finally:
        conn.close()
    emit(figures.to_dict(), as_json=True)
    return 0 if figures.repeat_plan_empty else 1
