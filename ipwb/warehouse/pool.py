"""A small per-process pool of warehouse connections for guarded sessions.

Opening a connection as the user's login role costs more than the rest of a 1,000-row
page (TCP, authentication, backend start). A worker keeps its recent connections here,
keyed by where and as whom they connect (a *slot*: host, port, database, login role,
startup options) and by a fingerprint of the credentials and of a caller-given
``generation`` (the Odoo side passes the connection record's version and last grant
sync), so that:

* two users share a connection only when they share the login role (and thus rights);
* a changed password, a rotated secret or a grant sync changes the fingerprint: the
  slot's idle connections are closed, never reused;
* a connection is reused only idle and healthy, after a reset on release (``ROLLBACK``
  then ``DISCARD ALL``: settings, ``search_path``, temporary tables, prepared
  statements, cursors, advisory locks and listeners do not outlive a run); a reset that
  fails discards it;
* a process forked from the one that opened a connection never touches it (prefork
  workers inherit the parent's sockets): the pool remembers its pid, and a child keeps
  the inherited objects referenced but unused, so not even their finaliser writes on the
  parent's socket;
* at most ``max_size`` idle connections stay open, none idle longer than ``max_idle_s``.

The guard (:func:`ipwb.warehouse.guard.guarded_session`) still opens a READ ONLY
transaction with its own ``statement_timeout`` on every run, and reconnects once when a
reused connection turns out dead before the user statement is sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

from ipwb.warehouse.connection import WarehouseConfig, connect

#: idle connections kept per process, all slots together
DEFAULT_MAX_SIZE = 4
#: seconds an idle connection may wait for its next use
DEFAULT_MAX_IDLE_S = 120.0

Slot = tuple[str, int, str, str, str]


@dataclasses.dataclass
class _Idle:
    connection: psycopg2.extensions.connection
    slot: Slot
    fingerprint: str
    released: float


@dataclasses.dataclass
class PoolStats:
    """Counters since the pool was created (or since the last fork)."""

    opened: int = 0
    reused: int = 0
    discarded: int = 0


def slot_of(config: WarehouseConfig, options: str) -> Slot:
    return (config.host, config.port, config.dbname, config.user, options)


def fingerprint(config: WarehouseConfig, options: str, generation: str = "") -> str:
    """A digest of everything that must match for a connection to be reused.

    >>> a = WarehouseConfig(dbname="wh", user="r", password="old")
    >>> fingerprint(a, "") == fingerprint(dataclasses.replace(a, password="new"), "")
    False
    >>> fingerprint(a, "", "v1") == fingerprint(a, "", "v2")
    False
    """
    parts = sorted(f"{key}={value}" for key, value in config.connect_kwargs().items())
    text = "\x1f".join([*parts, f"options={options}", f"generation={generation}"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConnectionPool:
    """Idle warehouse connections of this process, reused by slot and fingerprint."""

    def __init__(self, *, max_size: int = DEFAULT_MAX_SIZE, max_idle_s: float = DEFAULT_MAX_IDLE_S) -> None:
        self.max_size = max_size
        self.max_idle_s = max_idle_s
        self.stats = PoolStats()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._idle: list[_Idle] = []
        self._current: dict[Slot, str] = {}
        # connections opened by a parent process: referenced so their finaliser never runs here
        self._inherited: list[psycopg2.extensions.connection] = []

    # ------------------------------------------------------------------ checkout
    def acquire(
        self, config: WarehouseConfig, options: str, generation: str = ""
    ) -> tuple[psycopg2.extensions.connection, bool]:
        """A connection for ``config``: an idle healthy one (``True``) or a new one (``False``)."""
        slot, wanted = slot_of(config, options), fingerprint(config, options, generation)
        stale: list[psycopg2.extensions.connection] = []
        found: psycopg2.extensions.connection | None = None
        with self._lock:
            self._after_fork()
            stale += self._expire(time.monotonic())
            if self._current.get(slot) != wanted:
                # new credentials or generation: what was opened before is not reused
                stale += self._take(lambda idle: idle.slot == slot)
                self._current[slot] = wanted
            for index in range(len(self._idle) - 1, -1, -1):
                idle = self._idle[index]
                if idle.slot == slot and idle.fingerprint == wanted:
                    del self._idle[index]
                    if _usable(idle.connection):
                        found = idle.connection
                        self.stats.reused += 1
                        break
                    stale.append(idle.connection)
        self._close_all(stale)
        if found is not None:
            return found, True
        return self.open(config, options), False

    def open(self, config: WarehouseConfig, options: str) -> psycopg2.extensions.connection:
        """A new connection for ``config`` (counted; give it back with :meth:`release`)."""
        conn = connect(config, options=options)
        with self._lock:
            self.stats.opened += 1
        return conn

    def release(
        self,
        conn: psycopg2.extensions.connection,
        config: WarehouseConfig,
        options: str,
        generation: str = "",
    ) -> None:
        """Give ``conn`` back: reset and kept when healthy and still current, else closed."""
        if not _reset(conn):
            self.discard(conn)
            return
        slot, wanted = slot_of(config, options), fingerprint(config, options, generation)
        stale: list[psycopg2.extensions.connection] = []
        with self._lock:
            if os.getpid() != self._pid or self._current.get(slot, wanted) != wanted:
                stale.append(conn)
            else:
                self._current[slot] = wanted
                self._idle.append(_Idle(conn, slot, wanted, time.monotonic()))
                while len(self._idle) > self.max_size:
                    stale.append(self._idle.pop(0).connection)
        self._close_all(stale)

    def discard(self, conn: psycopg2.extensions.connection) -> None:
        """Close a connection that must not be reused (broken, failed reset)."""
        self._close_all([conn])

    def clear(self) -> None:
        """Close every idle connection (e.g. after a grant sync in this process)."""
        with self._lock:
            self._after_fork()
            stale = self._take(lambda idle: True)
            self._current.clear()
        self._close_all(stale)

    def idle_count(self) -> int:
        with self._lock:
            self._after_fork()
            return len(self._idle)

    # ------------------------------------------------------------------ internals
    def _after_fork(self) -> None:
        pid = os.getpid()
        if pid != self._pid:
            self._inherited.extend(idle.connection for idle in self._idle)
            self._idle, self._current, self._pid = [], {}, pid
            self.stats = PoolStats()

    def _expire(self, now: float) -> list[psycopg2.extensions.connection]:
        return self._take(lambda idle: now - idle.released > self.max_idle_s)

    def _take(self, predicate: Callable[[_Idle], bool]) -> list[psycopg2.extensions.connection]:
        taken = [idle for idle in self._idle if predicate(idle)]
        if taken:
            self._idle = [idle for idle in self._idle if not predicate(idle)]
        return [idle.connection for idle in taken]

    def _close_all(self, conns: list[psycopg2.extensions.connection]) -> None:
        for conn in conns:
            with contextlib.suppress(psycopg2.Error):
                conn.close()
        if conns:
            with self._lock:
                self.stats.discarded += len(conns)


def _usable(conn: psycopg2.extensions.connection) -> bool:
    return not conn.closed and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _reset(conn: psycopg2.extensions.connection) -> bool:
    """Roll back and drop every piece of session state; ``False`` when the connection is unfit."""
    if conn.closed:
        return False
    try:
        conn.rollback()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DISCARD ALL")  # RESET ALL keeps the startup options' values
        conn.autocommit = False
    except psycopg2.Error:
        return False
    return _usable(conn)


_PROCESS_POOL = ConnectionPool()


def process_pool() -> ConnectionPool:
    """The pool of this process (an Odoo worker's), shared by its threads."""
    return _PROCESS_POOL


__all__ = ["ConnectionPool", "PoolStats", "fingerprint", "process_pool", "slot_of"]
