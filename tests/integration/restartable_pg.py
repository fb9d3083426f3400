"""A private PostgreSQL cluster the fault tests may stop and restart.

The shared cluster (setup/pg.sh, port 54329 by default) serves every other test and must
never be restarted by one; this one belongs to the fault tests alone: owned by the
``postgres`` OS user under ``IPWB_FAULTS_PG_DIR`` (default /var/tmp/ipwb-faults-pg), on
127.0.0.1 and its own port, ``fsync=off`` (throwaway data). Its roles and warehouse
database are made by the same functions as the shared cluster's (``ensure_pg_roles``,
``ensure_warehouse_db`` of setup/pg.sh), with passwords generated for this cluster.
"""

from __future__ import annotations

import glob
import os
import pathlib
import secrets
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = ("ADMIN", "ODOO_DB", "WH_OWNER", "WH_READER", "WH_GRANTS")


def _bin_dir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return os.path.dirname(found[-1])


class PrivateCluster:
    def __init__(self, base: str, port: int) -> None:
        self.base = pathlib.Path(base)
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.port = port
        self.bin = _bin_dir()
        self.passwords = {role: secrets.token_hex(16) for role in ROLES}

    # -- processes -------------------------------------------------------------------------
    def _as_postgres(self, *command: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            capture_output=True,
            text=True,
            check=True,
            **kwargs,  # type: ignore[arg-type]
        )

    def init(self) -> None:
        """A fresh cluster (any previous one under ``base`` is stopped and removed)."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        self.socket_dir.mkdir(parents=True)
        shutil.chown(self.base, "postgres", "postgres")
        shutil.chown(self.socket_dir, "postgres", "postgres")
        os.chmod(self.base, 0o700)
        self._as_postgres(
            f"{self.bin}/initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c fsync=off -c full_page_writes=off"
        )
        self._as_postgres(
            f"{self.bin}/pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop (every session is terminated) and start again on the same port."""
        self.stop(mode)
        self.start()

    # -- provisioning through setup/pg.sh --------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "IPWB_PG_HOST": "127.0.0.1",
            "IPWB_PG_PORT": str(self.port),
            "IPWB_PG_SOCKET_DIR": str(self.socket_dir),
            "IPWB_PG_ADMIN_DSN": self.admin_dsn("postgres"),
            "PYTHONPATH": str(ROOT),
        }
        env.update({f"IPWB_{role}_PASSWORD": value for role, value in self.passwords.items()})
        env["IPWB_PG_ADMIN_PASSWORD"] = self.passwords["ADMIN"]
        return env

    def provision(self, warehouse_db: str) -> None:
        """Roles, template extensions and a warehouse database, as setup/test.sh makes them."""
        script = (
            f". {ROOT}/setup/common.sh; . {ROOT}/setup/pg.sh; "
            "ensure_pg_roles; ensure_template_extensions; ensure_warehouse_db " + warehouse_db
        )
        done = subprocess.run(
            ["bash", "-c", script], env=self.environment(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"provisioning the private cluster failed:\n{done.stdout}\n{done.stderr}")

    def admin_dsn(self, dbname: str) -> str:
        return (
            f"host=127.0.0.1 port={self.port} user=ipwb_admin "
            f"password={self.passwords['ADMIN']} dbname={dbname}"
        )

    def odoo_overrides(self, warehouse_db: str, data_dir: str, http_port: int) -> list[str]:
        """key=value overrides of an Odoo configuration pointing it at this cluster."""
        return [
            "db_host=127.0.0.1",
            f"db_port={self.port}",
            "db_user=ipwb_odoo",
            f"db_password={self.passwords['ODOO_DB']}",
            "db_name=",
            "dbfilter=^ipwb_it_pgr_",
            f"data_dir={data_dir}",
            f"http_port={http_port}",
            "http_interface=127.0.0.1",
            f"ipwb_warehouse_port={self.port}",
            f"ipwb_warehouse_db={warehouse_db}",
            f"ipwb_warehouse_password={self.passwords['WH_READER']}",
            "ipwb_warehouse_writer_user=ipwb_wh_owner",
            f"ipwb_warehouse_writer_password={self.passwords['WH_OWNER']}",
            "ipwb_warehouse_grants_user=ipwb_wh_grants",
            f"ipwb_warehouse_grants_password={self.passwords['WH_GRANTS']}",
        ]
