"""``ipwb guardian validate|checks``: the 8-step cycle for git pre-merge checks and CI, and
data-quality checks run against a warehouse.

``validate`` exits 0 when every blocking rule passes, 2 with a ``file:line:col`` report
otherwise; ``--results`` gives the tests' latest outcomes (dbt run results or a JSON of
check outcomes) so step 5 also requires them to pass. ``checks`` runs a YAML/JSON list of
DQ checks read-only (``--dsn``) and prints the results and Guardian scores; it exits 1
when a blocking check fails or errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import ConfigurationError, SpecError
from ipwb.guardian import load_catalog, load_history, validate_paths
from ipwb.guardian.context import DEFAULT_PERF_BUDGET_S, Catalog
from ipwb.guardian.outcomes import read_results
from ipwb.warehouse.connection import WarehouseConfig


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("guardian", help="Guardian: 8-step spec validation, data-quality checks")
    commands = parser.add_subparsers(dest="guardian_command", metavar="ACTION")
    commands.required = True

    validate = commands.add_parser(
        "validate", help="run the 8-step validation cycle on specs (line-numbered)"
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="spec files or directories (e.g. specs/)")
    validate.add_argument("--dsn", help="warehouse DSN: enables the perf step and the catalog type check")
    validate.add_argument("--catalog", help="catalog as JSON/YAML {schema.table: {column: type}}")
    validate.add_argument("--history", help="run history as JSON/YAML (integration step)")
    validate.add_argument(
        "--results",
        action="append",
        metavar="FILE",
        help="test outcomes: dbt's target/run_results.json (manifest.json beside it) or JSON/YAML "
        "[{table, name, status}]; repeatable. Without it, whether tests pass (G503, G504) is skipped",
    )
    validate.add_argument(
        "--budget-s", type=float, default=DEFAULT_PERF_BUDGET_S, help="query latency budget"
    )
    validate.add_argument("--now", help="ISO date-time ending the 7-day history window (default: now)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(func=run_validate)

    checks = commands.add_parser("checks", help="run data-quality checks (YAML/JSON list) in a warehouse")
    checks.add_argument("file", metavar="CHECKS", help="YAML/JSON file: a list of checks")
    checks.add_argument("--dsn", required=True, help="warehouse DSN (checks run read-only)")
    checks.add_argument("--json", action="store_true", help="print results and scores as JSON")
    checks.set_defaults(func=run_checks)


def read_data(path: str) -> Any:
    """A JSON or YAML file's data (SpecError when unreadable)."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from None


def run_validate(args: argparse.Namespace) -> int:
    warehouse = WarehouseConfig.from_dsn(args.dsn, application_name="ipwb-guardian") if args.dsn else None
    catalog: Catalog | None = load_catalog(read_data(args.catalog)) if args.catalog else None
    if catalog is None and warehouse is not None:
        from ipwb.specs.kinds import LAYERS  # noqa: PLC0415
        from ipwb.warehouse.introspect import introspect_warehouse  # noqa: PLC0415 - only with a DSN

        snapshot = introspect_warehouse(warehouse, list(LAYERS))
        catalog = load_catalog(snapshot.to_lineage_schema())
    history = load_history(read_data(args.history)) if args.history else None
    outcomes = [o for path in args.results for o in read_results(path)] if args.results else None
    now = None
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            raise ConfigurationError(f"--now {args.now!r} is not an ISO date-time") from None
        now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)
    report = validate_paths(
        args.paths,
        catalog=catalog,
        history=history,
        warehouse=warehouse,
        perf_budget_s=args.budget_s,
        now=now,
        outcomes=outcomes,
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for line in [*report.lines(), *report.notes()]:
            print(line)
        print(report.summary(), file=sys.stderr)
    return 0 if report.ok else SpecError.exit_code


def run_checks(args: argparse.Namespace) -> int:
    from ipwb.guardian.checks import checks_from_data  # noqa: PLC0415 - keep `validate` light
    from ipwb.guardian.runner import run_checks as execute_checks  # noqa: PLC0415
    from ipwb.guardian.scoring import score_by_table  # noqa: PLC0415

    checks = checks_from_data(read_data(args.file))
    warehouse = WarehouseConfig.from_dsn(args.dsn, application_name="ipwb-guardian")
    results = execute_checks(warehouse, checks)
    scores = score_by_table(results)
    if args.json:
        payload = {
            "results": [r.as_dict() for r in results],
            "scores": {table: card.as_dict() for table, card in scores.items()},
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        for result in results:
            print(result.line())
        for table, card in scores.items():
            print(card.line(table))
    blocking = [r for r in results if r.status != "pass" and r.check.blocking]
    return 1 if blocking else 0
