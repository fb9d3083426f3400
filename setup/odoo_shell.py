"""Run a Python script inside `odoo-bin shell` for a database and fail loudly on errors.

Usage: odoo_shell.py --config CONF --database DB --script FILE
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from odoo_runner import run_odoo


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--script", required=True)
    args = parser.parse_args()
    script = pathlib.Path(args.script).read_text(encoding="utf-8")
    run = run_odoo(args.config, args.database, odoo_shell=True, stdin=script)
    if not run.ok:
        print(run.explain(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
