# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Odoo's session-store interface over :mod:`ipwb.deploy.session_store` (PostgreSQL).

Enabled by ``ipwb_session_store = db`` in odoo.conf (or ``IPWB_SESSION_STORE=db``) with this
module in ``server_wide_modules``; every web and cron server of the deployment must use the
same setting (the cron server runs the session garbage collector).
"""

import contextlib
import logging
import os
import time

import odoo
from odoo import http, sql_db
from odoo.service import security
from odoo.tools import config
from odoo.tools._vendor.sessions import SessionStore

from ipwb.deploy import session_store as session_db
from ipwb.errors import ConfigurationError

_logger = logging.getLogger(__name__)

MODULE = "ipwb_session_db"
LIFETIME_PARAMETER = "sessions.max_inactivity_seconds"
#: how long a server trusts its copy of the inactivity setting before reading it again
LIFETIME_CACHE_SECONDS = 60


class DbSessionStore(SessionStore):
    """Sessions in one table of an Odoo database, shared by every server."""

    # Odoo 18's own key format and generator: sessions move between stores unchanged
    generate_key = http.FilesystemSessionStore.generate_key
    is_valid_key = http.FilesystemSessionStore.is_valid_key

    def __init__(self, database, session_class=http.Session):
        super().__init__(session_class=session_class)
        self.database = database
        self._table_ready = False
        self._lifetime = (0.0, http.SESSION_LIFETIME)

    @contextlib.contextmanager
    def _cursor(self):
        """A raw psycopg2 cursor from Odoo's connection pool, committed on success.

        Raw because Odoo's cursor logs statements with their parameters at debug_sql level,
        and session contents (tokens, contexts) must never reach a log."""
        with sql_db.db_connect(self.database).cursor() as cr:
            # pylint: disable=protected-access
            raw = cr._obj
            if not self._table_ready:
                session_db.ensure_table(raw)
                self._table_ready = True
            yield raw

    def _max_lifetime(self, cur):
        read_at, lifetime = self._lifetime
        if time.monotonic() - read_at < LIFETIME_CACHE_SECONDS:
            return lifetime
        lifetime = http.SESSION_LIFETIME
        cur.execute("SELECT to_regclass('ir_config_parameter') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (LIFETIME_PARAMETER,))
            row = cur.fetchone()
            if row and row[0] and row[0].strip().isdigit():
                lifetime = int(row[0])
        self._lifetime = (time.monotonic(), lifetime)
        return lifetime

    def get(self, sid):
        if not self.is_valid_key(sid):
            return self.new()
        with self._cursor() as cur:
            data = session_db.load(cur, sid, self._max_lifetime(cur))
        if data is None:
            return self.new()
        return self.session_class(data, sid, False)

    def save(self, session):
        with self._cursor() as cur:
            session_db.save(cur, session.sid, dict(session))

    def delete(self, session):
        with self._cursor() as cur:
            session_db.delete(cur, [session.sid])

    def rotate(self, session, env):
        # Odoo's rotation (new key, new token for a logged-in user), in one transaction
        old_sid = session.sid
        session.sid = self.generate_key()
        if session.uid and env:
            session.session_token = security.compute_session_token(session, env)
        session.should_rotate = False
        with self._cursor() as cur:
            session_db.rotate(cur, old_sid, session.sid, dict(session))

    def vacuum(self, max_lifetime=http.SESSION_LIFETIME):
        with self._cursor() as cur:
            removed = session_db.vacuum(cur, max_lifetime)
        _logger.info("session GC: %d expired session(s) removed", removed)
        return removed

    def delete_from_identifiers(self, identifiers):
        with self._cursor() as cur:
            return session_db.delete_by_identifiers(cur, identifiers)


def configured_store():
    """The store name from odoo.conf, else from the environment."""
    return session_db.parse_store(config.get(session_db.SETTING) or os.environ.get("IPWB_SESSION_STORE"))


def session_database():
    """The database holding the sessions: ``ipwb_session_db``, else the one ``db_name``."""
    name = config.get("ipwb_session_db") or os.environ.get("IPWB_SESSION_DB") or config.get("db_name")
    name = (name or "").strip()
    if not name or "," in name:
        raise ConfigurationError(
            "ipwb_session_store = db needs one database for the sessions: set db_name "
            "(or ipwb_session_db) to the Odoo database every server uses"
        )
    return name


def install():
    """Replace Odoo's file store by the database store when configured."""
    if configured_store() != "db":
        return None
    if MODULE not in odoo.conf.server_wide_modules:
        # imported as a database module only: switching now would split sessions between
        # the stores of requests already served
        _logger.warning(
            "%s = db is ignored: add %s to server_wide_modules so every server loads it at start",
            session_db.SETTING,
            MODULE,
        )
        return None
    store = DbSessionStore(session_database())
    # Application.session_store is a lazy property: an instance attribute takes precedence
    http.root.session_store = store
    _logger.info("HTTP sessions stored in the database %s", store.database)
    return store
