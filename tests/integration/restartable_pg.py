"""A private PostgreSQL cluster the fault tests may stop and restart.

The shared cluster (setup/pg.sh, port 54329 by default) serves every other test and must
never be restarted by one; this one belongs to the fault tests alone: owned by the
``postgres`` OS user under ``IPWB_FAULTS_PG_DIR`` (default /var/tmp/ipwb-faults-pg), on
127.0.0.1 and its own port, ``fsync=off`` (throwaway data): a
:class:`~.private_pg.PrivateCluster` like the deploy tests'. Its roles and warehouse
database are made by the same functions as the shared cluster's (``ensure_pg_roles``,
``ensure_warehouse_db`` of setup/pg.sh), with passwords generated for this cluster.
"""

from __future__ import annotations

import os
import pathlib
import secrets
import subprocess

from .private_pg import PrivateCluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = ("ADMIN", "ODOO_DB", "WH_OWNER", "WH_READER", "WH_GRANTS")


class FaultCluster(PrivateCluster):
    """A :class:`~.private_pg.PrivateCluster` on one given port, provisioned like the shared
    one (setup/pg.sh, through the socket as the ``postgres`` OS user)."""

    def __init__(self, base: str, port: int) -> None:
        super().__init__(pathlib.Path(base), range(port, port + 1), auth_local="peer", max_connections=100)
        self.passwords = {role: secrets.token_hex(16) for role in ROLES}

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
