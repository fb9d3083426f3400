# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Odoo's session-store interface over PostgreSQL, in this test database.

The store writes through its own committed cursor (as in production), so every test deletes
the sessions it made."""

from unittest.mock import patch

from odoo import http, sql_db
from odoo.service import security
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

from ipwb.errors import ConfigurationError

from .. import session_store


@tagged("post_install", "-at_install")
class TestDbSessionStore(TransactionCase):
    def setUp(self):
        super().setUp()
        self.store = session_store.DbSessionStore(self.env.cr.dbname)
        self.made = []
        self.addCleanup(self._forget)

    def _forget(self):
        if not self.made:
            return
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("DELETE FROM ipwb_http_session WHERE sid = ANY(%s)", (self.made,))

    def _new(self, **data):
        session = self.store.new()
        session.update(data)
        self.store.save(session)
        self.made.append(session.sid)
        return session

    def _age(self, sid, days):
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                "UPDATE ipwb_http_session SET updated_at = now() - make_interval(days => %s) WHERE sid = %s",
                (days, sid),
            )

    def test_round_trip_keeps_odoo_session_data(self):
        session = self._new(uid=None, context={"lang": "en_US"}, debug="")
        loaded = self.store.get(session.sid)
        self.assertIsInstance(loaded, http.Session)
        self.assertEqual(loaded.sid, session.sid)
        self.assertFalse(loaded.is_new)
        self.assertEqual(dict(loaded), dict(session))

    def test_bad_and_unknown_keys_give_a_fresh_session(self):
        for sid in ("", "../../sessions/x", "a" * 83, self.store.generate_key()):
            fresh = self.store.get(sid)
            self.assertTrue(fresh.is_new)
            self.assertNotEqual(fresh.sid, sid)
            self.assertEqual(dict(fresh), {})

    def test_expired_session_is_refused_and_collected(self):
        session = self._new(uid=2)
        self._age(session.sid, 8)  # past the default 7-day inactivity limit
        self.assertTrue(self.store.get(session.sid).is_new)
        self.assertGreaterEqual(self.store.vacuum(max_lifetime=http.SESSION_LIFETIME), 1)
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("SELECT count(*) FROM ipwb_http_session WHERE sid = %s", (session.sid,))
            self.assertEqual(cr.fetchone()[0], 0)

    def test_rotation_issues_a_new_key_and_token(self):
        admin = self.env.ref("base.user_admin")
        session = self._new(uid=admin.id, context={}, db=self.env.cr.dbname, login=admin.login)
        old_sid = session.sid
        self.store.rotate(session, self.env)
        self.made.append(session.sid)
        self.assertNotEqual(session.sid, old_sid)
        self.assertFalse(session.should_rotate)
        self.assertEqual(session.session_token, security.compute_session_token(session, self.env))
        self.assertTrue(self.store.get(old_sid).is_new, "the old key is gone")
        self.assertEqual(self.store.get(session.sid)["uid"], admin.id)

    def test_device_revocation_needs_a_full_identifier(self):
        session = self._new(uid=2)
        self.assertEqual(self.store.delete_from_identifiers([session.sid[:2], session.sid[:41]]), 0)
        self.assertFalse(self.store.get(session.sid).is_new)
        self.assertEqual(self.store.delete_from_identifiers([session.sid[:42]]), 1)
        self.assertTrue(self.store.get(session.sid).is_new)

    def test_install_needs_a_server_wide_module_and_a_known_store(self):
        current = http.root.session_store
        with (
            patch.dict(config.options, {"ipwb_session_store": "db"}),
            self.assertLogs(session_store.__name__, "WARNING"),
        ):
            self.assertIsNone(session_store.install())  # not in server_wide_modules
        self.assertIs(http.root.session_store, current)
        with (
            patch.dict(config.options, {"ipwb_session_store": "memcache"}),
            self.assertRaises(ConfigurationError),
        ):
            session_store.install()
        with (
            patch.dict(config.options, {"ipwb_session_store": "db", "db_name": "a,b"}),
            patch("odoo.conf.server_wide_modules", ["base", "web", "ipwb_session_db"]),
            self.assertRaises(ConfigurationError),
        ):
            session_store.install()
        self.assertIs(http.root.session_store, current)
