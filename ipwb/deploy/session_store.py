"""HTTP sessions in PostgreSQL, shared by every Odoo server of one deployment.

Odoo keeps sessions as files under its data directory: two web servers without a shared
disk do not see each other's sessions, and a redeploy on an ephemeral disk (App Platform)
logs everybody out. These helpers keep them in one table of the Odoo database instead.
The addon ``ipwb_session_db`` wraps them in Odoo's session-store interface; the SQL lives
here so it is typed and tested without Odoo.

Expiry is measured with the database's clock (``now()``), never a server's, so servers
whose clocks drift agree on which session is still alive. Session data is passed as a
query parameter only and never formatted into a message or a log line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from psycopg2 import sql

from ipwb.errors import ConfigurationError

#: the table, in the Odoo database; not an Odoo model, so no user can read it through the ORM
TABLE = "ipwb_http_session"
#: odoo.conf key (or environment variable ``IPWB_SESSION_STORE``) choosing the store
SETTING = "ipwb_session_store"
STORES = ("file", "db")
#: Odoo 18's session keys: 84 URL-safe base64 characters (``FilesystemSessionStore.generate_key``)
SESSION_KEY = re.compile(r"^[A-Za-z0-9_-]{84}\Z")
#: ``res.device.log.session_identifier`` is the first 42 characters of a key
IDENTIFIER = re.compile(r"^[A-Za-z0-9_-]{42,84}\Z")

_LOCK_KEY = 0x1B5E5510  # advisory lock serialising the table's creation across servers


class Cursor(Protocol):
    """The part of a DB-API cursor these helpers use (psycopg2's)."""

    rowcount: int

    def execute(self, query: Any, vars: Any = None) -> Any: ...

    def fetchone(self) -> Any: ...


def parse_store(value: str | None) -> str:
    """Normalise the configured store name; empty means Odoo's default file store.

    >>> parse_store(None), parse_store(" DB ")
    ('file', 'db')
    >>> parse_store("redis")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: ipwb_session_store must be one of file, db (got 'redis')
    """
    name = (value or "file").strip().lower() or "file"
    if name not in STORES:
        raise ConfigurationError(f"{SETTING} must be one of {', '.join(STORES)} (got {value!r})")
    return name


def is_valid_key(sid: object) -> bool:
    """True for a well-formed Odoo 18 session key.

    >>> is_valid_key("a" * 84), is_valid_key("a" * 83), is_valid_key("../" + "a" * 81), is_valid_key(None)
    (True, False, False, False)
    """
    return isinstance(sid, str) and SESSION_KEY.match(sid) is not None


def _checked(sid: str) -> str:
    if not is_valid_key(sid):
        # the key itself is not echoed: a malformed cookie may still be somebody's secret
        raise ValueError("invalid session key")
    return sid


def ensure_table(cur: Cursor) -> None:
    """Create the table and its expiry index if missing (safe when several servers race)."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {table} ("
            " sid varchar(84) PRIMARY KEY,"
            " data jsonb NOT NULL,"
            " updated_at timestamptz NOT NULL DEFAULT now())"
        ).format(table=sql.Identifier(TABLE))
    )
    cur.execute(
        sql.SQL("CREATE INDEX IF NOT EXISTS {index} ON {table} (updated_at)").format(
            index=sql.Identifier(f"{TABLE}_updated_at_idx"), table=sql.Identifier(TABLE)
        )
    )


def load(cur: Cursor, sid: str, max_lifetime: int) -> dict[str, Any] | None:
    """The data of a live session, or None when unknown, malformed or idle longer than
    ``max_lifetime`` seconds (an expired row is treated as absent even before the GC runs)."""
    if not is_valid_key(sid):
        return None
    cur.execute(
        sql.SQL(
            "SELECT data FROM {table} WHERE sid = %s AND updated_at > now() - make_interval(secs => %s)"
        ).format(table=sql.Identifier(TABLE)),
        (sid, max(int(max_lifetime), 0)),
    )
    row = cur.fetchone()
    if row is None:
        return None
    data = row[0]
    return dict(data) if isinstance(data, Mapping) else None


def save(cur: Cursor, sid: str, data: Mapping[str, Any]) -> None:
    """Insert or overwrite a session (last writer wins, like the file store) and touch it."""
    cur.execute(
        sql.SQL(
            "INSERT INTO {table} (sid, data, updated_at) VALUES (%s, %s::jsonb, now())"
            " ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, updated_at = now()"
        ).format(table=sql.Identifier(TABLE)),
        (_checked(sid), json.dumps(dict(data))),
    )


def delete(cur: Cursor, sids: Iterable[str]) -> int:
    """Delete sessions by key; malformed keys are ignored. Returns the number deleted."""
    keys = [sid for sid in sids if is_valid_key(sid)]
    if not keys:
        return 0
    cur.execute(
        sql.SQL("DELETE FROM {table} WHERE sid = ANY(%s)").format(table=sql.Identifier(TABLE)), (keys,)
    )
    return cur.rowcount


def rotate(cur: Cursor, old_sid: str, new_sid: str, data: Mapping[str, Any]) -> None:
    """Replace ``old_sid`` by ``new_sid`` in one statement pair of the caller's transaction,
    so a crash between the two never leaves the user with no session or with both."""
    _checked(new_sid)
    delete(cur, [old_sid])
    save(cur, new_sid, data)


def vacuum(cur: Cursor, max_lifetime: int) -> int:
    """Delete sessions idle for more than ``max_lifetime`` seconds; returns how many."""
    cur.execute(
        sql.SQL("DELETE FROM {table} WHERE updated_at < now() - make_interval(secs => %s)").format(
            table=sql.Identifier(TABLE)
        ),
        (max(int(max_lifetime), 0),),
    )
    return cur.rowcount


def delete_by_identifiers(cur: Cursor, identifiers: Iterable[str]) -> int:
    """Revoke the sessions whose key starts with one of ``identifiers`` (``res.device``).

    Identifiers shorter than 42 characters or with characters outside a key's alphabet are
    ignored, as Odoo's file store does, so a crafted two-letter identifier cannot revoke
    somebody else's sessions. The ``^@`` (starts with) operator rather than LIKE: ``_`` is both a key
    character and a LIKE wildcard.
    """
    prefixes = sorted({i for i in identifiers if isinstance(i, str) and IDENTIFIER.match(i)})
    if not prefixes:
        return 0
    cur.execute(
        sql.SQL("DELETE FROM {table} WHERE sid ^@ ANY(%s)").format(table=sql.Identifier(TABLE)),
        (prefixes,),
    )
    return cur.rowcount


def count(cur: Cursor) -> int:
    """Number of stored sessions (monitoring, tests)."""
    cur.execute(sql.SQL("SELECT count(*) FROM {table}").format(table=sql.Identifier(TABLE)))
    row = cur.fetchone()
    return int(row[0]) if row else 0
