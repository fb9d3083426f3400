"""``ipwb backup``: one consistent backup of Odoo's database, the warehouse and the filestore.

Consistency, in this order:

Both databases are read and dumped as the provider's admin role (a superuser, or a role
that is a member of the two owners: :func:`check_admin` says what to grant otherwise).

1. On Odoo's database a ``REPEATABLE READ``
   transaction first takes ``ROW EXCLUSIVE`` on ``ir_attachment``: Odoo's filestore
   garbage collector needs ``SHARE`` on it, so no attachment file can be deleted until the
   backup ends, while users keep creating attachments. Then it exports its snapshot.
2. Immediately after, a transaction on the warehouse exports its snapshot.
   PostgreSQL has no snapshot spanning two databases: the two are taken back to back
   (milliseconds apart), each dump is internally consistent, and a pipeline run committed
   in between shows up at worst as warehouse rows of a run Odoo's copy still lists as
   running — which the cron's stale-run detection finishes as failed after a restore.
3. ``pg_dump -Fc --snapshot`` dumps each database at exactly its snapshot; the manifest's
   row counts and Odoo's module versions are read in the same snapshots.
4. The filestore archive holds exactly the files the snapshot's ``ir_attachment`` rows
   name (content-addressed, written before their row commits, undeletable while the lock
   is held), so it matches the dump.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import pathlib
import re
import tarfile
import tempfile
from collections.abc import Iterator
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb import __version__
from ipwb.deploy import archive, pgclient, pgroles
from ipwb.deploy.backup_env import BackupSettings
from ipwb.errors import BackupError

#: Odoo's attachment file names: ``<first two hex digits>/<sha1>`` (``ir.attachment._get_path``)
STORE_FNAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{40}$")

_USER_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                   AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2
"""


@dataclasses.dataclass
class BackupResult:
    path: pathlib.Path
    manifest: dict[str, Any]


def row_counts(conn: psycopg2.extensions.connection) -> dict[str, int]:
    """Exact row count of every user table, ``schema.table`` → rows, in the connection's
    current snapshot."""
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        cur.execute(_USER_TABLES)
        for schema, table in cur.fetchall():
            cur.execute(
                sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            )
            row = cur.fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def _has_table(conn: psycopg2.extensions.connection, name: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        row = cur.fetchone()
    conn.commit()
    return bool(row and row[0])


def _begin_snapshot(conn: psycopg2.extensions.connection, lock_attachments: bool) -> str:
    conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ)
    with conn.cursor() as cur:
        if lock_attachments:
            # must precede the first query: the snapshot is taken by the query, after the lock
            cur.execute("LOCK TABLE ir_attachment IN ROW EXCLUSIVE MODE")
        cur.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        row = cur.fetchone()
    assert row is not None
    return str(row[0])


def _odoo_facts(
    conn: psycopg2.extensions.connection, has_attachments: bool
) -> tuple[dict[str, str], list[str]]:
    modules: dict[str, str] = {}
    files: list[str] = []
    with conn.cursor() as cur:
        if _table_visible(cur, "ir_module_module"):
            cur.execute(
                "SELECT name, coalesce(latest_version, '') FROM ir_module_module"
                " WHERE state = 'installed' ORDER BY name"
            )
            modules = dict(cur.fetchall())
        if has_attachments:
            cur.execute(
                "SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY 1"
            )
            files = [row[0] for row in cur.fetchall()]
    return modules, files


def _table_visible(cur: psycopg2.extensions.cursor, name: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    row = cur.fetchone()
    return bool(row and row[0])


def _tar_filestore(filestore: pathlib.Path, names: list[str], target: pathlib.Path) -> dict[str, Any]:
    missing: list[str] = []
    stored = 0
    with tarfile.open(target, "w") as tar:
        for name in names:
            if not STORE_FNAME.match(name):
                raise BackupError(f"ir_attachment names a file outside Odoo's filestore layout: {name!r}")
            path = filestore / name
            if path.is_file():
                tar.add(path, arcname=name, recursive=False)
                stored += 1
            else:
                missing.append(name)
    return {"files": stored, "missing": missing}


@contextlib.contextmanager
def _closing(conn: psycopg2.extensions.connection) -> Iterator[psycopg2.extensions.connection]:
    try:
        yield conn
    finally:
        conn.close()


def _output_path(output: pathlib.Path, directory: bool, now: datetime.datetime) -> pathlib.Path:
    if directory:
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise BackupError(f"{output} exists and is not an empty directory: choose a new path")
        if not output.parent.is_dir():
            raise BackupError(f"{output.parent} is not a directory")
        return output
    if output.is_dir():
        return output / f"ipwb-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar"
    if output.suffix != ".tar":
        raise BackupError(f"{output}: a backup archive is a .tar file (or give an existing directory)")
    if output.exists():
        raise BackupError(f"{output} exists already: backups are never overwritten")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a directory")
    return output


def check_admin(conn: psycopg2.extensions.connection, owners: list[str]) -> bool:
    """Whether the connected admin is a superuser; a BackupError naming the grants it
    lacks when it is neither a superuser nor a member of every owner role."""
    with conn.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
        if row is None:
            raise BackupError("the admin role cannot read its own pg_roles row")
        user, superuser = row
        if superuser:
            conn.commit()
            return True
        cur.execute(
            "SELECT o FROM unnest(%s::text[]) AS o WHERE NOT EXISTS"
            " (SELECT 1 FROM pg_roles r WHERE r.rolname = o AND pg_has_role(current_user, r.oid, 'USAGE'))",
            (owners,),
        )
        lacking = [r[0] for r in cur.fetchall()]
    conn.commit()
    if lacking:
        raise BackupError(
            f"the admin role {user} can neither read nor restore every object: it is not a superuser and"
            f" not a member of {', '.join(lacking)} (run: GRANT {', '.join(lacking)} TO {user})"
        )
    return False


def take_backup(settings: BackupSettings, output: pathlib.Path, directory: bool = False) -> BackupResult:
    """Back up both databases and the filestore into ``output`` (see the module doc)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    target = _output_path(output, directory, now)
    created = directory and not target.exists()
    try:
        return _take(settings, target, directory, now)
    except BaseException:
        if created:
            archive.remove_tree(target)  # no half-written backup directory left behind
        raise


def _take(
    settings: BackupSettings, target: pathlib.Path, directory: bool, now: datetime.datetime
) -> BackupResult:
    odoo_login = settings.admin_on(settings.odoo)
    warehouse_login = settings.admin_on(settings.warehouse)
    with _closing(pgclient.connect(settings.admin)) as admin:
        check_admin(admin, [settings.odoo.user, settings.warehouse.user])
    odoo_conn = pgclient.connect(odoo_login)
    with _closing(odoo_conn):
        warehouse_conn = pgclient.connect(warehouse_login)
        with _closing(warehouse_conn):
            has_attachments = _has_table(odoo_conn, "public.ir_attachment")
            odoo_snapshot = _begin_snapshot(odoo_conn, has_attachments)
            warehouse_snapshot = _begin_snapshot(warehouse_conn, False)
            with tempfile.TemporaryDirectory(prefix="ipwb-backup-", dir=target.parent) as tmp:
                work = target if directory else pathlib.Path(tmp)
                work.mkdir(parents=True, exist_ok=True)
                manifest = _collect(settings, odoo_conn, warehouse_conn, has_attachments, work, now)
                pgclient.run_tool(
                    "pg_dump",
                    ["-Fc", f"--snapshot={odoo_snapshot}", "-f", str(work / "odoo.dump")],
                    odoo_login,
                )
                pgclient.run_tool(
                    "pg_dump",
                    ["-Fc", f"--snapshot={warehouse_snapshot}", "-f", str(work / "warehouse.dump")],
                    warehouse_login,
                )
                archive.write_manifest(work, manifest)
                if not directory:
                    archive.pack(work, target)
            odoo_conn.rollback()
            warehouse_conn.rollback()
    return BackupResult(target, manifest)


def _collect(  # noqa: PLR0917 - one private call site
    settings: BackupSettings,
    odoo_conn: psycopg2.extensions.connection,
    warehouse_conn: psycopg2.extensions.connection,
    has_attachments: bool,
    work: pathlib.Path,
    now: datetime.datetime,
) -> dict[str, Any]:
    modules, files = _odoo_facts(odoo_conn, has_attachments)
    filestore = _tar_filestore(settings.filestore, files, work / "filestore.tar")
    with odoo_conn.cursor() as cur:
        cur.execute("SELECT current_setting('server_version')")
        row = cur.fetchone()
    prefix = pgroles.warehouse_role_prefix(settings.warehouse.dbname)
    referenced = pgroles.referenced_roles(odoo_conn) | pgroles.referenced_roles(warehouse_conn)
    referenced |= set(settings.role_passwords)
    return {
        "format": archive.FORMAT,
        "created_at": now.isoformat(timespec="seconds"),
        "ipwb_version": __version__,
        "server_version": row[0] if row else "",
        "pg_dump_version": pgclient.tool_version("pg_dump"),
        "odoo": {
            "database": settings.odoo.dbname,
            "owner": settings.odoo.user,
            "counts": row_counts(odoo_conn),
            "modules": modules,
            "database_acl": pgroles.database_acl(odoo_conn),
        },
        "warehouse": {
            "database": settings.warehouse.dbname,
            "owner": settings.warehouse.user,
            "counts": row_counts(warehouse_conn),
            "database_acl": pgroles.database_acl(warehouse_conn),
        },
        "filestore": filestore,
        "roles": pgroles.describe_roles(odoo_conn, referenced, prefix),
    }
