"""``ipwb finance …``: the finance domain's warehouse chores that need an administrator.

``ipwb finance bi-role --dsn DSN`` creates (or tightens) the read-only BI login role that
Superset (or any BI tool) uses: it may read the ``bi`` views of the finance marts and
nothing else. Run it as a warehouse administrator (``setup/run.sh`` does, after the first
pipeline run created the views); the password comes from an environment variable, never
from the command line.
"""

from __future__ import annotations

import argparse
import os

from ipwb.errors import ConfigurationError
from ipwb.finance import bi
from ipwb.finance.warehouse import FinanceSchemas
from ipwb.warehouse.connection import WarehouseConfig, connect


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("finance", help="finance domain (BIR) warehouse administration")
    commands = parser.add_subparsers(dest="finance_command", metavar="SUBCOMMAND")
    commands.required = True
    role = commands.add_parser(
        "bi-role",
        help="create or tighten the read-only BI role on the bi views",
        description="Create or tighten the read-only BI login role (reads the bi schema only).",
    )
    role.add_argument("--dsn", required=True, help="administrator DSN of the warehouse database")
    role.add_argument("--role", default=bi.BI_ROLE, help=f"role name (default {bi.BI_ROLE})")
    role.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the role's password"
    )
    role.set_defaults(func=run_bi_role)


def run_bi_role(args: argparse.Namespace) -> int:
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise ConfigurationError(f"Environment variable {args.password_env} is empty or not set")
    schemas = FinanceSchemas()
    conn = connect(WarehouseConfig.from_dsn(args.dsn, application_name="ipwb-finance-admin"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (schemas.bi,))
            missing = cur.fetchone() is None
        if missing:  # an administrator must not create the owner's schemas
            raise ConfigurationError(
                f"Schema {schemas.bi} does not exist yet: run the finance pipeline once first"
            )
        bi.provision_bi_role(conn, schemas, role=args.role, password=password)
        conn.commit()
    finally:
        conn.close()
    print(f"role {args.role}: read-only, schema {schemas.bi}")
    return 0
