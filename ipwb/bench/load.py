"""``ipwb bench load``: N simulated users (1, 10, 50) on the workbench at once, in prefork mode.

What it does, in order (each step printed):

1. starts Odoo in prefork mode (``--workers``, default 2 x CPU + 1 as production sizes it, no
   cron) on 127.0.0.1:``--port`` against the existing workbench database ``--db``, with the
   credentials of ``--odoo-conf`` — or uses a running server (``--odoo-url``) instead;
2. every user logs in over JSON-RPC (a session each, the password from
   ``$IPWB_BENCH_PASSWORD``); then, per mode (``--mode``, both by default) and user count, for
   ``--seconds`` each user calls what the web client calls for the catalog search, a 1000-row
   SQL editor page, the pipeline list, the run monitor and the overview (a fixed, seeded mix):
   ``think`` mode waits a think time (``--think``, uniform 1-3 s) after each answer, so N users
   are N people; ``saturate`` mode waits none, so it measures capacity and the knee;
3. prints per mode, user count and action: requests, errors, p50/p95/p99, requests/s, the load
   average, the generator's own CPU share; the capacity and the knee (where throughput stops
   growing) of the saturation levels; the goals beside the largest think-time level;
   progress goes to standard error, the figures to standard output;
4. stops the server it started.

Figures only; nothing here passes or fails on a timing (see :mod:`ipwb.bench.load_engine`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from ipwb.bench.figures import emit
from ipwb.bench.load_engine import NO_THINK, Think, as_json, describe, knee, login_users, run_level
from ipwb.bench.load_server import PreforkOdoo, production_workers
from ipwb.errors import ConfigurationError

#: the goals of issue #20 at 50 users, printed beside the figures (never asserted)
GOALS = {"errors": 0, "catalog_search_p95_ms": 100.0, "sql_page_p95_ms": 300.0}


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    load = benches.add_parser(
        "load", help="N simulated users on a prefork workbench: p50/p95/p99 and errors per action, the knee"
    )
    load.add_argument("--db", help="the workbench's Odoo database (required)")
    load.add_argument("--odoo-url", help="measure this running server instead of starting one")
    load.add_argument(
        "--login", default="admin", help="the login every simulated user logs in as (default admin)"
    )
    load.add_argument(
        "--password-env",
        default="IPWB_BENCH_PASSWORD",
        help="environment variable holding that login's password (default IPWB_BENCH_PASSWORD)",
    )
    load.add_argument("--users", default="1,10,50", help="user counts, comma-separated (default 1,10,50)")
    load.add_argument(
        "--seconds", type=float, default=30.0, help="measured seconds per user count (default 30)"
    )
    load.add_argument(
        "--think",
        default="1-3",
        help="think mode: each user waits uniformly MIN-MAX s after each answer, a person reading"
        " the result (locust's wait_time = between(MIN, MAX); default 1-3)",
    )
    load.add_argument(
        "--mode",
        choices=("both", "think", "saturate"),
        default="both",
        help="think: users with a think time (people); saturate: no think time (capacity, knee);"
        " both (default): think levels, then saturation levels",
    )
    load.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds of the mix before measuring, not counted: every worker loads its registry"
        " and caches (default 10; 2 with --quick)",
    )
    load.add_argument(
        "--quick",
        action="store_true",
        help="1 and 3 users, 3 s each, think time a tenth of --think (the smoke test)",
    )
    load.add_argument("--port", type=int, default=18601, help="port of the server it starts (default 18601)")
    load.add_argument(
        "--workers", type=int, default=production_workers(), help="HTTP workers (default 2 x CPU + 1)"
    )
    load.add_argument(
        "--odoo-conf",
        type=Path,
        default=_repo_root() / ".local" / "run" / "odoo.conf",
        help="Odoo config with the database and warehouse credentials (default .local/run/odoo.conf)",
    )
    load.add_argument(
        "--odoo-dir",
        type=Path,
        default=Path(os.environ.get("IPWB_ODOO_DIR") or os.environ.get("ODOO_PATH") or "/opt/odoo"),
        help="Odoo 18 source tree (default $IPWB_ODOO_DIR, $ODOO_PATH or /opt/odoo)",
    )
    load.add_argument("--json", action="store_true", help="print the figures as JSON")
    load.set_defaults(func=run_load)


def _user_counts(args: argparse.Namespace) -> list[int]:
    if args.quick:
        return [1, 3]
    try:
        counts = [int(part) for part in args.users.split(",") if part.strip()]
    except ValueError:
        raise ConfigurationError(f"--users must be comma-separated counts, not {args.users!r}") from None
    if not counts or min(counts) < 1 or max(counts) > 500:
        raise ConfigurationError("--users must list counts between 1 and 500")
    return sorted(set(counts))


def _addons_path(odoo_dir: Path) -> str:
    """This checkout's addons (not whichever checkout wrote the shared config) and Odoo's."""
    return ",".join(
        str(p) for p in (odoo_dir / "addons", odoo_dir / "odoo" / "addons", _repo_root() / "addons")
    )


def run_load(args: argparse.Namespace) -> int:
    counts = _user_counts(args)
    seconds = 3.0 if args.quick else args.seconds
    if not args.db:
        raise ConfigurationError("ipwb bench load needs --db, the workbench's Odoo database")
    if seconds <= 0 or args.workers < 1:
        raise ConfigurationError("--seconds and --workers must be positive")
    think = Think.parse(args.think)
    if args.quick:
        think = Think(think.low_s / 10, think.high_s / 10)
    modes: list[tuple[str, Think]] = []
    if args.mode in ("both", "think") and not think.none:
        modes.append(("think", think))
    if args.mode in ("both", "saturate") or think.none:
        modes.append(("saturate", NO_THINK))
    password = os.environ.get(args.password_env)
    if not password:
        raise ConfigurationError(f"Set {args.password_env} to the password of {args.login!r}")

    def measure(url: str, mode: str) -> int:
        users = max(counts[-1], 2 * args.workers)
        print(f"-- logging in {users} users (one session each)", file=sys.stderr, flush=True)
        sessions = login_users(url, args.db, args.login, password, users, parallel=args.workers)
        try:
            warmup = min(args.warmup, 2.0) if args.quick else args.warmup
            if warmup > 0:
                print(
                    f"-- warming up: {users} users for {warmup:.0f} s (not counted)",
                    file=sys.stderr,
                    flush=True,
                )
                run_level(sessions, seconds=warmup)
            levels = []
            for name, wait in modes:
                for count in counts:
                    print(
                        f"-- {name}: {count} users, think time {wait.label()}, {seconds:.0f} s"
                        f" against {url} ({mode})",
                        file=sys.stderr,
                        flush=True,
                    )
                    levels.append(run_level(sessions[:count], seconds=seconds, think=wait))
        finally:
            for session in sessions:
                session.close()
        knee_users = knee(levels)
        figures = as_json(
            levels, knee_users, url=url, mode=mode, db=args.db, think=think.label(), goals_at_50_users=GOALS
        )
        emit(figures, as_json=args.json, lines=describe(levels, knee_users, GOALS))
        return 0

    if args.odoo_url:
        return measure(args.odoo_url, "running server")
    log_path = Path(tempfile.gettempdir()) / f"ipwb-bench-load-{args.port}.log"
    server = PreforkOdoo(
        conf=args.odoo_conf,
        db=args.db,
        port=args.port,
        workers=args.workers,
        odoo_dir=args.odoo_dir,
        addons_path=_addons_path(args.odoo_dir),
        log_path=log_path,
    )
    print(
        f"starting Odoo: {args.workers} prefork workers, no cron, database {args.db}, log {log_path}",
        file=sys.stderr,
        flush=True,
    )
    # a terminated bench still stops its server and workers (the with block's exit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with server as url:
        return measure(url, f"prefork, {args.workers} workers")
