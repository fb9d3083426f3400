"""A private, disposable PostgreSQL cluster for the deploy tests (managed-PostgreSQL setups).

The shared cluster of setup/pg.sh must not be restarted nor given odd roles, so these tests
start their own: as the ``postgres`` OS user (initdb refuses root), under
``/var/tmp/ipwb-deploy-pg-pg``, on 127.0.0.1 and the first free port of this helper's range,
with fsync off (throwaway data). Every role, the ``postgres`` superuser included,
authenticates with a password over TCP. A leftover cluster of an interrupted run is stopped
and wiped before the new one starts.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions

BASE = Path(os.environ.get("IPWB_DEPLOY_PG_BASE", "/var/tmp/ipwb-deploy-pg-pg"))
PORTS = range(18301, 18310)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port(ports: range) -> int:
    for port in ports:
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def _bin_dir() -> Path:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    if not dirs:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return Path(dirs[-1])


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


class PrivateCluster:
    def __init__(self, base: Path = BASE, ports: range = PORTS) -> None:
        self.base = base
        self.data = base / "data"
        self.bin = _bin_dir()
        self.ports = ports
        self.port = 0
        self.password = secrets.token_urlsafe(24)

    def start(self) -> PrivateCluster:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        (self.base / "run").mkdir(parents=True)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        shutil.chown(self.base, "postgres", "postgres")
        shutil.chown(self.base / "run", "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
        self.base.chmod(0o700)
        init = _as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile),
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        self.port = free_port(self.ports)
        options = (
            f"-p {self.port} -k {self.base / 'run'} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=120"
        )
        started = _as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        if started.returncode:
            log = (self.base / "server.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log[-2000:]}")
        return self

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists():
            _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def kwargs(
        self, dbname: str = "postgres", user: str = "postgres", password: str | None = None
    ) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "dbname": dbname,
            "user": user,
            "password": self.password if password is None else password,
        }

    def superuser(self, dbname: str = "postgres") -> psycopg2.extensions.connection:
        conn = psycopg2.connect(**self.kwargs(dbname))
        conn.autocommit = True
        return conn

    def execute(self, statement: Any, params: Any = None, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        conn = self.superuser(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()
