"""``ipwb bench catalog-engine``: build N tables in a warehouse, time introspection + scan diff.

Registered into the ``ipwb bench`` group by :mod:`ipwb.commands.bench` through
:func:`add_parser`; prints the figures as JSON and exits non-zero only when the repeat
diff is not empty (an idempotency failure), never because of a timing.
"""

from __future__ import annotations

import argparse
import json

from ipwb.errors import ConfigurationError
from ipwb.warehouse.bench import bench_catalog_engine, drop_bench_schema
from ipwb.warehouse.connection import WarehouseConfig, connect


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
    print(json.dumps(figures.to_dict(), indent=2))
    return 0 if figures.repeat_plan_empty else 1
