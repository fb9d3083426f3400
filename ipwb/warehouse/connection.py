"""Connections to a warehouse database.

A :class:`WarehouseConfig` is what an ``ipwb.connection`` record (or a CLI ``--dsn``)
describes. :func:`connect` opens a psycopg2 connection and turns every connection failure
into a :class:`~ipwb.errors.WarehouseError` whose message says what to check, without ever
echoing the password.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg2
import psycopg2.extensions

from ipwb.errors import ConfigurationError, WarehouseError

#: seconds to wait for the server to accept a connection
DEFAULT_CONNECT_TIMEOUT = 10


@dataclasses.dataclass(frozen=True)
class WarehouseConfig:
    """Where and as whom to connect. ``password`` is never part of ``repr``/``str``."""

    dbname: str
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = ""
    password: str = dataclasses.field(default="", repr=False)
    sslmode: str = "prefer"
    application_name: str = "ipwb"
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
    #: database names this config must never point at (e.g. Odoo's own database)
    forbidden_dbnames: frozenset[str] = frozenset()

    @classmethod
    def from_dsn(cls, dsn: str, **overrides: Any) -> WarehouseConfig:
        """Build a config from a libpq DSN (``key=value …`` or ``postgresql://`` URI).

        >>> WarehouseConfig.from_dsn("host=db port=6432 dbname=wh user=r").port
        6432
        """
        try:
            params = psycopg2.extensions.parse_dsn(dsn)
        except psycopg2.ProgrammingError:
            # libpq's detail quotes the text around the error, which may be a password
            raise ConfigurationError(
                "Invalid connection string: expected key=value pairs or a postgresql:// URI"
                " (its text is not repeated here: it may hold a password)"
            ) from None
        if "dbname" not in params:
            raise ConfigurationError("The connection string names no database (dbname)")
        fields = {
            "dbname": params["dbname"],
            "host": params.get("host", "127.0.0.1"),
            "port": int(params.get("port", 5432)),
            "user": params.get("user", ""),
            "password": params.get("password", ""),
            "sslmode": params.get("sslmode", "prefer"),
        }
        fields.update(overrides)
        return cls(**fields)

    def connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "dbname": self.dbname,
            "host": self.host,
            "port": self.port,
            "sslmode": self.sslmode,
            "application_name": self.application_name,
            "connect_timeout": self.connect_timeout,
        }
        if self.user:
            kwargs["user"] = self.user
        if self.password:
            kwargs["password"] = self.password
        return kwargs

    def describe(self) -> str:
        """Human-readable target without secrets, for messages and logs.

        >>> WarehouseConfig(dbname="wh", host="h", port=1, user="u", password="s").describe()
        'u@h:1/wh'
        """
        who = f"{self.user}@" if self.user else ""
        return f"{who}{self.host}:{self.port}/{self.dbname}"


def connect(config: WarehouseConfig, **extra: Any) -> psycopg2.extensions.connection:
    """Open a connection, or raise :class:`WarehouseError` with an actionable message."""
    if config.dbname in config.forbidden_dbnames:
        raise ConfigurationError(
            f"Database {config.dbname!r} is not a warehouse: it is reserved (Odoo's own database)"
        )
    try:
        conn: psycopg2.extensions.connection = psycopg2.connect(**config.connect_kwargs(), **extra)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(_explain_connect_failure(config, str(exc))) from None
    _use_exact_numeric_types(conn)
    return conn


def _use_exact_numeric_types(conn: psycopg2.extensions.connection) -> None:
    """Read NUMERIC as Decimal on this connection, whatever the process registered globally.

    Odoo registers a global typecaster turning NUMERIC into float; warehouse results (money,
    tax amounts) must keep their exact value and scale ("7.00" stays "7.00") in the engine,
    inside Odoo or not. Connection-scoped typecasters take precedence over global ones.
    """
    psycopg2.extensions.register_type(psycopg2.extensions.DECIMAL, conn)


def _explain_connect_failure(config: WarehouseConfig, detail: str) -> str:
    # libpq reports everything as OperationalError; classify by SQLSTATE-less text is all
    # we have here, so keep the raw detail (it contains no password) and add a hint.
    lowered = detail.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        hint = "check the user name and password"
    elif "does not exist" in lowered and "database" in lowered:
        hint = "check the database name"
    elif "timeout" in lowered or "could not connect" in lowered or "connection refused" in lowered:
        hint = "check the host and port, and that the server accepts connections"
    elif "could not translate host name" in lowered:
        hint = "the host name does not resolve"
    else:
        hint = "see the server's message above"
    first_line = detail.strip().splitlines()[0] if detail.strip() else "unknown error"
    return f"Cannot connect to warehouse {config.describe()}: {first_line} ({hint})"


def primary_message(exc: psycopg2.Error) -> str:
    """PostgreSQL's primary error message (no DETAIL/HINT/CONTEXT), else the first line."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        return str(primary)
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
