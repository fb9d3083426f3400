"""The guarded transaction every user statement runs in, and server error translation.

Three layers keep a read-only run read-only; this module holds the two at the database:

1. classification (:mod:`ipwb.sql.classify`) refuses hostile text before it is sent;
2. the transaction is ``READ ONLY`` (psycopg2 sends ``BEGIN READ ONLY``), the session
   default is read-only too (so even a ``COMMIT`` smuggled past layer 1 cannot open a
   writable transaction), and a first ``SELECT`` takes the snapshot so that a later
   ``SET TRANSACTION READ WRITE`` is rejected by the server;
3. the connection's role: a restricted role (:mod:`ipwb.warehouse.roles`) has no write
   privilege, no file or program access and no membership it could ``SET ROLE`` to.

Every run gets its own transaction with a transaction-local ``statement_timeout``, on its
own connection (closed afterwards) or on one of a :class:`~ipwb.warehouse.pool.ConnectionPool`
(reset on release: no session state leaks between runs; see that module). The backend pid
is reported before the user statement starts so another request can cancel it (:func:`cancel`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from ipwb.errors import ConfigurationError, QueryCancelled, QueryRefused, QueryTimeout, WarehouseError
from ipwb.sql.split import position
from ipwb.warehouse.connection import WarehouseConfig, connect, primary_message
from ipwb.warehouse.pool import ConnectionPool

#: seconds a statement may run unless the caller says otherwise
DEFAULT_TIMEOUT_S = 30.0

#: SQLSTATEs meaning "the database itself refused this in the current mode/role"
_REFUSAL_CODES = {
    "25006": "the transaction is read-only",  # read_only_sql_transaction
    "42501": "the role lacks the privilege",  # insufficient_privilege
    "25001": "the transaction state cannot be changed now",  # active_sql_transaction
    "0A000": "the feature is not allowed here",  # feature_not_supported (e.g. VACUUM in a txn)
}


class DatabaseRefused(QueryRefused):
    """The server refused the statement (read-only transaction, missing privilege).

    Raised only when classification let the statement through — the second and third
    layers doing their job; ``pgcode`` is the SQLSTATE."""

    def __init__(self, message: str, pgcode: str) -> None:
        super().__init__(message)
        self.pgcode = pgcode


class StatementFailed(WarehouseError):
    """The server raised an error for the statement (syntax, unknown column, …).

    ``line``/``col`` locate the error in the submitted text when the server reported a
    position that maps back to it."""

    def __init__(self, message: str, pgcode: str | None, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.pgcode = pgcode
        self.line = line
        self.col = col


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    name: str
    type_name: str
    type_oid: int


@dataclasses.dataclass
class GuardedSession:
    """An open guarded transaction: its connection, backend pid and settings."""

    connection: psycopg2.extensions.connection
    backend_pid: int
    read_only: bool
    timeout_s: float
    started: float = dataclasses.field(default_factory=time.perf_counter)

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0


def session_options(read_only: bool = True) -> str:
    """The startup options of a guarded session (part of a pooled connection's slot).

    >>> session_options(False)
    '-c standard_conforming_strings=on'
    """
    options = "-c standard_conforming_strings=on"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return options


@contextlib.contextmanager
def guarded_session(
    config: WarehouseConfig,
    *,
    read_only: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_backend_pid: Callable[[int], None] | None = None,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
    on_session_end: Callable[[], None] | None = None,
) -> Iterator[GuardedSession]:
    """Open a connection (or take an idle one of ``pool``) and a guarded transaction; roll
    back (read-only, or on error) or commit (writes that succeeded); then close the
    connection, or give it back to ``pool``, which resets it before any reuse.

    ``on_session_end`` runs once the transaction is over and before the connection can
    serve anyone else: forget the backend pid there (a kept connection keeps its pid, and
    a late cancel must not reach the next run on it)."""
    if not timeout_s or timeout_s <= 0:
        raise ConfigurationError(
            f"The statement timeout must be a positive number of seconds, not {timeout_s!r}"
        )
    options = session_options(read_only)
    try:
        conn, session = _open(
            config, options, read_only=read_only, timeout_s=timeout_s, pool=pool, generation=pool_generation
        )
    except psycopg2.Error as exc:
        raise WarehouseError(f"The warehouse session failed: {primary_message(exc)}") from None
    try:
        if on_backend_pid is not None:
            on_backend_pid(session.backend_pid)
        session.started = time.perf_counter()
        yield session
        if read_only:
            conn.rollback()
        else:
            conn.commit()
    except psycopg2.Error as exc:
        _rollback_quietly(conn)
        raise WarehouseError(f"The warehouse session failed: {primary_message(exc)}") from None
    except BaseException:
        _rollback_quietly(conn)
        raise
    finally:
        # a closed (broken) connection given back is discarded by the pool
        give_back = (
            conn.close if pool is None else partial(pool.release, conn, config, options, pool_generation)
        )
        _end(on_session_end, give_back)


def _end(on_session_end: Callable[[], None] | None, give_back: Callable[[], None]) -> None:
    try:
        if on_session_end is not None:
            on_session_end()
    finally:
        give_back()


def _open(
    config: WarehouseConfig,
    options: str,
    *,
    read_only: bool,
    timeout_s: float,
    pool: ConnectionPool | None,
    generation: str,
) -> tuple[psycopg2.extensions.connection, GuardedSession]:
    if pool is None:
        conn = connect(config, options=options)
    else:
        conn, reused = pool.acquire(config, options, generation)
        try:
            return conn, _begin(conn, read_only, timeout_s)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            pool.discard(conn)
            if not reused:
                raise
        except BaseException:
            pool.discard(conn)
            raise
        # the idle connection died since its last use (server restart, terminated
        # backend): nothing of the user's was sent yet, so a fresh one is safe
        conn = pool.open(config, options)
    try:
        return conn, _begin(conn, read_only, timeout_s)
    except BaseException:
        conn.close()
        raise


def _begin(conn: psycopg2.extensions.connection, read_only: bool, timeout_s: float) -> GuardedSession:
    conn.set_session(readonly=read_only, autocommit=False)
    with conn.cursor() as cur:
        # one statement: takes the snapshot (freezing READ ONLY) and sets the timeout
        cur.execute(
            "SELECT pg_catalog.pg_backend_pid(), pg_catalog.set_config('statement_timeout', %s, true)",
            (f"{int(timeout_s * 1000)}ms",),
        )
        row = cur.fetchone()
    assert row is not None
    return GuardedSession(conn, int(row[0]), read_only, timeout_s)


def translate_error(
    exc: psycopg2.Error, session: GuardedSession, *, submitted: str | None = None, sent: str | None = None
) -> WarehouseError | QueryRefused:
    """An engine error for a server error raised by the user statement.

    ``submitted`` is the text the user wrote and ``sent`` the query psycopg2 sent (e.g.
    wrapped in ``DECLARE … CURSOR FOR``); when the user text is the tail of the sent
    query, the server's error position is mapped back to a line/column in it.
    """
    code = exc.pgcode or ""
    message = primary_message(exc)
    if isinstance(exc, psycopg2.errors.QueryCanceled):
        elapsed_s = session.elapsed_ms() / 1000.0
        if "statement timeout" in message or elapsed_s >= session.timeout_s * 0.95:
            return QueryTimeout(
                f"The statement ran longer than the {session.timeout_s:g} s timeout and was stopped"
            )
        return QueryCancelled(f"The statement was cancelled after {elapsed_s:.1f} s")
    if code in _REFUSAL_CODES:
        mode = "read-only mode" if session.read_only else "this session"
        why = _REFUSAL_CODES[code]
        return DatabaseRefused(
            f"The database refused the statement in {mode} ({why}): {message} [SQLSTATE {code}]", code
        )
    line, col = _error_position(exc, submitted, sent)
    where = f" at line {line}, column {col}" if line is not None else ""
    return StatementFailed(
        f"The warehouse rejected the statement{where}: {message} [SQLSTATE {code}]", code, line, col
    )


def describe_columns(
    conn: psycopg2.extensions.connection, description: Sequence[Any] | None
) -> tuple[ColumnInfo, ...]:
    """Column names and type names (``numeric``, ``timestamp with time zone`` …).

    Built-in types (OID below 16384, fixed for a server version) are looked up once per
    process and server version; user-defined types every time (a dropped and recreated type
    gets another OID)."""
    if not description:
        return ()
    version = int(conn.server_version)
    oids = sorted({int(column.type_code) for column in description})
    names = {oid: _BUILTIN_TYPES[version, oid] for oid in oids if (version, oid) in _BUILTIN_TYPES}
    missing = [oid for oid in oids if oid not in names]
    if missing:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT oid::int, pg_catalog.format_type(oid, NULL) FROM pg_catalog.pg_type"
                " WHERE oid = ANY(%s)",
                (missing,),
            )
            for oid, name in cur.fetchall():
                names[int(oid)] = str(name)
                if int(oid) < FIRST_NORMAL_OID:
                    _BUILTIN_TYPES[version, int(oid)] = str(name)
    return tuple(
        ColumnInfo(column.name, names.get(int(column.type_code), "unknown"), int(column.type_code))
        for column in description
    )


#: PostgreSQL's FirstNormalObjectId: OIDs below it belong to the server's own catalog
FIRST_NORMAL_OID = 16384
#: (server version, OID) → type name of built-in types, filled as results show them
_BUILTIN_TYPES: dict[tuple[int, int], str] = {}


def cancel(config: WarehouseConfig, backend_pid: int) -> bool:
    """Ask the server to cancel the statement running in ``backend_pid``.

    Uses its own connection (the running one is busy). Returns ``False`` if no such
    backend exists or the role may not signal it; the cancelled run then raises
    :class:`~ipwb.errors.QueryCancelled`.
    """
    if not isinstance(backend_pid, int) or isinstance(backend_pid, bool) or backend_pid <= 0:
        raise ConfigurationError(f"Not a backend process id: {backend_pid!r}")
    conn = connect(config)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_catalog.pg_cancel_backend(%s)", (backend_pid,))
            row = cur.fetchone()
        return bool(row and row[0])
    except psycopg2.Error as exc:
        raise WarehouseError(f"Could not cancel backend {backend_pid}: {primary_message(exc)}") from None
    finally:
        conn.close()


def _error_position(
    exc: psycopg2.Error, submitted: str | None, sent: str | None
) -> tuple[int | None, int | None]:
    raw = getattr(exc.diag, "statement_position", None)
    if not raw or submitted is None or sent is None or not sent.endswith(submitted):
        return None, None
    offset = int(raw) - 1 - (len(sent) - len(submitted))
    if not 0 <= offset <= len(submitted):
        return None, None
    return position(submitted, offset)


def _rollback_quietly(conn: psycopg2.extensions.connection) -> None:
    with contextlib.suppress(psycopg2.Error):
        if not conn.closed:
            conn.rollback()
