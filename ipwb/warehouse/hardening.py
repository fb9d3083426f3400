"""Defence in depth for a warehouse database: what users' roles never need is revoked.

Run as a superuser on each warehouse database (``setup/pg.sh`` ``ensure_warehouse_db``):
``python -m ipwb.warehouse.hardening --dsn DSN [--cancel-role R]… [--catalog-role R]…``.
Without a superuser (managed PostgreSQL: the admin role has CREATEDB and CREATEROLE only)
nothing here can be done, since only the owner of ``pg_catalog``'s objects may revoke
PUBLIC's grants on them: it is skipped with a logged explanation
(:data:`SKIPPED_WITHOUT_SUPERUSER`) instead of failing.

PostgreSQL grants some functions and system views to ``PUBLIC``. The SQL guard refuses
statements calling them, but should a statement ever slip past it, the role running it
still gets ``permission denied``:

* signalling other backends (``pg_cancel_backend``, ``pg_terminate_backend``),
  ``pg_notify``, advisory locks, large objects;
* who else is connected and to what (``pg_stat_activity`` and the functions under it,
  ``pg_locks``), which roles and databases exist (``pg_roles``, ``pg_database``, …).

Granted back, by name, to the workbench's own roles that need them: ``cancel_roles``
(the roles whose sessions cancel a running statement) get ``pg_cancel_backend``;
``lock_roles`` (the owner: pipeline steps serialise with advisory locks) get the
advisory-lock functions; ``catalog_roles`` (the grant sync, which also verifies the login
roles) read ``pg_roles``, ``pg_auth_members``, ``pg_database`` and ``pg_db_role_setting``.
``set_config`` stays executable: the guard sets a transaction-local ``statement_timeout``
with it.

What stays visible to every role (PostgreSQL offers no per-row control there): the names
and definitions of all relations, schemas, functions and types of the database
(``pg_class``, ``pg_namespace``, ``pg_proc``, ``pg_views`` …), their statistics views
(``pg_stat_user_tables``), server settings (``pg_settings``), ``current_user``,
``session_user`` and ``version()``. Column statistics (``pg_stats``) show only tables
the role may read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

_logger = logging.getLogger(__name__)

#: logged when the connected role is no superuser: what the warehouse goes without
SKIPPED_WITHOUT_SUPERUSER = (
    "Warehouse hardening skipped: the connected role is not a superuser, and only the owner of"
    " pg_catalog (the bootstrap superuser) may revoke PUBLIC's EXECUTE/SELECT on its functions and"
    " views. What is lost is defence in depth only: should a statement slip past the SQL guard"
    " (which refuses them in users' SQL either way), users' roles could still call pg_notify,"
    " advisory locks and large-object functions, cancel other statements of the same login role,"
    " list sessions (pg_stat_activity, without other roles' query text), roles (pg_roles) and"
    " databases (pg_database). To get it back, have the provider's superuser run"
    " python -m ipwb.warehouse.hardening on the warehouse database."
)

#: functions (every overload in pg_catalog) whose EXECUTE is revoked from PUBLIC
REVOKED_FUNCTIONS = (
    "pg_notify",
    "pg_cancel_backend",
    "pg_terminate_backend",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_unlock",
    "pg_advisory_unlock_shared",
    "pg_advisory_unlock_all",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "lo_open",
    "lo_close",
    "loread",
    "lowrite",
    "lo_lseek",
    "lo_lseek64",
    "lo_tell",
    "lo_tell64",
    "lo_truncate",
    "lo_truncate64",
    "lo_creat",
    "lo_create",
    "lo_unlink",
    "lo_import",
    "lo_export",
    "lo_get",
    "lo_put",
    "lo_from_bytea",
    "pg_stat_get_activity",
    "pg_stat_get_backend_idset",
    "pg_stat_get_backend_pid",
    "pg_stat_get_backend_userid",
    "pg_stat_get_backend_dbid",
    "pg_stat_get_backend_activity",
    "pg_stat_get_backend_activity_start",
    "pg_stat_get_backend_xact_start",
    "pg_stat_get_backend_start",
    "pg_stat_get_backend_client_addr",
    "pg_stat_get_backend_client_port",
    "pg_stat_get_backend_wait_event",
    "pg_stat_get_backend_wait_event_type",
    "pg_stat_get_backend_subxact",
    "pg_blocking_pids",
    "pg_safe_snapshot_blocking_pids",
    "pg_lock_status",
)

#: system views and catalogs whose SELECT is revoked from PUBLIC
REVOKED_RELATIONS = (
    "pg_stat_activity",
    "pg_stat_ssl",
    "pg_stat_gssapi",
    "pg_locks",
    "pg_roles",
    "pg_user",
    "pg_group",
    "pg_auth_members",
    "pg_database",
    "pg_db_role_setting",
    "pg_shdescription",
    "pg_stat_database",
    "pg_stat_database_conflicts",
)

#: granted back to the workbench's cancel roles
CANCEL_FUNCTIONS = ("pg_cancel_backend",)
#: granted back to the roles whose workbench code serialises with advisory locks (the owner:
#: the finance pipeline's steps take ``pg_try_advisory_xact_lock``)
LOCK_FUNCTIONS = tuple(name for name in REVOKED_FUNCTIONS if "advisory" in name.split("_"))
#: granted back to the grant sync's role
CATALOG_RELATIONS = ("pg_roles", "pg_auth_members", "pg_database", "pg_db_role_setting")


def harden_database(
    conn: psycopg2.extensions.connection,
    *,
    cancel_roles: Sequence[str] = (),
    catalog_roles: Sequence[str] = (),
    lock_roles: Sequence[str] = (),
) -> bool:
    """Revoke the PUBLIC privileges above on the connected database; grant back. The
    caller commits. Idempotent; names absent from this server version are skipped.

    Returns False, having changed nothing, when the connected role is not a superuser
    (a warning says what that loses)."""
    with conn.cursor() as cur:
        if not _is_superuser(cur):
            _logger.warning("%s", SKIPPED_WITHOUT_SUPERUSER)
            return False
        for oid in _functions(cur, REVOKED_FUNCTIONS):
            cur.execute(sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(oid))
        for name in _relations(cur, REVOKED_RELATIONS):
            cur.execute(sql.SQL("REVOKE SELECT ON {} FROM PUBLIC").format(sql.Identifier("pg_catalog", name)))
        roles = _existing_roles(cur, [*cancel_roles, *catalog_roles, *lock_roles])
        for grantees, functions in ((cancel_roles, CANCEL_FUNCTIONS), (lock_roles, LOCK_FUNCTIONS)):
            for role in (r for r in grantees if r in roles):
                for oid in _functions(cur, functions):
                    cur.execute(
                        sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(oid, sql.Identifier(role))
                    )
        for role in (r for r in catalog_roles if r in roles):
            for name in _relations(cur, CATALOG_RELATIONS):
                cur.execute(
                    sql.SQL("GRANT SELECT ON {} TO {}").format(
                        sql.Identifier("pg_catalog", name), sql.Identifier(role)
                    )
                )
    return True


def _is_superuser(cur: psycopg2.extensions.cursor) -> bool:
    cur.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")
    row = cur.fetchone()
    return bool(row and row[0])


def _functions(cur: psycopg2.extensions.cursor, names: Sequence[str]) -> list[sql.Composable]:
    # every overload: the name as an identifier, the argument types as the server spells them
    cur.execute(
        "SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) FROM pg_catalog.pg_proc p"
        " WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(%s) ORDER BY 1, 2",
        (list(names),),
    )
    return [
        sql.SQL("{}({})").format(sql.Identifier("pg_catalog", str(name)), sql.SQL(str(args)))
        for name, args in cur.fetchall()
    ]


def _relations(cur: psycopg2.extensions.cursor, names: Sequence[str]) -> list[str]:
    cur.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c"
        " WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relname = ANY(%s) ORDER BY 1",
        (list(names),),
    )
    return [str(row[0]) for row in cur.fetchall()]


def _existing_roles(cur: psycopg2.extensions.cursor, names: Sequence[str]) -> set[str]:
    cur.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)", (list(names),))
    return {str(row[0]) for row in cur.fetchall()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipwb.warehouse.hardening", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dsn", required=True, help="superuser DSN of the warehouse database")
    parser.add_argument("--cancel-role", action="append", default=[], help="may cancel its own statements")
    parser.add_argument("--catalog-role", action="append", default=[], help="reads pg_roles (grant sync)")
    parser.add_argument("--lock-role", action="append", default=[], help="may take advisory locks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    conn = psycopg2.connect(args.dsn)
    try:
        harden_database(
            conn, cancel_roles=args.cancel_role, catalog_roles=args.catalog_role, lock_roles=args.lock_role
        )
        conn.commit()
    except psycopg2.Error as exc:
        print(f"hardening failed: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
