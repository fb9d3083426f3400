"""The backup archive: a manifest plus three payload files, as a directory or one tar.

Layout (both forms hold the same members)::

    manifest.json    format, versions, row counts, roles, checksums of the files below
    odoo.dump        pg_dump -Fc of Odoo's database
    warehouse.dump   pg_dump -Fc of the warehouse
    filestore.tar    the attachments Odoo's database refers to (``<xx>/<sha1>``)

Opening an archive checks everything that can be checked without a server: the members,
the manifest's format and each file's SHA-256. Nothing is extracted outside a private
temporary directory, and only the members above are accepted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pathlib
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from ipwb.errors import BackupError

FORMAT = "ipwb-backup/1"
MANIFEST = "manifest.json"
PAYLOAD = ("odoo.dump", "warehouse.dump", "filestore.tar")
MEMBERS = (MANIFEST, *PAYLOAD)
_REQUIRED_KEYS = ("format", "created_at", "odoo", "warehouse", "filestore", "roles", "files")


def sha256_file(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: pathlib.Path, manifest: Mapping[str, Any]) -> None:
    data = dict(manifest)
    data["files"] = {name: sha256_file(directory / name) for name in PAYLOAD}
    (directory / MANIFEST).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def pack(directory: pathlib.Path, archive: pathlib.Path) -> None:
    """Write the members of ``directory`` into ``archive`` (atomically: a partial file is
    renamed only once complete)."""
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        for name in MEMBERS:
            tar.add(directory / name, arcname=name, recursive=False)
    partial.replace(archive)


def validate_manifest(manifest: object) -> dict[str, Any]:
    """The manifest as a dict, or a BackupError saying what is wrong with it.

    >>> validate_manifest({"format": "other"})
    Traceback (most recent call last):
    ...
    ipwb.errors.BackupError: the archive's manifest is not an ipwb backup (format 'other', expected ...)
    """
    if not isinstance(manifest, dict):
        raise BackupError("the archive's manifest is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"the archive's manifest is not an ipwb backup"
            f" (format {manifest.get('format')!r}, expected {FORMAT!r})"
        )
    missing = [key for key in _REQUIRED_KEYS if key not in manifest]
    if missing:
        raise BackupError(f"the archive's manifest lacks {', '.join(missing)}")
    files = manifest["files"]
    if not isinstance(files, dict) or sorted(files) != sorted(PAYLOAD):
        raise BackupError(f"the archive's manifest must list checksums of exactly {', '.join(PAYLOAD)}")
    return manifest


def _extract(archive: pathlib.Path, into: pathlib.Path) -> None:
    try:
        with tarfile.open(archive, "r:") as tar:
            members = tar.getmembers()
            names = sorted(member.name for member in members)
            if names != sorted(MEMBERS) or not all(member.isfile() for member in members):
                raise BackupError(
                    f"{archive} is not an ipwb backup: it holds {', '.join(names) or 'nothing'},"
                    f" expected the files {', '.join(MEMBERS)}"
                )
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive} is not a readable tar archive: {exc}") from exc


@contextlib.contextmanager
def opened(path: pathlib.Path) -> Iterator[tuple[pathlib.Path, dict[str, Any]]]:
    """The directory holding a checked copy of the archive's members, and its manifest."""
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    with tempfile.TemporaryDirectory(prefix="ipwb-restore-") as tmp:
        if path.is_dir():
            directory = path
        else:
            directory = pathlib.Path(tmp)
            _extract(path, directory)
        absent = [name for name in MEMBERS if not (directory / name).is_file()]
        if absent:
            raise BackupError(f"the backup at {path} lacks {', '.join(absent)}")
        try:
            manifest = validate_manifest(json.loads((directory / MANIFEST).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"the backup at {path} has an unreadable manifest: {exc}") from exc
        for name in PAYLOAD:
            actual = sha256_file(directory / name)
            if actual != manifest["files"][name]:
                raise BackupError(
                    f"the backup at {path} is corrupt: {name} has SHA-256 {actual[:16]}…,"
                    f" the manifest recorded {str(manifest['files'][name])[:16]}…"
                )
        yield directory, manifest


def extract_filestore(tar_path: pathlib.Path, target: pathlib.Path) -> int:
    """Unpack the attachments into ``target`` (created); returns the number of files."""
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(tar_path, "r:") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            tar.extractall(target, members=members, filter="data")
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"the filestore archive cannot be unpacked: {exc}") from exc
    return len(members)


def remove_tree(path: pathlib.Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
