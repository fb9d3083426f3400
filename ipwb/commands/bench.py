"""``ipwb bench …``: engine benchmarks that print figures (never pass/fail on timings).

Other packages add their own benchmark as another sub-command of the ``bench`` group here.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ipwb.commands import bench_catalog, bench_catalog_odoo, bench_guardian, sql
from ipwb.dag.benchmark import bench_pipeline


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
    pipeline.set_defaults(func=run_pipeline)
    bench_catalog.add_parser(benches)
    bench_catalog_odoo.add_parser(benches)
    bench_guardian.add_parser(benches)
    sql.add_bench_parser(benches, "sql")


def run_pipeline(args: argparse.Namespace) -> int:
    if args.nodes < 1 or args.parallelism < 1 or args.repeat < 1:
        raise SystemExit("ipwb bench pipeline: --nodes, --parallelism and --repeat must be at least 1")
    result = bench_pipeline(args.nodes, parallelism=args.parallelism, seed=args.seed, repeat=args.repeat)
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print("\n".join(result.lines()))
    return 0
