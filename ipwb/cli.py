"""``ipwb`` command line: validate specs, lineage, headless runs, benchmarks.

Each feature package contributes its own sub-commands through a ``register(subparsers)``
function listed in :data:`COMMAND_MODULES`; this module only wires them together and maps
engine errors to exit codes, so no feature logic lives here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ipwb import __version__
from ipwb.errors import IpwbError

#: modules exposing ``register(subparsers) -> None``; each sub-command sets ``func``.
COMMAND_MODULES: tuple[str, ...] = (
    "ipwb.commands.env",
    "ipwb.commands.sql",
    "ipwb.commands.genie",
    "ipwb.commands.lineage",
    "ipwb.commands.spec",
    "ipwb.bench.cli",
    "ipwb.commands.guardian",
    "ipwb.commands.finance",
    "ipwb.commands.deploy",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipwb", description="InsightPulse Workbench engine")
    parser.add_argument("--version", action="version", version=f"ipwb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IpwbError as exc:
        print(f"ipwb: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
