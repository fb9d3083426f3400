"""``ipwb bench …``: engine benchmarks that print figures (never pass/fail on timings).

Other packages add their own benchmark as another sub-command of the ``bench`` group here.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ipwb.commands import bench_agent, bench_catalog, bench_catalog_odoo, bench_guardian, sql
from ipwb.commands.odoo_login import add_odoo_arguments, odoo_session
from ipwb.dag.benchmark import bench_pipeline
from ipwb.errors import ConfigurationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("bench", help="print engine benchmark figures")
    benches = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    benches.required = True
    pipeline = benches.add_parser(
        "pipeline", help="validation time and engine overhead per step of a no-op DAG"
    )
    pipeline.add_argument("--nodes", type=int, default=1000, help="number of steps (default 1000)")
    pipeline.add_argument("--parallelism", type=int, default=8, help="worker threads (default 8)")
    pipeline.add_argument("--seed", type=int, default=42, help="random DAG seed (default 42)")
    pipeline.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    pipeline.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_odoo_arguments(
        pipeline,
        url_help="also run an N-step no-op pipeline through a running workbench's worker (JSON-RPC)",
        login_help="a Data Engineer login",
    )
    pipeline.add_argument(
        "--odoo-steps", type=int, default=100, help="steps of the pipeline run through Odoo (default 100)"
    )
    pipeline.add_argument(
        "--odoo-timeout", type=float, default=600, help="seconds to wait for the run (default 600)"
    )
    pipeline.set_defaults(func=run_pipeline)
    bench_catalog.add_parser(benches)
    bench_catalog_odoo.add_parser(benches)
    bench_guardian.add_parser(benches)
    bench_agent.add_parser(benches)
    sql.add_bench_parser(benches, "sql")


def run_pipeline(args: argparse.Namespace) -> int:
    if args.nodes < 1 or args.parallelism < 1 or args.repeat < 1:
        raise SystemExit("ipwb bench pipeline: --nodes, --parallelism and --repeat must be at least 1")
    odoo = _odoo_session(args)
    result = bench_pipeline(args.nodes, parallelism=args.parallelism, seed=args.seed, repeat=args.repeat)
    through = None
    if odoo is not None:
        from ipwb.pipeline.odoo_bench import bench_pipeline_odoo  # noqa: PLC0415 - only with --odoo-url

        through = bench_pipeline_odoo(odoo, args.odoo_steps, seed=args.seed, timeout_s=args.odoo_timeout)
    if args.json:
        figures: dict[str, object] = asdict(result)
        if through is not None:
            figures["odoo"] = through.to_dict()
        print(json.dumps(figures, indent=2))
    else:
        print("\n".join(result.lines() + (through.lines() if through else [])))
    return 0


def _odoo_session(args: argparse.Namespace) -> OdooJsonRpc | None:
    """A logged-in JSON-RPC session when --odoo-url is given (checked before any timing)."""
    if args.odoo_url and args.odoo_steps < 1:
        raise ConfigurationError("--odoo-steps must be at least 1")
    return odoo_session(args)
