"""``ipwb backup`` / ``ipwb restore`` against the project's real PostgreSQL cluster.

Round trip (back up, destroy the sources, restore under new names, compare), the
garbage-collector lock that keeps the filestore consistent with the dump, and the
refusals: missing/foreign/corrupt archives, a non-empty target, an unreachable server,
an admin lacking rights — each with a clear message and nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import socket
import tarfile
import uuid

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from ipwb.cli import main
from ipwb.deploy import archive, backup, pgclient
from ipwb.deploy.backup import take_backup
from ipwb.deploy.restore import restore
from ipwb.errors import BackupError

from .conftest import ATTACHMENTS, Source, admin_connect, drop_all


def _database_exists(admin_dsn: str, name: str) -> bool:
    conn = admin_connect(admin_dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        found = cur.fetchone() is not None
    conn.close()
    return found


def _scalar(admin_dsn: str, dbname: str, query: str, args: tuple[object, ...] = ()) -> object:
    conn = admin_connect(admin_dsn, dbname)
    with conn.cursor() as cur:
        cur.execute(query, args)
        row = cur.fetchone()
    conn.close()
    return row[0] if row else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_round_trip_restores_databases_roles_grants_and_files(
    source: Source, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    result = take_backup(source.settings(), tmp_path)
    assert result.path.parent == tmp_path and result.path.suffix == ".tar"
    manifest = result.manifest
    assert manifest["odoo"]["counts"] == {"public.ir_attachment": 4, "public.res_partner": 250}
    assert manifest["warehouse"]["counts"] == {"gold.sales": 1000}
    assert manifest["filestore"] == {"files": 3, "missing": []}
    assert source.team_role in {role["name"] for role in manifest["roles"]}

    # destroy: the source databases, the per-team role, the filestore
    drop_all(pg_admin_dsn, [source.odoo_db, source.warehouse_db], [source.team_role])
    shutil.rmtree(source.data_dir)
    target_dir = tmp_path / "restored"
    env = source.target_env(target_dir)
    restored = restore(source.settings(**env), result.path)

    assert restored.roles_created == [source.team_role]
    assert restored.files == 3 and restored.skipped == []
    odoo_db, warehouse_db = env["IPWB_DB_NAME"], env["IPWB_WAREHOUSE_DB"]
    assert _scalar(pg_admin_dsn, odoo_db, "SELECT count(*) FROM res_partner") == 250
    assert (
        _scalar(
            pg_admin_dsn,
            odoo_db,
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'res_partner'",
        )
        == "ipwb_odoo"
    )
    assert _scalar(pg_admin_dsn, warehouse_db, "SELECT sum(amount) FROM gold.sales") == sum(
        i * 1.5 for i in range(1, 1001)
    )
    # grants, per-team role, hardening and database privileges came back
    for role in ("ipwb_wh_reader", source.team_role):
        assert _scalar(
            pg_admin_dsn, warehouse_db, "SELECT has_table_privilege(%s, 'gold.sales', 'SELECT')", (role,)
        )
    assert not _scalar(
        pg_admin_dsn,
        warehouse_db,
        "SELECT has_table_privilege('ipwb_wh_reader', 'pg_catalog.pg_roles', 'SELECT')",
    )
    assert not _scalar(
        pg_admin_dsn, "postgres", "SELECT has_database_privilege('ipwb_wh_reader', %s, 'CONNECT')", (odoo_db,)
    )
    for content in ATTACHMENTS:
        sha = hashlib.sha1(content).hexdigest()
        assert (target_dir / "filestore" / odoo_db / sha[:2] / sha).read_bytes() == content


def test_directory_backup_and_cli(
    source: Source,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in source.env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "bk"
    assert main(["backup", "--output", str(out), "--directory"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["warehouse"]["tables"] == 1 and summary["filestore"]["files"] == 3
    assert sorted(p.name for p in out.iterdir()) == sorted(archive.MEMBERS)
    # a backup never overwrites
    assert main(["backup", "--output", str(out), "--directory"]) == 2
    assert "not an empty directory" in capsys.readouterr().err


def test_backup_blocks_filestore_garbage_collection(source: Source) -> None:
    settings = source.settings()
    conn = pgclient.connect(settings.admin_on(settings.odoo))
    gc = pgclient.connect(settings.admin_on(settings.odoo))
    try:
        backup._begin_snapshot(conn, lock_attachments=True)
        with gc.cursor() as cur:
            # what ir.attachment._gc_file_store does
            cur.execute("SET LOCAL lock_timeout TO '200ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                cur.execute("LOCK ir_attachment IN SHARE MODE")
        gc.rollback()
        with gc.cursor() as cur:  # users still create attachments meanwhile
            cur.execute("SET LOCAL lock_timeout TO '2s'")
            cur.execute("INSERT INTO ir_attachment (name) VALUES ('during backup')")
        gc.commit()
    finally:
        conn.close()
        gc.close()


def _backup(source: Source, tmp_path: pathlib.Path) -> pathlib.Path:
    return take_backup(source.settings(), tmp_path / "b.tar").path


def test_refuses_missing_foreign_and_corrupt_archives(
    source: Source, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    path = _backup(source, tmp_path)
    env = source.target_env(tmp_path / "t")
    settings = source.settings(**env)
    with pytest.raises(BackupError, match="no backup at"):
        restore(settings, tmp_path / "absent.tar")
    foreign = tmp_path / "foreign.tar"
    foreign.write_bytes(b"this is no tar")
    with pytest.raises(BackupError, match="not a readable tar archive"):
        restore(settings, foreign)

    unpacked = tmp_path / "unpacked"
    with tarfile.open(path) as tar:
        tar.extractall(unpacked, filter="data")
    dump = unpacked / "warehouse.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"corrupt: warehouse\.dump has SHA-256"):
        restore(settings, unpacked)

    # a dump truncated with a matching checksum: the manifest was rewritten, pg_restore refuses
    dump.write_bytes(bytes(data[:200]))
    manifest = json.loads((unpacked / "manifest.json").read_text())
    archive.write_manifest(unpacked, manifest)
    with pytest.raises(BackupError, match=r"warehouse\.dump in the backup is not a readable pg_dump archive"):
        restore(settings, unpacked)

    (unpacked / "manifest.json").write_text('{"format": "something else"}')
    with pytest.raises(BackupError, match="not an ipwb backup"):
        restore(settings, unpacked)
    assert not _database_exists(pg_admin_dsn, env["IPWB_DB_NAME"])
    assert not (tmp_path / "t").exists()


def test_refuses_non_empty_target_unless_forced(
    source: Source, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    path = _backup(source, tmp_path)
    # the live sources are the target: not empty
    with pytest.raises(BackupError, match=r"target is not empty .*nothing was changed"):
        restore(source.settings(), path)
    conn = admin_connect(pg_admin_dsn, source.odoo_db)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO res_partner (name) VALUES ('after the backup')")
    conn.close()
    with pytest.raises(BackupError, match="target is not empty"):
        restore(source.settings(), path)
    assert _scalar(pg_admin_dsn, source.odoo_db, "SELECT count(*) FROM res_partner") == 251

    forced = restore(source.settings(), path, force=True)
    assert forced.tables == 3
    assert _scalar(pg_admin_dsn, source.odoo_db, "SELECT count(*) FROM res_partner") == 250


def test_refuses_unreachable_server(source: Source, tmp_path: pathlib.Path) -> None:
    path = _backup(source, tmp_path)
    port = str(_free_port())
    with pytest.raises(BackupError, match=f"cannot connect to PostgreSQL at 127.0.0.1:{port}"):
        restore(source.settings(IPWB_DB_HOST="127.0.0.1", IPWB_DB_PORT=port), path)
    with pytest.raises(BackupError, match="cannot connect to PostgreSQL"):
        take_backup(source.settings(IPWB_DB_HOST="127.0.0.1", IPWB_DB_PORT=port), tmp_path / "never.tar")
    assert not (tmp_path / "never.tar").exists()


def test_admin_without_createdb_and_createrole_is_refused(
    source: Source, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    path = _backup(source, tmp_path)
    role, password = f"ipwb_dd_weak_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    conn = admin_connect(pg_admin_dsn)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    conn.close()
    source.cleanup_roles.append(role)
    env = source.target_env(tmp_path / "t")
    weak = source.settings(**{**env, "IPWB_DB_ADMIN_USER": role, "IPWB_DB_ADMIN_PASSWORD": password})
    with pytest.raises(BackupError, match=rf"lacks CREATEROLE .*ALTER ROLE {role} CREATEROLE"):
        restore(weak, path)
    with pytest.raises(BackupError, match="not a member of ipwb_odoo, ipwb_wh_owner"):
        take_backup(
            source.settings(IPWB_DB_ADMIN_USER=role, IPWB_DB_ADMIN_PASSWORD=password), tmp_path / "w.tar"
        )
    assert not _database_exists(pg_admin_dsn, env["IPWB_DB_NAME"])


def test_restore_as_createrole_admin_like_a_managed_provider(
    source: Source, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    """DigitalOcean's doadmin / Supabase's postgres: CREATEDB + CREATEROLE, no superuser."""
    path = _backup(source, tmp_path)
    role, password = f"ipwb_dd_dba_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    conn = admin_connect(pg_admin_dsn)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    conn.close()
    env = source.target_env(tmp_path / "t")
    source.cleanup_roles.insert(0, role)
    result = restore(
        source.settings(**{**env, "IPWB_DB_ADMIN_USER": role, "IPWB_DB_ADMIN_PASSWORD": password}), path
    )
    # the catalog grants of the hardening need a superuser: skipped and reported
    assert result.skipped and all(
        " ACL pg_catalog " in line or "COMMENT - EXTENSION" in line for line in result.skipped
    )
    assert _scalar(pg_admin_dsn, env["IPWB_WAREHOUSE_DB"], "SELECT count(*) FROM gold.sales") == 1000
    assert (
        _scalar(
            pg_admin_dsn,
            env["IPWB_WAREHOUSE_DB"],
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'sales'",
        )
        == "ipwb_wh_owner"
    )
