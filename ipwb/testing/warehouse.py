"""A warehouse database seeded with a test's SQL script, for the engine tests of the dbt
runner, Guardian checks and outcomes."""

from __future__ import annotations

import psycopg2

from ipwb.warehouse.connection import WarehouseConfig


def seeded_warehouse(dsn: str, script: str) -> WarehouseConfig:
    """Run ``script`` in ``dsn``'s database as one committed transaction; its warehouse config."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(script)
    finally:
        conn.close()
    return WarehouseConfig.from_dsn(dsn)
