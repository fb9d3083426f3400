"""Roles and database privileges: what ``pg_dump`` of one database leaves out.

A backup records the roles its two databases refer to (owners, grantees, the warehouse
roles of setup/pg.sh and the grant sync's per-team roles) with their attributes,
settings and memberships, and each database's own privileges (``CONNECT`` …). A restore
creates the roles that are missing on the target server — never touching existing ones —
so that the dumps' ownerships and grants apply unchanged.

Role names are read with ``oid::regrole`` so a hardened warehouse (``pg_roles`` revoked
from ``PUBLIC``, see :mod:`ipwb.warehouse.hardening`) can still be described.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import BackupError

#: GUCs whose value is a list: ``ALTER ROLE … SET`` takes their items one by one
LIST_SETTINGS = frozenset(
    {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"}
)

_REFERENCED_ROLES = """
SELECT DISTINCT g.oid::regrole::text FROM (
    SELECT (aclexplode(c.relacl)).grantee FROM pg_class c
     WHERE c.relacl IS NOT NULL
       AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    UNION SELECT c.relowner FROM pg_class c
     WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    UNION SELECT (aclexplode(n.nspacl)).grantee FROM pg_namespace n WHERE n.nspacl IS NOT NULL
    UNION SELECT n.nspowner FROM pg_namespace n
     WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    UNION SELECT (aclexplode(d.defaclacl)).grantee FROM pg_default_acl d
    UNION SELECT d.defaclrole FROM pg_default_acl d
    UNION SELECT (aclexplode(db.datacl)).grantee FROM pg_database db WHERE db.datname = current_database()
    UNION SELECT db.datdba FROM pg_database db WHERE db.datname = current_database()
) AS g(oid) WHERE g.oid <> 0
"""

_DATABASE_ACL = """
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type
  FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() ORDER BY 1, 2
"""


def warehouse_role_prefix(warehouse: str) -> str:
    """The grant sync's per-team role prefix of a warehouse (:mod:`ipwb.warehouse.grants`).

    >>> warehouse_role_prefix("ipwb_warehouse")[:8]
    'ipwb_wh_'
    """
    return f"ipwb_wh_{hashlib.sha256(warehouse.encode('utf-8')).hexdigest()[:8]}_"


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def referenced_roles(conn: psycopg2.extensions.connection) -> set[str]:
    with conn.cursor() as cur:
        cur.execute(_REFERENCED_ROLES)
        return {_unquote(row[0]) for row in cur.fetchall()}


def database_acl(conn: psycopg2.extensions.connection) -> list[list[str]] | None:
    """``[[grantee, privilege], …]`` of the connected database; None when never changed."""
    with conn.cursor() as cur:
        cur.execute("SELECT datacl IS NULL FROM pg_database WHERE datname = current_database()")
        row = cur.fetchone()
        if row is None or row[0]:
            return None
        cur.execute(_DATABASE_ACL)
        return [[_unquote(grantee), privilege] for grantee, privilege in cur.fetchall()]


def describe_roles(
    conn: psycopg2.extensions.connection, names: Iterable[str], prefix: str
) -> list[dict[str, Any]]:
    """Attributes, settings and memberships of ``names`` and of the roles starting with
    ``prefix``; superusers and PostgreSQL's predefined ``pg_*`` roles are left out."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT rolname, rolcanlogin, rolinherit, rolcreatedb, rolcreaterole, rolconnlimit,"
            " coalesce(rolconfig, '{}') FROM pg_roles"
            " WHERE (rolname = ANY(%s) OR starts_with(rolname, %s))"
            " AND NOT rolsuper AND NOT starts_with(rolname, 'pg_') ORDER BY rolname",
            (sorted(names), prefix),
        )
        rows = cur.fetchall()
        selected = [row[0] for row in rows]
        cur.execute(
            "SELECT r.rolname, m.rolname, am.admin_option FROM pg_auth_members am"
            " JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member"
            " WHERE r.rolname = ANY(%s) AND m.rolname = ANY(%s) ORDER BY 2, 1",
            (selected, selected),
        )
        member_of: dict[str, list[str]] = {}
        for role, member, _admin in cur.fetchall():
            member_of.setdefault(member, []).append(role)
    return [
        {
            "name": name,
            "login": login,
            "inherit": inherit,
            "createdb": createdb,
            "createrole": createrole,
            "connection_limit": connlimit,
            "settings": list(config),
            "member_of": member_of.get(name, []),
        }
        for name, login, inherit, createdb, createrole, connlimit, config in rows
    ]


def setting_value(key: str, raw: str) -> sql.Composable:
    """The value part of ``ALTER ROLE … SET key = …`` for a ``pg_roles.rolconfig`` entry
    (a list setting such as ``search_path`` as one literal per item, else one literal)."""
    if key in LIST_SETTINGS:
        return sql.SQL(", ").join(sql.Literal(item.strip()) for item in raw.split(",") if item.strip())
    return sql.Literal(raw)


def missing_roles(
    conn: psycopg2.extensions.connection, roles: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    wanted = list(roles)
    with conn.cursor() as cur:
        cur.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", ([r["name"] for r in wanted],))
        existing = {row[0] for row in cur.fetchall()}
    return [role for role in wanted if role["name"] not in existing]


def check_passwords(
    roles: Iterable[Mapping[str, Any]], passwords: Mapping[str, str | None], variables: Mapping[str, str]
) -> None:
    """Refuse up front when a login role that must be created has no password configured."""
    lacking = [
        variables.get(role["name"], role["name"])
        for role in roles
        if role["login"] and role["name"] in passwords and not passwords[role["name"]]
    ]
    if lacking:
        raise BackupError(
            "the restore must create login roles whose passwords are not configured: set "
            + ", ".join(sorted(lacking))
        )


def create_roles(
    conn: psycopg2.extensions.connection,
    roles: Iterable[Mapping[str, Any]],
    passwords: Mapping[str, str | None],
) -> list[str]:
    """Create ``roles`` (all missing) with their attributes and settings, then add the
    recorded memberships that are missing. The caller commits."""
    created = []
    todo = list(roles)
    with conn.cursor() as cur:
        for role in todo:
            options = [
                sql.SQL("LOGIN" if role["login"] else "NOLOGIN"),
                sql.SQL("INHERIT" if role["inherit"] else "NOINHERIT"),
                sql.SQL("CREATEDB" if role["createdb"] else "NOCREATEDB"),
                sql.SQL("CREATEROLE" if role["createrole"] else "NOCREATEROLE"),
                sql.SQL("CONNECTION LIMIT {}").format(sql.Literal(int(role["connection_limit"]))),
            ]
            password = passwords.get(role["name"])
            if role["login"] and password:
                options.append(sql.SQL("PASSWORD {}").format(sql.Literal(password)))
            ident = sql.Identifier(role["name"])
            cur.execute(sql.SQL("CREATE ROLE {} WITH {}").format(ident, sql.SQL(" ").join(options)))
            for entry in role["settings"]:
                key, _, raw = str(entry).partition("=")
                cur.execute(
                    sql.SQL("ALTER ROLE {} SET {} = {}").format(
                        ident, sql.Identifier(key), setting_value(key, raw)
                    )
                )
            created.append(role["name"])
    return created


def grant_memberships(conn: psycopg2.extensions.connection, roles: Iterable[Mapping[str, Any]]) -> None:
    with conn.cursor() as cur:
        for role in roles:
            for parent in role["member_of"]:
                cur.execute(
                    "SELECT 1 FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid"
                    " JOIN pg_roles m ON m.oid = am.member WHERE r.rolname = %s AND m.rolname = %s",
                    (parent, role["name"]),
                )
                if cur.fetchone() is None:
                    cur.execute(
                        sql.SQL("GRANT {} TO {}").format(sql.Identifier(parent), sql.Identifier(role["name"]))
                    )


def apply_database_acl(
    conn: psycopg2.extensions.connection, database: str, acl: list[list[str]] | None
) -> None:
    if acl is None:
        return
    db = sql.Identifier(database)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
        for grantee, privilege in acl:
            if privilege not in {"CONNECT", "CREATE", "TEMPORARY"}:
                raise BackupError(f"the manifest names an unknown database privilege {privilege!r}")
            target = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
            cur.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}").format(sql.SQL(privilege), db, target))
