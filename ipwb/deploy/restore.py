"""``ipwb restore``: a backup (see :mod:`ipwb.deploy.backup`) onto an empty server.

Everything that can be refused is refused before anything changes: a missing, foreign or
corrupt archive (members, manifest, SHA-256 of each file, each dump's table of contents),
an unreachable server, an admin role lacking CREATEDB/CREATEROLE, a login role to create
whose password is not configured, a target database or filestore that is not empty
(unless ``force``: then they are dropped first).

Then, as the admin role: the missing roles (attributes, settings, memberships), the two
databases (owned by Odoo's role and the warehouse owner), ``pg_restore`` of each dump in
one transaction with the recorded ownerships and grants, the databases' own privileges,
the filestore; finally every table's row count is compared with the manifest. Grants on
PostgreSQL's own catalogs (:mod:`ipwb.warehouse.hardening`) need a superuser: with a
managed provider's admin they are skipped and reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import re
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb.deploy import archive, backup, pgclient, pgroles
from ipwb.deploy.backup_env import WAREHOUSE_ROLES, BackupSettings, Login
from ipwb.errors import BackupError

#: ``pg_restore --list`` entry: "<dump id>; <catalog oid> <oid> <type and names…>"
_TOC_ENTRY = re.compile(r"^(?P<id>\d+); (?P<catalog>\d+) (?P<oid>\d+) (?P<rest>.*)$")


@dataclasses.dataclass(frozen=True)
class TocEntry:
    line: str
    kind: str  #: first word of the description (ACL, COMMENT, TABLE, …)
    namespace: str  #: schema, or "-" for objects outside schemas
    what: str  #: the rest: object type and name


def parse_toc(listing: str) -> list[TocEntry]:
    """The entries of a ``pg_restore --list`` listing (comments dropped).

    >>> listing = "; c\\n3486; 0 0 ACL pg_catalog FUNCTION f(integer) postgres\\n"
    >>> [(e.kind, e.namespace) for e in parse_toc(listing)]
    [('ACL', 'pg_catalog')]
    """
    entries = []
    for line in listing.splitlines():
        match = _TOC_ENTRY.match(line)
        if not match:
            continue
        words = match.group("rest").split(" ")
        kind = words[0]
        namespace = words[1] if len(words) > 1 else "-"
        entries.append(TocEntry(line, kind, namespace, " ".join(words[2:])))
    return entries


def needs_superuser(entry: TocEntry) -> bool:
    """Entries only a superuser can restore: privileges on PostgreSQL's own catalogs and
    comments on extensions (owned by whoever created them in the template).

    >>> needs_superuser(TocEntry("", "ACL", "pg_catalog", "TABLE pg_roles postgres"))
    True
    >>> needs_superuser(TocEntry("", "ACL", "gold", "TABLE t o"))
    False
    """
    if entry.kind == "ACL" and entry.namespace == "pg_catalog":
        return True
    return entry.kind == "COMMENT" and entry.namespace == "-" and entry.what.split(" ")[0] == "EXTENSION"


@dataclasses.dataclass
class RestoreResult:
    odoo_database: str
    warehouse_database: str
    roles_created: list[str]
    files: int
    tables: int
    skipped: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _dump_toc(directory: pathlib.Path, name: str) -> list[TocEntry]:
    path = directory / name
    try:
        listing = pgclient.run_offline("pg_restore", ["--list", str(path)])
    except BackupError as exc:
        raise BackupError(f"{name} in the backup is not a readable pg_dump archive: {exc}") from exc
    entries = parse_toc(listing)
    if not entries:
        raise BackupError(f"{name} in the backup holds no database objects")
    return entries


def _database_exists(conn: psycopg2.extensions.connection, name: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return cur.fetchone() is not None


def _is_empty(login: Login, name: str) -> bool:
    """No relation outside the system schemas that no extension owns."""
    conn = pgclient.connect(login, name)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg\\_%%'"
                " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
                " AND d.objid = c.oid AND d.deptype = 'e')"
            )
            row = cur.fetchone()
        return row is not None and int(row[0]) == 0
    finally:
        conn.close()


def _admin_rights(conn: psycopg2.extensions.connection) -> tuple[str, bool]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
            " WHERE rolname = current_user"
        )
        row = cur.fetchone()
    if row is None:
        raise BackupError("the admin role cannot read its own pg_roles row")
    user, superuser, createdb, createrole = row
    if not superuser and not (createdb and createrole):
        lacking = [n for n, ok in (("CREATEDB", createdb), ("CREATEROLE", createrole)) if not ok]
        raise BackupError(
            f"the admin role {user} cannot restore: it lacks {' and '.join(lacking)}"
            f" (run as a superuser: ALTER ROLE {user} {' '.join(lacking)})"
        )
    return str(user), bool(superuser)


def _list_file(directory: pathlib.Path, name: str, entries: Sequence[TocEntry]) -> pathlib.Path:
    path = directory / f"{name}.list"
    path.write_text("".join(entry.line + "\n" for entry in entries), encoding="utf-8")
    return path


def _verify_filestore(target: pathlib.Path) -> int:
    """Every restored attachment file's SHA-1 is its name (Odoo's content addressing)."""
    count = 0
    for path in sorted(target.glob("*/*")):
        if hashlib.sha1(path.read_bytes()).hexdigest() != path.name:  # noqa: S324 - Odoo's own checksum
            raise BackupError(f"restored attachment {path} does not match its checksum")
        count += 1
    return count


def _compare_counts(label: str, expected: Mapping[str, int], actual: Mapping[str, int]) -> None:
    diffs = [
        f"{table}: {expected.get(table)} in the backup, {actual.get(table)} restored"
        for table in sorted(set(expected) | set(actual))
        if expected.get(table) != actual.get(table)
    ]
    if diffs:
        raise BackupError(f"the restored {label} differs from the backup:\n  " + "\n  ".join(diffs[:20]))


def restore(settings: BackupSettings, source: pathlib.Path, force: bool = False) -> RestoreResult:
    with archive.opened(source) as (directory, manifest):
        tocs = {name: _dump_toc(directory, f"{name}.dump") for name in ("odoo", "warehouse")}
        with tempfile.TemporaryDirectory(prefix="ipwb-restore-lists-") as lists:
            return _restore_checked(settings, directory, pathlib.Path(lists), manifest, tocs, force)


@dataclasses.dataclass
class _Plan:
    """What the checks found: who restores, what exists, which roles to create."""

    user: str
    superuser: bool
    existing: list[str]  #: target databases present (dropped under ``force``)
    roles: list[Mapping[str, Any]]  #: recorded roles missing on the server


def _check_target(
    settings: BackupSettings, admin: psycopg2.extensions.connection, manifest: Mapping[str, Any], force: bool
) -> _Plan:
    """Every refusal that does not need a change: raises before anything is touched."""
    user, superuser = _admin_rights(admin)
    existing = [
        login.dbname for login in (settings.odoo, settings.warehouse) if _database_exists(admin, login.dbname)
    ]
    occupied = [name for name in existing if not _is_empty(settings.admin, name)]
    filestore = settings.filestore
    if filestore.exists() and any(filestore.iterdir()):
        occupied.append(str(filestore))
    if occupied and not force:
        raise BackupError(
            f"the restore target is not empty ({', '.join(occupied)}): nothing was changed;"
            " restore onto an empty server, or pass --force to replace them"
        )
    roles = pgroles.missing_roles(admin, manifest["roles"])
    variables = {settings.odoo.user: "IPWB_DB_PASSWORD", **WAREHOUSE_ROLES}
    pgroles.check_passwords(roles, settings.role_passwords, variables)
    return _Plan(user, superuser, existing, roles)


def _drop(admin: psycopg2.extensions.connection, names: Sequence[str]) -> None:
    with admin.cursor() as cur:
        for name in names:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _restore_checked(  # noqa: PLR0917 - one private call site
    settings: BackupSettings,
    directory: pathlib.Path,
    lists: pathlib.Path,
    manifest: dict[str, Any],
    tocs: Mapping[str, list[TocEntry]],
    force: bool,
) -> RestoreResult:
    targets = {"odoo": settings.odoo, "warehouse": settings.warehouse}
    admin = pgclient.connect(settings.admin)
    admin.autocommit = True
    try:
        plan = _check_target(settings, admin, manifest, force)
        # -- from here on the server changes --
        admin.autocommit = False
        created = pgroles.create_roles(admin, plan.roles, settings.role_passwords)
        pgroles.grant_memberships(admin, manifest["roles"])
        admin.commit()
        admin.autocommit = True
        if not plan.superuser:
            # before dropping: a non-superuser may drop only what a role it belongs to owns
            _join_owners(admin, plan.user, sorted({login.user for login in targets.values()}))
        _drop(admin, plan.existing)
        archive.remove_tree(settings.filestore)
        made: list[str] = []
        skipped: list[str] = []
        try:
            for name, login in targets.items():
                _create_database(admin, login.dbname, login.user)
                made.append(login.dbname)
                keep = [e for e in tocs[name] if plan.superuser or not needs_superuser(e)]
                skipped += [e.line for e in tocs[name] if not plan.superuser and needs_superuser(e)]
                listing = _list_file(lists, name, keep)
                dump = str(directory / f"{name}.dump")
                pgclient.run_tool(
                    "pg_restore",
                    ["--single-transaction", "--exit-on-error", "-L", str(listing), "-d", login.dbname, dump],
                    settings.admin_on(login),
                )
                pgroles.apply_database_acl(admin, login.dbname, manifest[name]["database_acl"])
            files = archive.extract_filestore(directory / "filestore.tar", settings.filestore)
        except BackupError:
            _drop(admin, made)
            archive.remove_tree(settings.filestore)
            raise
    finally:
        admin.close()
    tables = _verify(settings, manifest, files)
    return RestoreResult(settings.odoo.dbname, settings.warehouse.dbname, created, files, tables, skipped)


def _verify(settings: BackupSettings, manifest: Mapping[str, Any], files: int) -> int:
    """Row counts of every table and the filestore against the manifest; tables checked."""
    tables = 0
    for name, login in (("odoo", settings.odoo), ("warehouse", settings.warehouse)):
        conn = pgclient.connect(settings.admin_on(login))
        try:
            counts = backup.row_counts(conn)
        finally:
            conn.close()
        _compare_counts(f"{name} database", manifest[name]["counts"], counts)
        tables += len(counts)
    verified = _verify_filestore(settings.filestore) if settings.filestore.exists() else 0
    if verified != files or files != manifest["filestore"]["files"]:
        raise BackupError(
            f"the filestore holds {verified} files after the restore,"
            f" the backup {manifest['filestore']['files']}"
        )
    return tables


def _join_owners(admin: psycopg2.extensions.connection, user: str, owners: Sequence[str]) -> None:
    """A CREATEROLE admin becomes a member of the owner roles, as PostgreSQL requires to
    create a database for them and to restore objects they own."""
    with admin.cursor() as cur:
        for owner in owners:
            cur.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", (owner,))
            row = cur.fetchone()
            if not (row and row[0]):
                cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(user)))


def _create_database(admin: psycopg2.extensions.connection, name: str, owner: str) -> None:
    with admin.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
