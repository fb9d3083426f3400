"""Warehouse-side enforcement of the catalog's restricted tables: roles and grants.

The catalog hides a restricted table from everyone but its owner team and the
administrators; this module makes PostgreSQL refuse it too, so users' SQL (editor,
export, Genie, agent tools) can read exactly what the catalog shows them.

Roles, per warehouse database (``<tag>`` = 8 hex digits of the database name's SHA-256,
so that warehouses sharing a cluster never share a role):

``ipwb_wh_<tag>_all``
    NOLOGIN. CONNECT on the database, USAGE on the managed schemas, SELECT on every
    relation there that is not restricted (default privileges cover tables the owner
    creates later).
``ipwb_wh_<tag>_t_<team>``
    NOLOGIN. SELECT on the restricted relations the team may read. ``<team>`` is a short
    key chosen by the caller (the workbench uses ``g<group id>`` and ``admin``).
``ipwb_wh_<tag>_r_<hash>``
    LOGIN, one per *team set* (hash of the sorted team keys). NOSUPERUSER NOCREATEDB
    NOCREATEROLE, read-only by default, bounded statements, owns nothing, member of
    ``_all`` and of its team roles only: ``SET ROLE`` reaches nothing the login could not
    read anyway. Its password is derived (:func:`derive_password`), never stored.

Everything is idempotent and diff-based: :func:`read_state` reads the current grants,
:func:`plan_grants` (pure) computes the difference to the wanted state, :func:`apply_plan`
executes it with :mod:`psycopg2.sql`. The connected role must be able to create roles and
to grant on the relations (the setup's ``ipwb_wh_grants``: CREATEROLE, member of the
warehouse owner); it is never used for users' SQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import ConfigurationError, WarehouseError
from ipwb.warehouse.connection import WarehouseConfig, connect, primary_message
from ipwb.warehouse.roles import verify_login_roles

#: the key of the administrators' pseudo-team (they read every restricted relation)
ADMIN_TEAM = "admin"
#: relation kinds granted: tables, partitioned tables, views, materialized views, foreign tables
RELATION_KINDS = ("r", "p", "v", "m", "f")
_TEAM_KEY = re.compile(r"^[a-z0-9]{1,16}$")
_SEARCH_PATH = ("gold", "silver", "bronze", "platinum", "public")

Relation = tuple[str, str]


@dataclasses.dataclass(frozen=True)
class GrantNames:
    """The role names of one warehouse database."""

    dbname: str

    @property
    def tag(self) -> str:
        return hashlib.sha256(self.dbname.encode("utf-8")).hexdigest()[:8]

    @property
    def prefix(self) -> str:
        return f"ipwb_wh_{self.tag}_"

    @property
    def everyone(self) -> str:
        return f"{self.prefix}all"

    def team(self, key: str) -> str:
        return f"{self.prefix}t_{check_team_key(key)}"

    def login(self, teams: Iterable[str]) -> str:
        keys = sorted({check_team_key(key) for key in teams})
        digest = hashlib.sha256(",".join(keys).encode("ascii")).hexdigest()[:12]
        return f"{self.prefix}r_{digest}"


def check_team_key(key: str) -> str:
    if not isinstance(key, str) or not _TEAM_KEY.match(key):
        raise ConfigurationError(f"Not a team key (1-16 lower-case letters or digits): {key!r}")
    return key


def derive_password(secret: str, role: str) -> str:
    """The password of a login role: HMAC-SHA256(secret, role), the same in every worker."""
    if not secret:
        raise ConfigurationError("Deriving role passwords needs the grants role's password")
    return hmac.new(secret.encode("utf-8"), role.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclasses.dataclass(frozen=True)
class RelationState:
    schema: str
    name: str
    #: the connected role may grant on it (owns it, or is a member of its owner)
    grantable: bool
    #: managed roles (of this database) holding SELECT on it
    readers: frozenset[str]


@dataclasses.dataclass(frozen=True)
class WarehouseState:
    relations: tuple[RelationState, ...]
    #: managed roles that exist
    roles: frozenset[str]
    #: managed schemas that exist
    schemas: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class GrantPlan:
    """What :func:`apply_plan` does: roles to create, SELECT grants and revokes."""

    create_roles: tuple[str, ...]
    grants: tuple[tuple[str, str, str], ...]
    revokes: tuple[tuple[str, str, str], ...]
    #: relations the connected role cannot grant on (owned by another role), left as they are
    unmanaged: tuple[Relation, ...]
    #: what :func:`ipwb.warehouse.roles.verify_login_roles` found wrong after applying
    problems: tuple[str, ...] = ()

    @property
    def changes(self) -> int:
        return len(self.create_roles) + len(self.grants) + len(self.revokes)

    def summary(self) -> str:
        text = f"{len(self.grants)} grants, {len(self.revokes)} revokes, {len(self.create_roles)} new roles"
        if self.unmanaged:
            names = ", ".join(f"{s}.{n}" for s, n in self.unmanaged[:5])
            text += f"; {len(self.unmanaged)} relations owned by another role left alone ({names})"
        if self.problems:
            text += f"; {len(self.problems)} role problems: " + "; ".join(self.problems[:3])
        return text


def read_state(
    conn: psycopg2.extensions.connection, names: GrantNames, schemas: Sequence[str]
) -> WarehouseState:
    """Relations of the managed schemas and the SELECT grants of this database's roles."""
    prefix = names.prefix.replace("_", "\\_") + "%"
    with conn.cursor() as cur:
        cur.execute(
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s) ORDER BY 1", (list(schemas),)
        )
        present = tuple(row[0] for row in cur.fetchall())
        cur.execute(
            "SELECT n.nspname, c.relname, pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE'),"
            " coalesce((SELECT array_agg(DISTINCT a.grantee::regrole::text)"
            "   FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a"
            "   WHERE a.privilege_type = 'SELECT' AND a.grantee <> 0"
            "   AND a.grantee::regrole::text LIKE %s), '{}')"
            " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(%s) AND c.relkind = ANY(%s) ORDER BY 1, 2",
            (prefix, list(present), list(RELATION_KINDS)),
        )
        relations = tuple(
            RelationState(schema, name, bool(grantable), frozenset(readers))
            for schema, name, grantable, readers in cur.fetchall()
        )
        cur.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE %s", (prefix,))
        roles = frozenset(row[0] for row in cur.fetchall())
    return WarehouseState(relations, roles, present)


def plan_grants(
    names: GrantNames, state: WarehouseState, restricted: Mapping[Relation, Iterable[str]]
) -> GrantPlan:
    """The changes making ``state`` match the policy (pure).

    ``restricted`` maps ``(schema, name)`` to the team keys that may read it; every other
    relation is read by everyone. Grants of this database's roles outside the policy are
    revoked; relations the connected role cannot grant on are reported, not touched.
    """
    wanted_teams = {rel: frozenset(names.team(k) for k in keys) for rel, keys in restricted.items()}
    needed_roles = {names.everyone} | {role for roles in wanted_teams.values() for role in roles}
    grants: list[tuple[str, str, str]] = []
    revokes: list[tuple[str, str, str]] = []
    unmanaged: list[Relation] = []
    for rel in state.relations:
        key = (rel.schema, rel.name)
        wanted = wanted_teams.get(key, frozenset({names.everyone}))
        if not rel.grantable:
            if wanted != rel.readers:
                unmanaged.append(key)
            continue
        grants += [(rel.schema, rel.name, role) for role in sorted(wanted - rel.readers)]
        revokes += [(rel.schema, rel.name, role) for role in sorted(rel.readers - wanted)]
    return GrantPlan(
        create_roles=tuple(sorted(needed_roles - state.roles)),
        grants=tuple(grants),
        revokes=tuple(revokes),
        unmanaged=tuple(unmanaged),
    )


def apply_plan(
    conn: psycopg2.extensions.connection,
    names: GrantNames,
    plan: GrantPlan,
    *,
    schemas: Sequence[str],
    owner_role: str,
) -> None:
    """Execute ``plan`` and (re)state the everyone role's base privileges. The caller commits.

    New relations the owner creates in ``schemas`` are readable by everyone (default
    privileges); a later sync revokes them if the catalog restricts them.
    """
    everyone = sql.Identifier(names.everyone)
    with conn.cursor() as cur:
        for role in plan.create_roles:
            cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(role)))
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(names.dbname), everyone)
        )
        for schema in schemas:
            ident = sql.Identifier(schema)
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident, everyone))
            cur.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
                ).format(sql.Identifier(owner_role), ident, everyone)
            )
        for verb, rows in (
            ("GRANT SELECT ON {} TO {}", plan.grants),
            ("REVOKE SELECT ON {} FROM {}", plan.revokes),
        ):
            for schema, name, role in rows:
                cur.execute(sql.SQL(verb).format(sql.Identifier(schema, name), sql.Identifier(role)))


def sync_grants(
    config: WarehouseConfig,
    *,
    schemas: Sequence[str],
    restricted: Mapping[Relation, Iterable[str]],
    owner_role: str,
) -> GrantPlan:
    """Read, plan and apply in one transaction as ``config``'s (grants) role."""
    if not owner_role:
        raise ConfigurationError("The warehouse owner role is needed to sync grants")
    names = GrantNames(config.dbname)
    conn = connect(config)
    try:
        state = read_state(conn, names, schemas)
        plan = plan_grants(names, state, restricted)
        apply_plan(conn, names, plan, schemas=state.schemas, owner_role=owner_role)
        conn.commit()
        problems = [p for report in verify_login_roles(conn, names.prefix) for p in report.problems]
        conn.rollback()
        return dataclasses.replace(plan, problems=tuple(problems))
    except psycopg2.Error as exc:
        conn.rollback()
        raise WarehouseError(f"Could not sync warehouse grants: {primary_message(exc)}") from None
    finally:
        conn.close()


def ensure_login_role(
    conn: psycopg2.extensions.connection,
    names: GrantNames,
    teams: Iterable[str],
    *,
    secret: str,
    statement_timeout_s: float = 30.0,
    connection_limit: int = 20,
) -> str:
    """Create or tighten the login role of ``teams``; returns its name. The caller commits.

    Its memberships are exactly the everyone role and the team roles (created NOLOGIN when
    missing); any other membership is revoked. The connected (grants) role becomes a
    member of it, so that it may cancel the login's statements (``pg_cancel_backend``).
    """
    keys = sorted({check_team_key(key) for key in teams})
    role = names.login(keys)
    ident = sql.Identifier(role)
    wanted = {names.everyone, *(names.team(key) for key in keys)}
    # PostgreSQL 15 lets only superusers name SUPERUSER/REPLICATION/BYPASSRLS in ALTER ROLE;
    # a CREATEROLE role cannot set them anyway (verify_login_roles reports them if present)
    common = sql.SQL("LOGIN NOCREATEDB NOCREATEROLE INHERIT CONNECTION LIMIT {} PASSWORD {}").format(
        sql.Literal(int(connection_limit)), sql.Literal(derive_password(secret, role))
    )
    with conn.cursor() as cur:
        cur.execute(
            "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)", (sorted(wanted | {role}),)
        )
        existing = {row[0] for row in cur.fetchall()}
        for member_of in sorted(wanted - existing):
            cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(member_of)))
        if role in existing:
            cur.execute(sql.SQL("ALTER ROLE {} WITH {}").format(ident, common))
        else:
            cur.execute(
                sql.SQL("CREATE ROLE {} WITH NOSUPERUSER NOREPLICATION NOBYPASSRLS {}").format(ident, common)
            )
        settings = {
            "default_transaction_read_only": sql.SQL("on"),
            "statement_timeout": sql.Literal(f"{int(statement_timeout_s * 1000)}ms"),
            "search_path": sql.SQL(", ").join(sql.Identifier(s) for s in _SEARCH_PATH),
        }
        for name, value in settings.items():
            cur.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(ident, sql.Identifier(name), value))
        cur.execute(
            "SELECT r.rolname FROM pg_catalog.pg_auth_members m"
            " JOIN pg_catalog.pg_roles r ON r.oid = m.roleid"
            " JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            (role,),
        )
        current = {row[0] for row in cur.fetchall()}
        for extra in sorted(current - wanted):
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(extra), ident))
        for missing in sorted(wanted - current):
            cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(missing), ident))
        cur.execute("SELECT pg_catalog.pg_has_role(current_user, %s, 'MEMBER')", (role,))
        row = cur.fetchone()
        if not (row and row[0]):
            cur.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(ident))
    return role


def login_config(
    grants_config: WarehouseConfig, teams: Iterable[str], *, statement_timeout_s: float = 30.0
) -> WarehouseConfig:
    """Ensure the login role of ``teams`` (as the grants role) and return its config."""
    names = GrantNames(grants_config.dbname)
    keys = list(teams)
    for attempt in (1, 2):  # two workers creating the same role at once: the loser retries
        conn = connect(grants_config)
        try:
            role = ensure_login_role(
                conn, names, keys, secret=grants_config.password, statement_timeout_s=statement_timeout_s
            )
            conn.commit()
            break
        except (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation) as exc:
            conn.rollback()
            if attempt == 2:
                raise WarehouseError(
                    f"Could not prepare the warehouse role: {primary_message(exc)}"
                ) from None
        except psycopg2.Error as exc:
            conn.rollback()
            raise WarehouseError(f"Could not prepare the warehouse role: {primary_message(exc)}") from None
        finally:
            conn.close()
    return dataclasses.replace(
        grants_config, user=role, password=derive_password(grants_config.password, role)
    )
