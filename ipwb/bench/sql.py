"""``ipwb bench sql`` (also ``ipwb sql bench``): one page of rows, guarded executor and workbench
against raw psycopg2.

The engine side is :mod:`ipwb.bench.sql_engine` (raw psycopg2 vs the guarded executor), the
workbench side :mod:`ipwb.bench.sql_odoo` (the SQL editor's "Run" over JSON-RPC); both are
imported only when the benchmark runs, so ``ipwb --help`` stays light.
"""

from __future__ import annotations

import argparse

from ipwb.bench.session import add_odoo_arguments, odoo_session
from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig


def add_parser(subparsers: argparse._SubParsersAction, name: str = "sql") -> None:  # type: ignore[type-arg]
    bench = subparsers.add_parser(name, help="guarded executor vs raw psycopg2 on a generated result")
    bench.add_argument("--dsn", required=True)
    bench.add_argument("--rows", type=int, default=10_000)
    bench.add_argument("--repeat", type=int, default=5)
    add_odoo_arguments(
        bench,
        url_help="also time the same result through a running workbench (JSON-RPC)",
        login_help="a Workbench user login",
    )
    bench.add_argument(
        "--connection-id", type=int, help="ipwb.connection to run on (default: the default one)"
    )
    bench.add_argument(
        "--export", type=int, metavar="ROWS", help="instead: export ROWS rows to CSV, against psql \\copy"
    )
    bench.add_argument("--batch-rows", type=int, default=5000, help="rows per fetch of an export")
    bench.set_defaults(func=run_sql)


def run_sql(args: argparse.Namespace) -> int:
    from ipwb.bench.sql_engine import run_bench  # noqa: PLC0415

    if args.export is not None:
        from ipwb.bench.sql_export import bench  # noqa: PLC0415

        if args.export < 1 or args.batch_rows < 1:
            raise ConfigurationError("--export and --batch-rows must be at least 1")
        print("\n".join(bench(args.dsn, args.export, args.batch_rows).lines()))
        return 0
    config = WarehouseConfig.from_dsn(args.dsn)
    session = odoo_session(args)
    if session is None:
        print(run_bench(config, rows=args.rows, repeat=args.repeat).describe())
        return 0
    from ipwb.bench.sql_odoo import run_odoo_bench  # noqa: PLC0415

    report = run_odoo_bench(
        config, session, rows=args.rows, repeat=args.repeat, connection_id=args.connection_id
    )
    print(report.describe())
    return 0
