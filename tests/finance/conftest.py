"""Shared fixtures of the finance engine tests."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest

from ipwb.finance import warehouse as wh


@pytest.fixture
def conn(scratch_db: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to a scratch database holding the default bronze schema."""
    connection = psycopg2.connect(scratch_db)
    wh.ensure_bronze(connection, wh.FinanceSchemas())
    connection.commit()
    yield connection
    connection.close()
