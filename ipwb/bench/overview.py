"""``ipwb bench overview``: latency of the workbench overview's one call (goal < 300 ms).

Needs a running workbench (``setup/run.sh``); the call goes through Odoo's JSON-RPC like
the web client's, so the figure includes HTTP, the ORM, access rules and every tile's
grouped query. Run it after ``ipwb bench catalog`` (which leaves N tables cataloged with
``--reuse``/without ``--drop``) to measure at the benchmark's catalog size. Registered into
the ``ipwb bench`` group by :mod:`ipwb.bench.cli`.
"""

from __future__ import annotations

import argparse
import json

from ipwb.bench.figures import time_calls
from ipwb.bench.session import add_odoo_arguments, odoo_session
from ipwb.errors import ConfigurationError
from ipwb.overview.tiles import PERIODS

#: the goal the issue sets for the overview's call
GOAL_MS = 300.0


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    overview = benches.add_parser(
        "overview", help="time the overview's call (every tile) through a running workbench"
    )
    add_odoo_arguments(
        overview, url_help="the workbench URL (required)", login_help="the login to measure as"
    )
    overview.add_argument("--days", type=int, default=30, choices=PERIODS, help="period (default 30)")
    overview.add_argument("--rounds", type=int, default=20, help="timed calls (default 20)")
    overview.set_defaults(func=run_overview)


def run_overview(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        raise ConfigurationError("--rounds must be at least 1")
    if not args.odoo_url:
        raise ConfigurationError("ipwb bench overview needs --odoo-url and --odoo-db of a running workbench")
    rpc = odoo_session(args)
    assert rpc is not None
    answer = rpc.call("ipwb.overview", "get_overview", days=args.days)
    tables = rpc.call("ipwb.table", "search_count", [])
    latency = time_calls(
        lambda _q: rpc.call("ipwb.overview", "get_overview", days=args.days), ["overview"], args.rounds
    )
    figures = {
        "days": args.days,
        "tiles": len(answer["tiles"]),
        "tables_cataloged": tables,
        "rounds": args.rounds,
        "p50_ms": latency.p50_ms,
        "p95_ms": latency.p95_ms,
        "goal_ms": GOAL_MS,
        "within_goal_p95": latency.p95_ms < GOAL_MS,
    }
    print(json.dumps(figures, indent=2))
    return 0
