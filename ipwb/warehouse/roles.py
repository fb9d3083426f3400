"""Provision and verify the restricted (read-only) role the SQL editor connects as.

The role is the last layer under classification and the READ ONLY transaction: even a
statement that slipped past both cannot write what it has no privilege on, cannot read
server files (no ``pg_read_server_files``), cannot run programs, and has no role to
``SET ROLE`` to. :func:`verify_readonly_role` checks exactly that, so a connection
configured with a role someone widened later is reported, not trusted.

Every statement is composed with :mod:`psycopg2.sql` (``Identifier``/``Literal``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import ConfigurationError, WarehouseError
from ipwb.sql.functions import DENIED, DENIED_PREFIXES
from ipwb.sql.reasons import ReasonCode

#: built-in roles that grant file, program or cross-session powers
PRIVILEGED_ROLES = (
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_signal_backend",
    "pg_write_all_data",
    "pg_checkpoint",
)


@dataclasses.dataclass(frozen=True)
class RoleReport:
    """Result of :func:`verify_readonly_role`: ``problems`` empty means fit for use."""

    role: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def provision_readonly_role(
    conn: psycopg2.extensions.connection,
    role: str,
    *,
    schemas: Sequence[str],
    password: str | None = None,
    statement_timeout_s: float | None = 30.0,
    connection_limit: int = 20,
) -> None:
    """Create (or tighten) ``role`` as a read-only login on the connected database.

    Run as the warehouse owner/administrator. Grants CONNECT, USAGE and SELECT on the
    given schemas (and on tables created there later by the current role), marks the
    role's sessions read-only and bounds its statements. Idempotent. The caller commits.
    """
    if not role or not schemas:
        raise ConfigurationError(
            "A role name and at least one schema are needed to provision a read-only role"
        )
    attributes = sql.SQL(
        "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN CONNECTION LIMIT {}"
    ).format(sql.Literal(int(connection_limit)))
    ident = sql.Identifier(role)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
        verb = sql.SQL("ALTER ROLE") if cur.fetchone() else sql.SQL("CREATE ROLE")
        cur.execute(sql.SQL("{} {} WITH {}").format(verb, ident, attributes))
        if password is not None:
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        if statement_timeout_s:
            timeout = sql.Literal(f"{int(statement_timeout_s * 1000)}ms")
            cur.execute(sql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(ident, timeout))
        cur.execute("SELECT current_database()")
        row = cur.fetchone()
        assert row is not None
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(row[0]), ident))
        for schema in schemas:
            schema_ident = sql.Identifier(schema)
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident))
            cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema_ident, ident))
            cur.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                    schema_ident, ident
                )
            )


def verify_readonly_role(conn: psycopg2.extensions.connection, role: str) -> RoleReport:
    """Check from an administrator connection that ``role`` cannot write or escape.

    Looks at role attributes, memberships (direct or inherited), the read-only default,
    ownership, and write/create privileges on every non-system table and schema of the
    connected database, and EXECUTE on the denied file/remote functions present.
    """
    try:
        with conn.cursor() as cur:
            return RoleReport(role, tuple(_problems(cur, role)))
    except psycopg2.Error as exc:
        raise WarehouseError(f"Could not verify role {role!r}: {str(exc).strip().splitlines()[0]}") from None


def verify_login_roles(conn: psycopg2.extensions.connection, prefix: str) -> list[RoleReport]:
    """:func:`verify_readonly_role` for every login role named ``prefix…`` (the per-team
    roles of :mod:`ipwb.warehouse.grants`), plus: each is a member of roles of the same
    prefix only (and those of nothing), so ``SET ROLE`` reaches nothing wider."""
    if not prefix:
        raise ConfigurationError("A role prefix is needed to verify login roles")
    pattern = prefix.replace("_", "\\_") + "%"
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcanlogin AND rolname LIKE %s ORDER BY 1",
                (pattern,),
            )
            reports = []
            for (role,) in cur.fetchall():
                problems = _problems(cur, role)
                cur.execute(
                    "SELECT r.rolname FROM pg_catalog.pg_roles r, pg_catalog.pg_roles u"
                    " WHERE u.rolname = %s AND r.oid <> u.oid"
                    " AND pg_catalog.pg_has_role(u.oid, r.oid, 'MEMBER')"
                    " AND (r.rolname NOT LIKE %s OR r.rolcanlogin) ORDER BY 1",
                    (role, pattern),
                )
                problems += [f"role {role!r} is a member of {name!r}" for (name,) in cur.fetchall()]
                reports.append(RoleReport(role, tuple(problems)))
            return reports
    except psycopg2.Error as exc:
        raise WarehouseError(f"Could not verify login roles: {str(exc).strip().splitlines()[0]}") from None


def _problems(cur: psycopg2.extensions.cursor, role: str) -> list[str]:
    cur.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, oid"
        " FROM pg_catalog.pg_roles WHERE rolname = %s",
        (role,),
    )
    row = cur.fetchone()
    if row is None:
        return [f"role {role!r} does not exist"]
    problems = [
        f"role {role!r} has the {label} attribute"
        for flag, label in zip(
            row[:5], ("SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"), strict=True
        )
        if flag
    ]
    role_oid = row[5]
    cur.execute(
        "SELECT r.rolname FROM pg_catalog.pg_roles r"
        " WHERE r.oid <> %s AND pg_catalog.pg_has_role(%s, r.oid, 'MEMBER')"
        " AND (r.rolsuper OR r.rolname = ANY(%s) OR r.rolcreaterole OR r.rolbypassrls) ORDER BY 1",
        (role_oid, role_oid, list(PRIVILEGED_ROLES)),
    )
    problems += [f"role {role!r} is a member of privileged role {name!r}" for (name,) in cur.fetchall()]
    cur.execute(
        "SELECT count(*) FROM pg_catalog.pg_db_role_setting s"
        " WHERE s.setrole = %s AND s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database"
        "   WHERE datname = current_database()))"
        " AND 'default_transaction_read_only=on' = ANY(s.setconfig)",
        (role_oid,),
    )
    if not _scalar(cur):
        problems.append(
            f"role {role!r} does not default to read-only transactions (default_transaction_read_only)"
        )
    cur.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
        " AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
        " AND (c.relowner = %s"
        "      OR pg_catalog.has_table_privilege(%s, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')"
        "      OR (c.relkind = 'S' AND pg_catalog.has_sequence_privilege(%s, c.oid, 'UPDATE')))"
        " ORDER BY 1 LIMIT 20",
        (role_oid, role_oid, role_oid),
    )
    problems += [f"role {role!r} can write to or owns {name}" for (name,) in cur.fetchall()]
    cur.execute(
        "SELECT nspname FROM pg_catalog.pg_namespace"
        " WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%%'"
        " AND (nspowner = %s OR pg_catalog.has_schema_privilege(%s, oid, 'CREATE')) ORDER BY 1",
        (role_oid, role_oid),
    )
    problems += [f"role {role!r} can create objects in (or owns) schema {name}" for (name,) in cur.fetchall()]
    cur.execute("SELECT pg_catalog.has_database_privilege(%s, current_database(), 'CREATE')", (role_oid,))
    if _scalar(cur):
        problems.append(f"role {role!r} can create schemas in the database")
    names = sorted(DENIED[ReasonCode.SERVER_FILE_ACCESS] | DENIED[ReasonCode.REMOTE_ACCESS])
    prefixes = [f"{prefix}%" for prefix in DENIED_PREFIXES[ReasonCode.REMOTE_ACCESS]]
    cur.execute(
        "SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p"
        " WHERE (p.proname = ANY(%s) OR p.proname LIKE ANY(%s))"
        " AND pg_catalog.has_function_privilege(%s, p.oid, 'EXECUTE') ORDER BY 1",
        (names, prefixes, role_oid),
    )
    problems += [
        f"role {role!r} may execute {name}() (revoke EXECUTE, e.g. from PUBLIC)" for (name,) in cur.fetchall()
    ]
    return problems


def _scalar(cur: psycopg2.extensions.cursor) -> object:
    row = cur.fetchone()
    return row[0] if row else None
