"""``ipwb bench …``: every benchmark of the workbench, one sub-command per module of this package.

Figures are printed (text, or ``--json`` where offered), never asserted. ``ipwb bench all``
runs each benchmark in turn (``--quick``: small sizes, the smoke test's mode); those that
need a warehouse (``--dsn``) or a running workbench (``--odoo-url``) are skipped, with the
reason printed, when none is given.
"""

from __future__ import annotations

import argparse
import time

from ipwb.bench import agent, catalog, catalog_engine, finance, guardian, load, overview, pipeline, sql
from ipwb.bench.session import add_odoo_arguments


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("bench", help="print benchmark figures")
    benches = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    benches.required = True
    pipeline.add_parser(benches)
    catalog_engine.add_parser(benches)
    catalog.add_parser(benches)
    guardian.add_parser(benches)
    sql.add_parser(benches)
    overview.add_parser(benches)
    agent.add_parser(benches)
    finance.add_parser(benches)
    load.add_parser(benches)
    every = benches.add_parser("all", help="run every benchmark in turn (--quick: small sizes)")
    every.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    every.add_argument(
        "--dsn", help="libpq DSN of a warehouse, as a role that may create (warehouse benches)"
    )
    add_odoo_arguments(
        every, url_help="a running workbench (the JSON-RPC benches)", login_help="an administrator login"
    )
    every.set_defaults(func=run_all, bench_parser=parser)


def plan(args: argparse.Namespace) -> list[tuple[str, list[str] | None, str]]:
    """``(name, argv or None, why skipped)`` of every benchmark ``ipwb bench all`` runs.

    >>> ns = argparse.Namespace(quick=True, dsn=None, odoo_url=None, odoo_db=None,
    ...                         odoo_login="admin", password_env="P")
    >>> [name for name, argv, _why in plan(ns) if argv is not None]
    ['pipeline', 'guardian', 'agent']
    >>> [name for name, argv, _why in plan(ns) if argv is None]
    ['catalog-engine', 'sql', 'catalog', 'overview', 'load']
    """

    def size(quick: str, full: str) -> str:
        return quick if args.quick else full

    password = ["--password-env", args.password_env]
    odoo = ["--odoo-url", args.odoo_url, "--odoo-db", args.odoo_db or "", "--odoo-login", args.odoo_login]
    odoo = [*odoo, *password] if args.odoo_url else []
    pipeline_odoo = [*odoo, "--odoo-steps", size("10", "100")] if odoo else []
    runs: list[tuple[str, list[str] | None, str]] = [
        (
            "pipeline",
            ["pipeline", "--nodes", size("100", "1000"), "--repeat", size("1", "3"), *pipeline_odoo],
            "",
        ),
        ("guardian", ["guardian", "--tables", size("20", "200"), "--repeat", size("1", "3")], ""),
        ("agent", ["agent", "--runs", size("5", "50")], ""),
    ]
    schema = ["--schema", "ipwb_bench_all", "--drop"]
    if args.dsn:
        dsn = ["--dsn", args.dsn]
        runs.append(("catalog-engine", ["catalog-engine", *dsn, "--tables", size("50", "1000"), *schema], ""))
        runs.append(("sql", ["sql", *dsn, "--rows", "1000", "--repeat", size("3", "5"), *odoo], ""))
    else:
        runs += [
            ("catalog-engine", None, "needs a warehouse: --dsn"),
            ("sql", None, "needs a warehouse: --dsn"),
        ]
    if args.dsn and args.odoo_url:
        workbench = [
            "--url",
            args.odoo_url,
            "--db",
            args.odoo_db or "",
            "--login",
            args.odoo_login,
            *password,
        ]
        sizes = ["--tables", size("50", "2000"), "--rounds", size("3", "20")]
        runs.append(("catalog", ["catalog", "--dsn", args.dsn, *sizes, *schema, *workbench], ""))
    else:
        runs.append(("catalog", None, "needs a warehouse and a running workbench: --dsn and --odoo-url"))
    if odoo:
        runs.append(("overview", ["overview", *odoo, "--rounds", size("5", "20")], ""))
    else:
        runs.append(("overview", None, "needs a running workbench: --odoo-url"))
    if odoo:
        load = [
            "--odoo-url",
            args.odoo_url,
            "--db",
            args.odoo_db or "",
            "--login",
            args.odoo_login,
            *password,
        ]
        runs.append(("load", ["load", *load, *(["--quick"] if args.quick else [])], ""))
    else:
        runs.append(("load", None, "needs a running workbench: --odoo-url"))
    return runs


def run_all(args: argparse.Namespace) -> int:
    worst = 0
    for name, argv, why in plan(args):
        print(f"== ipwb bench {name} ==", flush=True)
        if argv is None:
            print(f"skipped: {why}", flush=True)
            continue
        started = time.perf_counter()
        bench_args = args.bench_parser.parse_args(argv)
        worst = max(worst, int(bench_args.func(bench_args) or 0))
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    return worst
