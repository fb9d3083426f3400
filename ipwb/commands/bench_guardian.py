"""``ipwb bench guardian``: time the 8-step validation cycle on N generated table specs."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ipwb.errors import ConfigurationError
from ipwb.guardian.benchmark import bench_guardian


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    guardian = benches.add_parser("guardian", help="time the Guardian validation cycle on N generated specs")
    guardian.add_argument("--tables", type=int, default=200, help="table specs to generate (default 200)")
    guardian.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    guardian.add_argument("--json", action="store_true", help="print the figures as JSON")
    guardian.set_defaults(func=run_guardian)


def run_guardian(args: argparse.Namespace) -> int:
    if args.tables < 1 or args.repeat < 1:
        raise ConfigurationError("--tables and --repeat must be at least 1")
    result = bench_guardian(args.tables, args.repeat)
    print(json.dumps(asdict(result), indent=2) if args.json else "\n".join(result.lines()))
    return 0
