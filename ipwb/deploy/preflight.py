"""What the admin role and the server lack to provision the workbench, found before anything is created.

Managed PostgreSQL (Supabase's ``postgres``, DigitalOcean's ``doadmin``) gives an admin role
that is no superuser but has CREATEDB and CREATEROLE. That is enough (see
:mod:`ipwb.deploy.provision`); whatever else is missing is listed here, each with what to
grant, in one message: ``python -m ipwb.deploy.preflight`` (``--runtime``: also check, as
Odoo's role, that the connection is not a transaction-mode pooler).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence

import psycopg2
import psycopg2.extensions

from ipwb.deploy import pooler
from ipwb.deploy.dbenv import WH_GRANTS, WH_OWNER, WH_READER, DbSettings, Server
from ipwb.errors import ConfigurationError, IpwbError, WarehouseError
from ipwb.warehouse.connection import primary_message

_logger = logging.getLogger(__name__)

#: oldest server: trusted extensions (pg_trgm, unaccent created by a database owner) need 13
MIN_SERVER_VERSION = 130000
#: extensions the Odoo database and the warehouse use
EXTENSIONS = ("pg_trgm", "unaccent")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing missing, and what to grant or do about it."""

    missing: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.missing} ({self.remedy})"


@dataclasses.dataclass(frozen=True)
class AdminRole:
    """The connected admin role's attributes."""

    name: str
    superuser: bool
    createdb: bool
    createrole: bool


def admin_role(cur: psycopg2.extensions.cursor) -> AdminRole:
    cur.execute(
        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_catalog.pg_roles"
        " WHERE rolname = current_user"
    )
    row = cur.fetchone()
    if row is None:
        raise WarehouseError("The connected role is not listed in pg_roles")
    return AdminRole(str(row[0]), bool(row[1]), bool(row[2]), bool(row[3]))


def check_admin(conn: psycopg2.extensions.connection, settings: DbSettings, server: Server) -> list[Finding]:
    """Everything the admin role on ``server`` lacks to provision ``settings``."""
    findings: list[Finding] = []
    with conn.cursor() as cur:
        version = conn.server_version
        if version < MIN_SERVER_VERSION:
            findings.append(
                Finding(
                    f"PostgreSQL {version // 10000} is too old",
                    "use PostgreSQL 13 or later: pg_trgm and unaccent must be trusted extensions",
                )
            )
        role = admin_role(cur)
        if not role.superuser:
            for flag, present in (("CREATEDB", role.createdb), ("CREATEROLE", role.createrole)):
                if not present:
                    findings.append(
                        Finding(
                            f"role {role.name} lacks {flag}",
                            f"ALTER ROLE {role.name} {flag}, as a superuser or in the provider's console",
                        )
                    )
            findings.extend(_role_findings(cur, role, settings, server, version))
            findings.extend(_database_findings(cur, settings, server))
        findings.extend(_extension_findings(cur, role, settings, server))
    return findings


def managed_roles(settings: DbSettings, server: Server) -> list[str]:
    """The roles provisioning creates on ``server``."""
    roles = [settings.odoo_role] if server == settings.server else []
    if server == settings.warehouse_server:
        roles += [WH_OWNER, WH_READER, WH_GRANTS]
    return roles


def managed_databases(settings: DbSettings, server: Server) -> dict[str, str]:
    """Database name → owner role, for the databases provisioning creates on ``server``."""
    databases = {settings.odoo_db: settings.odoo_role} if server == settings.server else {}
    if server == settings.warehouse_server:
        databases[settings.warehouse_db] = WH_OWNER
    return databases


def _role_findings(
    cur: psycopg2.extensions.cursor, role: AdminRole, settings: DbSettings, server: Server, version: int
) -> list[Finding]:
    findings: list[Finding] = []
    cur.execute(
        "SELECT r.rolname, r.rolsuper,"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles a ON a.oid = m.member"
        "         WHERE m.roleid = r.oid AND a.rolname = current_user AND m.admin_option)"
        " FROM pg_catalog.pg_roles r WHERE r.rolname = ANY(%s)",
        (managed_roles(settings, server),),
    )
    for name, superuser, has_admin in cur.fetchall():
        if superuser:
            findings.append(
                Finding(
                    f"role {name} exists and is a superuser", f"ALTER ROLE {name} NOSUPERUSER, as a superuser"
                )
            )
        elif version >= 160000 and not has_admin:
            # PostgreSQL 16: CREATEROLE only manages the roles it created or holds ADMIN on
            findings.append(
                Finding(
                    f"role {name} exists but {role.name} has no ADMIN OPTION on it",
                    f"GRANT {name} TO {role.name} WITH ADMIN OPTION, as its creator or a superuser",
                )
            )
    return findings


def _database_findings(
    cur: psycopg2.extensions.cursor, settings: DbSettings, server: Server
) -> list[Finding]:
    wanted = managed_databases(settings, server)
    cur.execute(
        "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) FROM pg_catalog.pg_database d"
        " WHERE d.datname = ANY(%s)",
        (sorted(wanted),),
    )
    return [
        Finding(
            f"database {name} exists but is owned by {owner}, not {wanted[name]}",
            f"ALTER DATABASE {name} OWNER TO {wanted[name]}, as {owner} or a superuser",
        )
        for name, owner in cur.fetchall()
        if owner != wanted[name]
    ]


def _extension_findings(
    cur: psycopg2.extensions.cursor, role: AdminRole, settings: DbSettings, server: Server
) -> list[Finding]:
    cur.execute(
        "SELECT e.name, COALESCE(v.trusted, false) FROM pg_catalog.pg_available_extensions e"
        " LEFT JOIN pg_catalog.pg_available_extension_versions v"
        "   ON v.name = e.name AND v.version = e.default_version"
        " WHERE e.name = ANY(%s)",
        (list(EXTENSIONS),),
    )
    available = {str(name): bool(trusted) for name, trusted in cur.fetchall()}
    in_template = _template_extensions(settings, server)
    findings = []
    for name in EXTENSIONS:
        if name not in available and name not in in_template:
            findings.append(
                Finding(
                    f"extension {name} is not available",
                    "install the server's contrib package (postgresql-contrib)",
                )
            )
        elif not role.superuser and not available.get(name) and name not in in_template:
            findings.append(
                Finding(
                    f"extension {name} is neither trusted nor created in template1",
                    f"CREATE EXTENSION {name} in template1 as a superuser,"
                    " or allow it in the provider's console",
                )
            )
    return findings


def _template_extensions(settings: DbSettings, server: Server) -> set[str]:
    """Extensions already created in template1 (platforms pre-create them there); empty
    when template1 does not accept the admin's connections."""
    try:
        conn = psycopg2.connect(**settings.admin_kwargs(server, "template1"))
    except psycopg2.Error:
        return set()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT extname FROM pg_catalog.pg_extension")
            return {str(row[0]) for row in cur.fetchall()}
    finally:
        conn.close()


def connection_budget(conn: psycopg2.extensions.connection, settings: DbSettings) -> str | None:
    """A warning when one server (pod) of this configuration may open more connections than
    the server accepts: Odoo keeps up to ``db_maxconn`` per process (HTTP workers, cron
    workers and the gevent process each), and every further pod adds as many."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
        )
        row = cur.fetchone()
    limit = int(row[0]) if row else 0
    processes = max(settings.workers, 1) + settings.max_cron_threads + 1
    worst = processes * settings.db_maxconn
    if worst <= limit:
        return None
    return (
        f"one server may open up to {worst} connections"
        f" ({processes} processes x db_maxconn {settings.db_maxconn}) but PostgreSQL accepts {limit}:"
        " lower IPWB_DB_MAXCONN or IPWB_WORKERS, or raise the provider's limit"
    )


def admin_connect(
    settings: DbSettings, server: Server, dbname: str | None = None
) -> psycopg2.extensions.connection:
    try:
        conn: psycopg2.extensions.connection = psycopg2.connect(**settings.admin_kwargs(server, dbname))
    except psycopg2.OperationalError as exc:
        raise WarehouseError(
            f"Cannot connect as {settings.admin_user} to {server.describe()}/{dbname or settings.admin_db}:"
            f" {primary_message(exc)}"
        ) from None
    conn.autocommit = True
    return conn


def servers(settings: DbSettings) -> list[Server]:
    return [settings.server] + (
        [settings.warehouse_server] if settings.warehouse_server != settings.server else []
    )


def run_admin_checks(settings: DbSettings) -> None:
    """Raise :class:`ConfigurationError` naming everything missing, before anything is created."""
    missing = settings.missing_secrets()
    if missing:
        raise ConfigurationError(
            "Cannot provision the workbench: set " + ", ".join(missing) + " (or the same names with _FILE)."
        )
    for server in servers(settings):
        conn = admin_connect(settings, server)
        try:
            findings = check_admin(conn, settings, server)
            warning = connection_budget(conn, settings)
        finally:
            conn.close()
        if warning:
            _logger.warning("%s", warning)
        # the admin goes through the same endpoint as Odoo: a transaction-mode pooler is
        # refused here, before anything is created
        pooler.require_session_mode(settings.admin_kwargs(server), f"{server.describe()}/{settings.admin_db}")
        if findings:
            raise ConfigurationError(
                f"Cannot provision the workbench with role {settings.admin_user} on {server.describe()}: "
                + "; ".join(str(finding) for finding in findings)
                + ". Nothing was created. Superuser is not required: CREATEDB and CREATEROLE are enough."
            )


def run_runtime_checks(settings: DbSettings) -> None:
    """Odoo's role reaches its database and the ``postgres`` database (bus and cron LISTEN
    there) through a session-mode connection."""
    for dbname in (settings.odoo_db, "postgres"):
        pooler.require_session_mode(settings.odoo_kwargs(dbname), f"{settings.server.describe()}/{dbname}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipwb.deploy.preflight", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runtime", action="store_true", help="also check Odoo's role behind a pooler")
    parser.add_argument(
        "--runtime-only", action="store_true", help="only the runtime checks (web/cron start)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = DbSettings.from_environ(os.environ)
        if not args.runtime_only:
            run_admin_checks(settings)
        if args.runtime or args.runtime_only:
            run_runtime_checks(settings)
    except IpwbError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    print("preflight: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
