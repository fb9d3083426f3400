"""A private, disposable PostgreSQL cluster for the tests that need one of their own
(managed-PostgreSQL setups, the restore drill, restarts under a running workbench).

The shared cluster of setup/pg.sh must not be restarted nor given odd roles, so these tests
start their own: as the ``postgres`` OS user (initdb refuses root), under
``/var/tmp/ipwb-deploy-pg-pg``, on 127.0.0.1 and the first free port of this helper's range,
with fsync off (throwaway data). Every role, the ``postgres`` superuser included,
authenticates with a password over TCP. A leftover cluster of an interrupted run is stopped
and wiped before the new one starts.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions

from .waiting import stop_process

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
        timeout=180,
    )


class PrivateCluster:
    """A throwaway cluster of the tests' own (the one helper for every test that needs one:
    deploy drills, managed-PostgreSQL setups, restarts under a running workbench).

    ``auth_local`` is the socket's method (``peer`` lets setup/pg.sh provision as the
    ``postgres`` OS user); TCP always asks for a password (SCRAM), the superuser's too.
    """

    def __init__(
        self,
        base: Path = BASE,
        ports: range = PORTS,
        *,
        auth_local: str = "scram-sha-256",
        max_connections: int = 120,
    ) -> None:
        self.base = Path(base)
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.bin = _bin_dir()
        self.ports = ports
        self.port = 0
        self.password = secrets.token_urlsafe(24)
        self.auth_local = auth_local
        self.max_connections = max_connections

    def start(self) -> PrivateCluster:
        """A fresh cluster, running (a leftover of an interrupted run is stopped and wiped)."""
        self.destroy()
        self.socket_dir.mkdir(parents=True)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        for path in (self.base, self.socket_dir, pwfile):
            shutil.chown(path, "postgres", "postgres")
        self.base.chmod(0o700)
        init = _as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile),
            f"--auth-local={self.auth_local}", "--auth-host=scram-sha-256", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        self.port = free_port(self.ports)
        self.run()
        return self

    def run(self) -> None:
        """Start the server of an existing cluster (on the same port)."""
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            f" -c synchronous_commit=off -c full_page_writes=off -c max_connections={self.max_connections}"
        )
        started = _as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-w", "-t", "90", "-o", options, "start",
        )  # fmt: skip
        if started.returncode:
            log = (self.base / "server.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log[-2000:]}")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server if it runs (``fast``: sessions terminated, ``immediate``: crash-like)."""
        if (self.data / "postmaster.pid").exists():
            stopped = _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
            if stopped.returncode and (self.data / "postmaster.pid").exists():
                raise RuntimeError(f"PostgreSQL did not stop: {stopped.stderr}")

    def restart(self, mode: str = "fast") -> None:
        """Stop (every session is terminated) and start again on the same port."""
        self.stop(mode)
        self.run()

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):  # a stale pid file of a crashed run
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

    def connect(
        self, dbname: str = "postgres", user: str = "postgres", password: str | None = None
    ) -> psycopg2.extensions.connection:
        """An autocommit connection over TCP (the superuser unless ``user`` is given)."""
        conn: psycopg2.extensions.connection = psycopg2.connect(**self.kwargs(dbname, user, password))
        conn.autocommit = True
        return conn

    def superuser(self, dbname: str = "postgres") -> psycopg2.extensions.connection:
        return self.connect(dbname)

    def execute(self, statement: Any, params: Any = None, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        conn = self.superuser(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


class Bouncer:
    """Debian's pgbouncer in front of a :class:`PrivateCluster`, in one pool mode.

    Runs as the ``postgres`` OS user (pgbouncer refuses root) in the foreground, so that it
    is stopped by its own process id. Clients authenticate with SCRAM against ``users``.
    """

    def __init__(self, cluster: PrivateCluster, mode: str, users: dict[str, str], ports: range) -> None:
        self.cluster = cluster
        self.mode = mode
        self.users = users
        self.port = free_port(ports)
        self.dir = cluster.base / f"pgbouncer-{mode}-{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Bouncer:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.dir.mkdir(parents=True, exist_ok=True)
        userlist = "".join(f'"{user}" "{password}"\n' for user, password in self.users.items())
        (self.dir / "userlist.txt").write_text(userlist, encoding="utf-8")
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.cluster.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {self.dir / 'userlist.txt'}\n"
            f"pool_mode = {self.mode}\nmax_client_conn = 400\ndefault_pool_size = 60\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\n",
            encoding="utf-8",
        )
        for path in (self.dir, self.dir / "userlist.txt", self.dir / "pgbouncer.ini"):
            shutil.chown(path, "postgres", "postgres")
        (self.dir / "userlist.txt").chmod(0o600)
        self.process = subprocess.Popen(
            [binary, str(self.dir / "pgbouncer.ini")],
            user="postgres",
            group="postgres",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if not port_is_free(self.port):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log = (self.dir / "pgbouncer.log").read_text(encoding="utf-8", errors="replace")
        self.stop()
        raise RuntimeError(f"pgbouncer did not start:\n{log[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, 10)
        self.process = None
