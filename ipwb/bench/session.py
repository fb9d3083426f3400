"""The ``--odoo-url/--odoo-db/--odoo-login/--password-env`` options shared by the benches that
can also go through a running workbench (``ipwb bench sql``, ``ipwb bench pipeline``), and the
logged-in JSON-RPC session every workbench benchmark uses (:func:`login`)."""

from __future__ import annotations

import argparse
import os

from ipwb.errors import ConfigurationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc


def add_odoo_arguments(parser: argparse.ArgumentParser, *, url_help: str, login_help: str) -> None:
    parser.add_argument("--odoo-url", help=url_help)
    parser.add_argument("--odoo-db", help="the workbench's Odoo database (with --odoo-url)")
    parser.add_argument("--odoo-login", default="admin", help=f"{login_help} (default admin)")
    parser.add_argument(
        "--password-env",
        default="IPWB_BENCH_PASSWORD",
        help="environment variable holding that login's password (default IPWB_BENCH_PASSWORD)",
    )


def odoo_session(args: argparse.Namespace) -> OdooJsonRpc | None:
    """A logged-in session when ``--odoo-url`` is given, else None; the password is read from
    the environment variable named by ``--password-env``, never from the command line."""
    if not args.odoo_url:
        return None
    if not args.odoo_db or not os.environ.get(args.password_env):
        raise ConfigurationError(f"--odoo-url needs --odoo-db and the password in ${args.password_env}")
    return login(args.odoo_url, args.odoo_db, args.odoo_login, args.password_env)


def login(url: str, db: str, user: str, password_env: str) -> OdooJsonRpc:
    """A JSON-RPC session logged in as ``user``; the password comes from ``$password_env``."""
    password = os.environ.get(password_env)
    if not password:
        raise ConfigurationError(f"Set {password_env} to the password of {user!r}")
    session = OdooJsonRpc(url)
    session.authenticate(db, user, password)
    return session
