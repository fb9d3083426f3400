"""``ipwb sql run|format|classify|bench``: the SQL editor's engine from a shell.

``run`` prints the result as CSV on stdout; a refused statement prints its reasons on
stderr and exits with code 3 (``QueryRefused.exit_code``), so scripts and CI can tell a
refusal (3) from a configuration problem (2) and a server error (1).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from ipwb.bench import sql as sql_bench
from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("sql", help="run, format, classify SQL against a warehouse")
    commands = parser.add_subparsers(dest="sql_command", metavar="SQL_COMMAND")
    commands.required = True

    run = commands.add_parser("run", help="run one statement under guard and print rows as CSV")
    run.add_argument("--dsn", required=True, help="libpq connection string of the warehouse")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--readonly", action="store_true", help="read-only mode (the default)")
    mode.add_argument("--allow-write", action="store_true", help="allow DML/DDL (approved writes only)")
    run.add_argument("--timeout", type=float, default=30.0, metavar="S", help="statement timeout in seconds")
    run.add_argument("--max-rows", type=int, default=1000, metavar="N", help="rows to print (default 1000)")
    run.add_argument("--offset", type=int, default=0, metavar="N", help="rows to skip first")
    run.add_argument("--strict", action="store_true", help="refuse functions outside the allow-list")
    run.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="value of a {{NAME}} parameter"
    )
    run.add_argument("file", metavar="FILE|-", help="SQL file, or - for standard input")
    run.set_defaults(func=run_command)

    fmt = commands.add_parser("format", help="pretty-print (or transpile) SQL")
    fmt.add_argument("--read", default="postgres", help="dialect of the input (default postgres)")
    fmt.add_argument("--write", default=None, help="dialect of the output (default: same as --read)")
    fmt.add_argument("file", metavar="FILE|-")
    fmt.set_defaults(func=format_command)

    check = commands.add_parser("classify", help="explain a statement as JSON; exit 3 if it would be refused")
    check.add_argument("--strict", action="store_true")
    check.add_argument("--allow-write", action="store_true")
    check.add_argument("file", metavar="FILE|-")
    check.set_defaults(func=classify_command)

    sql_bench.add_parser(commands, "bench")


def run_command(args: argparse.Namespace) -> int:
    from ipwb.warehouse.execute import execute  # noqa: PLC0415 - keeps `ipwb --help` light

    result = execute(
        WarehouseConfig.from_dsn(args.dsn, application_name="ipwb sql run"),
        _read(args.file),
        _params(args.param),
        allow_write=args.allow_write,
        timeout_s=args.timeout,
        max_rows=args.max_rows,
        offset=args.offset,
        strict=args.strict,
    )
    if result.columns:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.column_names)
        writer.writerows(result.rows)
    if result.truncated:
        shown, following = len(result.rows), result.next_offset
        print(f"ipwb: output truncated after {shown} rows (next page: --offset {following})", file=sys.stderr)
    print(f"ipwb: {result.status} in {result.duration_ms:.1f} ms", file=sys.stderr)
    return 0


def format_command(args: argparse.Namespace) -> int:
    from ipwb.sql.format import transpile_sql  # noqa: PLC0415

    print(transpile_sql(_read(args.file), read=args.read, write=args.write or args.read))
    return 0


def classify_command(args: argparse.Namespace) -> int:
    from ipwb.sql.classify import classify  # noqa: PLC0415
    from ipwb.sql.params import convert  # noqa: PLC0415

    classification = classify(convert(_read(args.file)).checkable, strict=args.strict)
    print(json.dumps(classification.as_dict(), indent=2))
    return 3 if classification.refusals(allow_write=args.allow_write) else 0


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigurationError(f"Cannot read SQL file {path!r}: {exc.strerror}") from None


def _params(pairs: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigurationError(f"--param expects NAME=VALUE, not {pair!r}")
        values[name.strip()] = value
    return values
