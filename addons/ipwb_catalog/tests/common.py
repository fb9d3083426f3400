# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Test helpers: build real tables in the test warehouse as its owner role."""

import os
import pathlib
import uuid

import psycopg2
from psycopg2 import sql

from odoo import tools


def owner_password():
    """IPWB_WH_OWNER_PASSWORD (exported by setup/test.sh), else .local/secrets.env."""
    password = os.environ.get("IPWB_WH_OWNER_PASSWORD")
    if password:
        return password
    for parent in pathlib.Path(__file__).resolve().parents:
        secrets = parent / ".local" / "secrets.env"
        if secrets.is_file():
            for line in secrets.read_text(encoding="utf-8").splitlines():
                if line.startswith("IPWB_WH_OWNER_PASSWORD="):
                    return line.split("=", 1)[1].strip()
    raise AssertionError("IPWB_WH_OWNER_PASSWORD is not set: run the tests through setup/test.sh")


class WarehouseSchema:
    """A throwaway schema in the test warehouse, written as ipwb_wh_owner (autocommit)."""

    def __init__(self, prefix="ipwb_cat"):
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.conn = psycopg2.connect(
            host=tools.config.get("ipwb_warehouse_host") or "127.0.0.1",
            port=int(tools.config.get("ipwb_warehouse_port") or 5432),
            dbname=tools.config.get("ipwb_warehouse_db"),
            user="ipwb_wh_owner",
            password=owner_password(),
            application_name="ipwb-catalog-tests",
        )
        self.conn.autocommit = True
        self.execute("CREATE SCHEMA {schema}")

    def execute(self, statement, *params):
        """Run ``statement`` with ``{schema}`` replaced by this schema's quoted name."""
        with self.conn.cursor() as cr:
            cr.execute(sql.SQL(statement).format(schema=sql.Identifier(self.name)), params or None)

    def drop(self):
        if not self.conn.closed:
            self.execute("DROP SCHEMA IF EXISTS {schema} CASCADE")
            self.conn.close()
