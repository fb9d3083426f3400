"""``ipwb lineage FILE.sql``: print the table and column lineage of a SQL script as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ipwb.errors import ConfigurationError
from ipwb.sql.lineage import DEFAULT_QUERY_TARGET, extract_lineage


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "lineage",
        help="print table- and column-level lineage of a SQL file as JSON",
        description="Extract lineage edges from FILE (one or more statements; '-' reads stdin).",
    )
    parser.add_argument("file", metavar="FILE.sql", help="SQL script, or - for standard input")
    parser.add_argument(
        "--dialect", default="postgres", help="sqlglot dialect of the SQL (default: postgres)"
    )
    parser.add_argument(
        "--schema",
        metavar="CATALOG.json",
        help='catalog {"schema": {"table": {"column": "type"}}} to expand * and resolve columns',
    )
    parser.add_argument("--default-schema", help="schema of unqualified table names (e.g. public)")
    parser.add_argument(
        "--target", default=DEFAULT_QUERY_TARGET, help="pseudo-target name for plain SELECT statements"
    )
    parser.add_argument("--no-filters", action="store_true", help="omit filter (WHERE/JOIN/HAVING) edges")
    parser.set_defaults(func=run)


def _read(path: str, what: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{what.capitalize()} {path} is not UTF-8 text") from None


def load_catalog(path: str) -> dict[str, Any]:
    """Read and check the shape of a catalog JSON file."""
    try:
        catalog = json.loads(_read(path, "catalog file"))
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"Catalog file {path} is not valid JSON: {exc}") from None
    if not isinstance(catalog, dict) or not all(isinstance(v, dict) for v in catalog.values()):
        raise ConfigurationError(
            f'Catalog file {path} must look like {{"schema": {{"table": {{"column": "type"}}}}}}'
        )
    return catalog


def run(args: argparse.Namespace) -> int:
    sql = _read(args.file, "SQL file")
    catalog = load_catalog(args.schema) if args.schema else None
    result = extract_lineage(
        sql,
        args.dialect,
        schema=catalog,
        query_target=args.target,
        default_schema=args.default_schema,
        include_filters=not args.no_filters,
    )
    print(json.dumps(result.to_dict(), indent=2))
    for issue in result.issues:
        print(f"ipwb lineage: warning: statement {issue.statement + 1}: {issue.message}", file=sys.stderr)
    return 0
