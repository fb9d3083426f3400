"""``ipwb backup`` / ``ipwb restore``: the deployment's backup and restore commands.

Configured by the deploy environment (``IPWB_DB_*``, ``IPWB_WAREHOUSE_*``, ``IPWB_DATA_DIR``,
secrets also as ``*_FILE``: see :mod:`ipwb.deploy.backup_env`); only paths are options,
never passwords. Prints a JSON summary on success.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib

from ipwb.deploy import backup_env
from ipwb.deploy.backup import take_backup
from ipwb.deploy.restore import restore


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = subparsers.add_parser(
        "backup", help="back up Odoo's database, the warehouse and the filestore (consistent snapshot)"
    )
    backup.add_argument(
        "--output",
        required=True,
        type=pathlib.Path,
        help="a new .tar file, or an existing directory (a timestamped .tar is written into it)",
    )
    backup.add_argument(
        "--directory",
        action="store_true",
        help="write the backup's files into --output (a new directory) instead of one .tar",
    )
    backup.add_argument("--data-dir", help="Odoo's data directory (default: IPWB_DATA_DIR or /var/lib/odoo)")
    backup.set_defaults(func=run_backup)

    restore = subparsers.add_parser("restore", help="restore a backup onto an empty server")
    restore.add_argument("--input", required=True, type=pathlib.Path, help="a backup .tar or directory")
    restore.add_argument("--data-dir", help="Odoo's data directory (default: IPWB_DATA_DIR or /var/lib/odoo)")
    restore.add_argument(
        "--force",
        action="store_true",
        help="drop and replace the target databases and filestore if not empty",
    )
    restore.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    settings = backup_env.from_environ(os.environ, args.data_dir)
    result = take_backup(settings, args.output, directory=args.directory)
    manifest = result.manifest
    summary = {
        "backup": str(result.path),
        "odoo": {"database": manifest["odoo"]["database"], "tables": len(manifest["odoo"]["counts"])},
        "warehouse": {
            "database": manifest["warehouse"]["database"],
            "tables": len(manifest["warehouse"]["counts"]),
        },
        "filestore": manifest["filestore"],
    }
    print(json.dumps(summary, indent=2))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = backup_env.from_environ(os.environ, args.data_dir)
    result = restore(settings, args.input, force=args.force)
    print(json.dumps(result.as_dict(), indent=2))
    return 0
