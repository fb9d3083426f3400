"""PostgreSQL client plumbing for backup/restore: connections and pg_dump/pg_restore runs.

Passwords never reach a command line: each tool run gets a private ``PGPASSFILE``
(mode 600, deleted afterwards) and the host, port, role and database as ``PG*``
variables of its own environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence

import psycopg2
import psycopg2.extensions

from ipwb.deploy.backup_env import Login
from ipwb.errors import BackupError


def passfile_line(login: Login, dbname: str) -> str:
    r"""One ``.pgpass`` line; ``:`` and ``\`` escaped as libpq expects.

    >>> passfile_line(Login("h", 5432, "d", "u", "a:b\\c"), "d")
    'h:5432:d:u:a\\:b\\\\c\n'
    """
    fields = [login.host, str(login.port), dbname, login.user, login.password or ""]
    return ":".join(f.replace("\\", "\\\\").replace(":", "\\:") for f in fields) + "\n"


def connect(login: Login, dbname: str | None = None) -> psycopg2.extensions.connection:
    """Connect, turning every failure into one clear :class:`BackupError`."""
    target = dbname or login.dbname
    try:
        conn: psycopg2.extensions.connection = psycopg2.connect(
            psycopg2.extensions.make_dsn(None, **login.dsn_params(target))
        )
        return conn
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BackupError(
            f"cannot connect to PostgreSQL at {login.host}:{login.port} as {login.user}"
            f" (database {target}): {reason}"
        ) from exc


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def tool_version(name: str) -> str:
    completed = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [tool(name), "--version"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip()


@contextlib.contextmanager
def _environment(login: Login, dbname: str) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="ipwb-pgpass-") as tmp:
        passfile = os.path.join(tmp, "pgpass")
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(passfile_line(login, dbname))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            PGPASSFILE=passfile,
            PGHOST=login.host,
            PGPORT=str(login.port),
            PGUSER=login.user,
            PGDATABASE=dbname,
            PGSSLMODE=login.sslmode,
            PGCONNECT_TIMEOUT="10",
            PGAPPNAME="ipwb-backup",
        )
        yield env


def run_tool(name: str, args: Sequence[str], login: Login, dbname: str | None = None) -> str:
    """Run a PostgreSQL client tool as ``login``; its standard output, or a BackupError
    carrying the tool's own error lines."""
    target = dbname or login.dbname
    with _environment(login, target) as env:
        completed = subprocess.run(  # noqa: S603 (argv list, no shell)
            [tool(name), *args], capture_output=True, text=True, env=env, check=False
        )
    if completed.returncode != 0:
        errors = [line for line in completed.stderr.splitlines() if line.strip()][-8:]
        raise BackupError(
            f"{name} failed on database {target} as {login.user} (exit {completed.returncode}):\n  "
            + "\n  ".join(errors or ["(no message)"])
        )
    return completed.stdout


def run_offline(name: str, args: Sequence[str]) -> str:
    """Run a client tool that reads local files only (``pg_restore --list``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    completed = subprocess.run(  # noqa: S603 (argv list, no shell)
        [tool(name), *args], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        errors = [line for line in completed.stderr.splitlines() if line.strip()][-4:]
        raise BackupError(f"{name} failed: " + " / ".join(errors or ["(no message)"]))
    return completed.stdout
