"""``ipwb bench finance --volume mid``: the finance pipeline on a mid-size company's books.

The work runs inside Odoo (``odoo-bin shell`` on the workbench's database, through the
checkout's ``setup/odoo_shell.py``), so the figures are those of the process doing it:
the first full build, the incremental run after 100 new invoices and the reconciliation
(time and peak RSS of each step), against the yardstick, Odoo's own l10n_ph tax report
computing the same quarter's VAT lines. The books come from ``setup/run.sh --volume mid``
(or ``--generate``, which runs the generator first and reports its rate).

Figures only (text, or ``--json``): no goal is asserted here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ipwb.bench.figures import emit
from ipwb.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
SHELL = ROOT / "setup" / "odoo_shell.py"
SCRIPT = ROOT / "setup" / "shell" / "finance_volume_bench.py"
GENERATOR = ROOT / "setup" / "shell" / "finance_volume.py"
GOALS = {"full build": 600.0, "incremental": 10.0}


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = benches.add_parser("finance", help="the finance pipeline at a real company's volume")
    bench.add_argument("--volume", choices=("mid", "small"), default="mid", help="the generated books")
    bench.add_argument(
        "--odoo-config", required=True, help="odoo.conf of the workbench (setup/run.sh writes one)"
    )
    bench.add_argument("--odoo-db", required=True, help="the workbench's Odoo database")
    bench.add_argument("--generate", action="store_true", help="generate (or complete) the books first")
    bench.add_argument(
        "--new-invoices", type=int, default=100, help="invoices added before the incremental run"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.set_defaults(func=run_finance)


def _shell(args: argparse.Namespace, script: Path, env: dict[str, str]) -> None:
    if not SHELL.exists():
        raise ConfigurationError(
            f"{SHELL} not found: run the finance benchmark from a checkout of the workbench"
        )
    done = subprocess.run(  # noqa: S603 - our own interpreter on our own script
        [
            sys.executable,
            str(SHELL),
            "--config",
            args.odoo_config,
            "--database",
            args.odoo_db,
            "--script",
            str(script),
        ],
        env={**os.environ, **env},
        check=False,
    )
    if done.returncode:
        raise ConfigurationError(f"{script.name} failed in database {args.odoo_db} (see the output above)")


def lines(figures: dict[str, Any]) -> list[str]:
    out = [
        f"volume {figures['volume']}: {figures['posted_moves']:,} posted moves, "
        f"{figures['journal_items']:,} journal items in {', '.join(figures['companies'])}",
    ]
    if "generation" in figures:
        out.append(f"generation: {figures['generation']}")
    for key, goal_key in (("full_build", "full build"), ("incremental", "incremental")):
        run = figures[key]
        out.append(
            f"{run['run']}: {run['state']} in {run['seconds']:.1f} s (goal < {GOALS[goal_key]:.0f} s; "
            f"the worker's call {run.get('call_seconds', run['seconds']):.1f} s), "
            f"peak RSS {run['peak_rss_mib']} MiB, reconciliation {run['reconciliation']}"
        )
        out += [
            f"  {s['step']:28} {s['state']:10} {s['seconds']:8.2f} s  peak RSS {s['peak_rss_mib']} MiB"
            for s in run["steps"]
        ]
        if run.get("error"):
            out.append(f"  error: {run['error']}")
    tax = figures["tax_report_quarter"]
    out.append(
        f"yardstick, Odoo's l10n_ph tax report for {tax['quarter']}: {tax['seconds']:.2f} s, "
        f"peak RSS {tax['peak_rss_mib']} MiB"
    )
    out.append(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *figures["load_average_before"], *figures["load_average_after"]
        )
    )
    return out


def run_finance(args: argparse.Namespace) -> int:
    if args.new_invoices < 1:
        raise ConfigurationError("--new-invoices must be at least 1")
    generation = ""
    if args.generate:
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
            _shell(args, GENERATOR, {"IPWB_VOLUME": args.volume, "IPWB_VOLUME_SUMMARY": out.name})
            generation = Path(out.name).read_text(encoding="utf-8").strip()
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        _shell(
            args,
            SCRIPT,
            {
                "IPWB_VOLUME": args.volume,
                "IPWB_BENCH_OUT": out.name,
                "IPWB_NEW_INVOICES": str(args.new_invoices),
            },
        )
        figures = json.loads(Path(out.name).read_text(encoding="utf-8"))
    if generation:
        figures["generation"] = generation
    emit(figures, as_json=args.json, lines=lines(figures))
    return 0
