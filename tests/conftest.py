"""Engine-tier fixtures: a real PostgreSQL server, throwaway databases.

The README test command (setup/test.sh) starts the project's private cluster and exports
``IPWB_PG_ADMIN_DSN`` (a superuser DSN used only by tests and setup). By hand:
``source setup/dev-env.sh && .venv/bin/pytest tests``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import sql

from .llm.otlp import Collector


def _dsn_with(dsn: str, **overrides: str) -> str:
    params = psycopg2.extensions.parse_dsn(dsn)
    params.update(overrides)
    return psycopg2.extensions.make_dsn(**params)


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    dsn = os.environ.get("IPWB_PG_ADMIN_DSN")
    if not dsn:
        pytest.fail(
            "IPWB_PG_ADMIN_DSN is not set: run the tests through setup/test.sh, or "
            "`source setup/dev-env.sh` first (the engine tier needs a real PostgreSQL)",
            pytrace=False,
        )
    return dsn


def create_database(admin_dsn: str, prefix: str = "ipwb_t") -> str:
    """Create an empty database with a unique name and return its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return name


def drop_database(admin_dsn: str, name: str) -> None:
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


@pytest.fixture
def scratch_db(pg_admin_dsn: str) -> Iterator[str]:
    """DSN (superuser) of a fresh, empty database dropped after the test."""
    name = create_database(pg_admin_dsn)
    try:
        yield _dsn_with(pg_admin_dsn, dbname=name)
    finally:
        drop_database(pg_admin_dsn, name)


@pytest.fixture(scope="module")
def module_db(pg_admin_dsn: str) -> Iterator[str]:
    """Like :func:`scratch_db`, shared by the tests of one module (for costly fixtures)."""
    name = create_database(pg_admin_dsn)
    try:
        yield _dsn_with(pg_admin_dsn, dbname=name)
    finally:
        drop_database(pg_admin_dsn, name)


@pytest.fixture
def otlp() -> Iterator[Collector]:
    """A loopback OTLP/HTTP receiver answering like Langfuse's /api/public/otel/v1/traces."""
    receiver = Collector()
    yield receiver
    receiver.close()
