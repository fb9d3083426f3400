"""Install or update addons in a database through odoo-bin and fail loudly on any error.

Usage: odoo_install.py --config CONF --database DB (--install A,B | --update A,B)
"""

from __future__ import annotations

import argparse
import sys

from odoo_runner import run_odoo


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--install", default="")
    parser.add_argument("--update", default="")
    parser.add_argument("--extra", action="append", default=[])
    args = parser.parse_args()
    run = run_odoo(
        args.config,
        args.database,
        install=[a for a in args.install.split(",") if a],
        update=[a for a in args.update.split(",") if a],
        extra=args.extra,
    )
    if not run.ok:
        print(run.explain(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
