"""LangGraph's ``PostgresSaver`` in a schema of its own, on a pool opened lazily.

Why not ``PostgresSaver.setup()``: three of its migrations ``CREATE INDEX CONCURRENTLY``,
which needs autocommit *and* waits for every older transaction of the database to end — an
install hook runs inside Odoo's transaction and would wait for itself. The same
statements run here without ``CONCURRENTLY`` (the tables are new or small), in the
caller's transaction, recorded in ``checkpoint_migrations`` exactly as ``setup()`` does,
so a later ``setup()`` finds nothing left to do.

Why lazily: Odoo forks its workers after loading the registry; a pool opened before the
fork would share sockets between processes. :class:`CheckpointStore` opens its pool on
first use in each process (and again after a fork).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ipwb.errors import ConfigurationError

SCHEMA = "ipwb_agent_state"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CONCURRENTLY = re.compile(r"\bCREATE\s+INDEX\s+CONCURRENTLY\b", re.IGNORECASE)


def check_schema_name(schema: str) -> str:
    """The schema name, if it is a plain lower-case identifier (it goes into ``options``).

    >>> check_schema_name("ipwb_agent_state")
    'ipwb_agent_state'
    >>> check_schema_name("x; drop")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: Invalid checkpoint schema name: 'x; drop'
    """
    if not _IDENTIFIER.match(schema):
        raise ConfigurationError(f"Invalid checkpoint schema name: {schema!r}")
    return schema


def migrations() -> Iterator[tuple[int, str]]:
    """(version, statement) of the checkpointer's migrations, runnable in a transaction."""
    for version, statement in enumerate(PostgresSaver.MIGRATIONS):
        yield version, _CONCURRENTLY.sub("CREATE INDEX", statement)


def session_options(schema: str) -> str:
    """libpq ``options`` putting the checkpoint tables first on the search path."""
    return f"-c search_path={check_schema_name(schema)}"


def install(conninfo: str, schema: str = SCHEMA) -> None:
    """Create the schema and bring its tables up to date, in one transaction (idempotent)."""
    with psycopg.connect(conninfo, options=session_options(schema)) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        steps = list(migrations())
        conn.execute(sql.SQL(steps[0][1]))  # trusted constant text from langgraph
        row = conn.execute(sql.SQL("SELECT max(v) FROM checkpoint_migrations")).fetchone()
        done = -1 if row is None or row[0] is None else int(row[0])
        for version, statement in steps[done + 1 :]:
            conn.execute(sql.SQL(statement))
            conn.execute(sql.SQL("INSERT INTO checkpoint_migrations (v) VALUES (%s)"), (version,))


class CheckpointStore:
    """One pool per process for one database; ``saver()`` is the run's checkpointer."""

    def __init__(self, conninfo: str, *, schema: str = SCHEMA, max_size: int = 4) -> None:
        self.conninfo = conninfo
        self.schema = check_schema_name(schema)
        self.max_size = max_size
        self._pool: ConnectionPool[Any] | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def pool(self) -> ConnectionPool[Any]:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                # after a fork the parent's pool is not ours: never close its sockets here
                self._pool = ConnectionPool(
                    self.conninfo,
                    min_size=0,
                    max_size=self.max_size,
                    open=True,
                    kwargs={
                        "autocommit": True,
                        "prepare_threshold": 0,
                        "row_factory": dict_row,
                        "options": session_options(self.schema),
                    },
                )
                self._pid = os.getpid()
            return self._pool

    def saver(self) -> PostgresSaver:
        return PostgresSaver(self.pool())

    def delete_thread(self, thread_id: str) -> None:
        """Drop every checkpoint of a finished run (PostgresSaver has no prune)."""
        self.saver().delete_thread(thread_id)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None
