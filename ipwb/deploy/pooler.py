"""Detect a transaction-mode (or statement-mode) connection pooler in front of PostgreSQL.

Odoo keeps session state on its connections: the bus and the cron threads ``LISTEN`` on the
``postgres`` database and wait for notifications for as long as the server runs, and cursors
rely on one connection being one server backend. A pooler in session mode (pgbouncer
``pool_mode = session``, Supavisor on port 5432) keeps that promise; in transaction mode
(Supavisor's port 6543, pgbouncer ``pool_mode = transaction``) two transactions of one
client connection may run on two different backends, and LISTEN silently stops working.

An application cannot ask the pooler its mode (``SHOW pool_mode`` is a pgbouncer admin
console command), so :func:`probe` observes it: a session-level setting is set in one
transaction, a second client connection runs a transaction, then the first connection checks
in a new transaction that it is still on the same backend with the setting intact. Poolers
hand out idle backends last-in first-out (pgbouncer's default), so in transaction mode the
second client receives the first one's backend, and the first one loses it.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.extensions

from ipwb.errors import ConfigurationError, WarehouseError
from ipwb.warehouse.connection import primary_message

#: a custom, session-level setting (poolers do not track or replay custom settings)
PROBE_SETTING = "ipwb.pooler_probe"


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What the probe observed: backend pids and whether the session setting survived."""

    first_pid: int
    second_pid: int
    other_client_pid: int
    setting_kept: bool

    @property
    def session_mode(self) -> bool:
        """True when one client connection is one backend, as Odoo needs.

        >>> ProbeResult(1, 1, 2, True).session_mode, ProbeResult(1, 1, 1, True).session_mode
        (True, False)
        >>> ProbeResult(1, 3, 2, False).session_mode
        False
        """
        return (
            self.setting_kept
            and self.first_pid == self.second_pid
            and self.other_client_pid != self.first_pid
        )

    def observation(self) -> str:
        """What showed that backends are shared, for the refusal message.

        >>> ProbeResult(7, 7, 7, True).observation()
        'another client connection was served by the same PostgreSQL backend (pid 7)'
        """
        if self.first_pid != self.second_pid:
            return (
                "two transactions of one connection ran on different PostgreSQL backends"
                f" (pids {self.first_pid} and {self.second_pid})"
            )
        if self.other_client_pid == self.first_pid:
            return (
                f"another client connection was served by the same PostgreSQL backend (pid {self.first_pid})"
            )
        return "a session-level setting was lost between two transactions of one connection"


def probe(connect_kwargs: Mapping[str, Any]) -> ProbeResult:
    """Run the two-connection probe described above (each statement its own transaction)."""
    token = secrets.token_hex(8)
    first = _connect(connect_kwargs)
    try:
        first_pid = _one(first, "SELECT pg_backend_pid(), set_config(%s, %s, false)", (PROBE_SETTING, token))
        other = _connect(connect_kwargs)
        try:
            other_pid = _one(other, "SELECT pg_backend_pid()", ())
        finally:
            other.close()
        second_pid = _one(first, "SELECT pg_backend_pid()", ())
        with first.cursor() as cur:
            cur.execute("SELECT current_setting(%s, true)", (PROBE_SETTING,))
            row = cur.fetchone()
        kept = row is not None and row[0] == token
    finally:
        first.close()
    return ProbeResult(first_pid, second_pid, other_pid, kept)


def require_session_mode(connect_kwargs: Mapping[str, Any], where: str) -> None:
    """Raise :class:`ConfigurationError` when ``where`` is behind a transaction-mode pooler."""
    try:
        result = probe(connect_kwargs)
    except psycopg2.Error as exc:
        # statement-mode pgbouncer refuses multi-statement transactions; anything else is reported as is
        raise WarehouseError(f"Cannot check the connection to {where}: {primary_message(exc)}") from None
    if not result.session_mode:
        raise ConfigurationError(
            f"The connection to {where} goes through a connection pooler in transaction (or statement) mode:"
            f" {result.observation()}. Odoo's bus and cron LISTEN on the"
            " 'postgres' database and keep session state, which such a pooler breaks. Use a session-mode"
            " connection: Supabase's Supavisor on port 5432 (not 6543), pgbouncer with pool_mode = session,"
            " or a direct connection."
        )


def _connect(connect_kwargs: Mapping[str, Any]) -> psycopg2.extensions.connection:
    try:
        conn: psycopg2.extensions.connection = psycopg2.connect(**connect_kwargs)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"Cannot connect: {primary_message(exc)}") from None
    conn.autocommit = True
    return conn


def _one(conn: psycopg2.extensions.connection, query: str, params: tuple[object, ...]) -> int:
    with conn.cursor() as cur:
        cur.execute(query, params)
        row = cur.fetchone()
    if row is None:
        raise WarehouseError("The server returned no backend pid")
    return int(row[0])
