# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The catalog search's answer cache (issue #20): a new catalog version on every committed change
that the search can show, never on a change it cannot; answers never shared between users who
see different tables; a transaction that changed the catalog never reads nor fills the cache."""

import json
from unittest.mock import patch

from odoo.sql_db import db_connect
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .. import catalog_cache
from ..catalog_search import usage_boost
from .common import WarehouseSchema


@tagged("post_install", "-at_install")
class TestCatalogVersion(TransactionCase):
    """Versions as other transactions see them: two real connections, committed changes."""

    def setUp(self):
        super().setUp()
        db = db_connect(self.env.cr.dbname)
        self.reader = db.cursor()
        self.writer = db.cursor()
        self.addCleanup(self.reader.close)
        self.addCleanup(self.writer.close)
        self.addCleanup(self._drop_tag)

    def _drop_tag(self):
        self.writer.rollback()
        self.writer.execute("DELETE FROM ipwb_tag WHERE name LIKE 'ipwb-cache-test-%'")
        self.writer.commit()

    def version(self):
        self.reader.rollback()  # a new snapshot
        return catalog_cache.catalog_version(self.reader)

    def test_committed_changes_make_a_new_version_and_no_op_writes_do_not(self):
        start = self.version()
        self.assertIsInstance(start, int)
        self.writer.execute(
            "INSERT INTO ipwb_tag (name, active) VALUES ('ipwb-cache-test-a', TRUE) RETURNING id"
        )
        tag_id = self.writer.fetchone()[0]
        self.assertIsNone(
            catalog_cache.catalog_version(self.writer), "the writing transaction must not use the cache"
        )
        self.assertEqual(self.version(), start, "an uncommitted change is no version for others")
        self.writer.commit()
        self.assertEqual(self.version(), start + 1)
        # the same values written again (an ORM write of unchanged fields): nothing shown changed
        self.writer.execute(
            "UPDATE ipwb_tag SET name = name, write_date = now() at time zone 'UTC' WHERE id = %s", [tag_id]
        )
        self.writer.execute("UPDATE ipwb_tag SET name = 'nothing' WHERE FALSE")
        self.writer.commit()
        self.assertEqual(self.version(), start + 1)
        self.writer.execute("UPDATE ipwb_tag SET name = 'ipwb-cache-test-b' WHERE id = %s", [tag_id])
        self.writer.execute("UPDATE ipwb_tag SET color = 3 WHERE id = %s", [tag_id])  # same transaction
        self.writer.commit()
        self.assertEqual(self.version(), start + 2, "one version per transaction")
        self.writer.execute("UPDATE ipwb_tag SET name = 'ipwb-cache-test-c' WHERE id = %s", [tag_id])
        self.writer.rollback()
        self.assertEqual(self.version(), start + 2, "a rolled back change is no version")
        self.writer.execute("DELETE FROM ipwb_tag WHERE id = %s", [tag_id])
        self.writer.commit()
        self.assertEqual(self.version(), start + 3)
        catalog_cache.compact(self.writer)
        self.writer.commit()
        self.assertEqual(self.version(), start + 3, "compacting keeps the version")
        self.writer.execute("SELECT count(*) FROM ipwb_catalog_change")
        self.assertLessEqual(self.writer.fetchone()[0], catalog_cache.KEEP_ROWS + 1)

    def test_a_usage_count_is_compared_as_its_boost_step(self):
        """The usage refresh moves counts after every query: only a new boost step
        (``min(19, ceil(log2(1 + n)))``, the ranking's) is a change the search shows."""

        def same(old, new):
            self.reader.execute(
                "SELECT ipwb_catalog_row(%s::jsonb) = ipwb_catalog_row(%s::jsonb)",
                [json.dumps({"id": 1, "usage_count": old}), json.dumps({"id": 1, "usage_count": new})],
            )
            return self.reader.fetchone()[0]

        # the SQL step is the ranking's: compared with usage_boost for every count up to 40
        self.assertEqual(
            [same(n, n + 1) for n in range(40)],
            [usage_boost(n) == usage_boost(n + 1) for n in range(40)],
        )
        self.assertEqual(
            [same(4, 5), same(7, 8), same(0, 1), same(10**6, 10**7), same(None, 0)],
            [True, False, False, True, True],
        )
        self.reader.execute(
            "SELECT ipwb_catalog_row(%s::jsonb) = ipwb_catalog_row(%s::jsonb)",
            ['{"id": 1, "name": "a"}', '{"id": 1, "name": "b"}'],
        )
        self.assertFalse(self.reader.fetchone()[0])

    def test_every_searched_table_has_its_triggers(self):
        self.reader.execute(
            """SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE t.tgname LIKE '%%catalog_change%%' GROUP BY 1"""
        )
        self.assertEqual(dict(self.reader.fetchall()), dict.fromkeys(catalog_cache.WATCHED, 4))


@tagged("post_install", "-at_install")
class TestCatalogCache(TransactionCase):
    """The answers: keyed by version, user, visible tables, query; fresh usage counts on a hit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.wh = WarehouseSchema("ipwb_cache")
        cls.addClassCleanup(cls.wh.drop)
        cls.wh.execute("CREATE TABLE {schema}.ledger (id int, vat_amount numeric)")
        cls.connection._scan_catalog(schemas=[cls.wh.name])
        cls.ledger = cls.env["ipwb.table"].search(
            [("schema_name", "=", cls.wh.name), ("name", "=", "ledger")]
        )

    def setUp(self):
        super().setUp()
        catalog_cache.clear()
        self.addCleanup(catalog_cache.clear)
        # this test's transaction changed the catalog (the scan above): it would bypass the cache;
        # the version is pinned here, and moved by hand where a commit would move it
        self.pinned = [1]
        patcher = patch.object(catalog_cache, "catalog_version", lambda cr: self.pinned[0])
        patcher.start()
        self.addCleanup(patcher.stop)

    def hit(self, query, env=None):
        result = (env or self.env)["ipwb.table"].search_catalog(query, {}, 20)
        return [h for h in result["results"] if h["schema"] == self.wh.name]

    def test_a_repeated_search_is_answered_from_the_cache_until_the_version_moves(self):
        before = catalog_cache.stats()
        first = self.hit("ledger")
        self.assertEqual([h["name"] for h in first], ["ledger"])
        self.assertEqual(self.hit("ledger"), first)
        after = catalog_cache.stats()
        self.assertEqual((after["misses"] - before["misses"], after["hits"] - before["hits"]), (1, 1))
        # an answer handed out is a copy: changing it changes no later answer
        self.hit("ledger")[0]["name"] = "tampered"
        self.assertEqual(self.hit("ledger")[0]["name"], "ledger")
        self.ledger.write({"description": "General ledger"})
        self.assertEqual(self.hit("ledger")[0]["description"], "", "same version: the cached answer")
        self.pinned[0] = 2
        self.assertEqual(self.hit("ledger")[0]["description"], "General ledger")

    def test_the_usage_count_shown_is_read_on_every_hit(self):
        self.assertEqual(self.hit("ledger")[0]["usage"], 0)
        self.env.cr.execute("UPDATE ipwb_table SET usage_count = 1 WHERE id = %s", [self.ledger.id])
        self.ledger.invalidate_recordset(["usage_count"])
        self.assertEqual(self.hit("ledger")[0]["usage"], 1)

    def test_users_who_see_different_tables_never_share_an_answer(self):
        team = self.env["res.groups"].create({"name": "Ledger team"})
        self.ledger.write({"restricted": True, "team_id": team.id})
        member = new_test_user(self.env, "ipwb_cache_member", groups="ipwb_catalog.group_ipwb_user")
        outsider = new_test_user(self.env, "ipwb_cache_outsider", groups="ipwb_catalog.group_ipwb_user")
        team.users = [(4, member.id)]
        self.assertEqual(len(self.hit("ledger", self.env(user=member))), 1)
        self.assertEqual(self.hit("ledger", self.env(user=outsider)), [])
        # joining the team changes the user's visible tables, hence the key (same version)
        team.users = [(4, outsider.id)]
        self.env.invalidate_all()
        self.assertEqual(len(self.hit("ledger", self.env(user=outsider))), 1)


@tagged("post_install", "-at_install")
class TestCatalogCacheBypass(TransactionCase):
    def test_a_transaction_that_changed_the_catalog_sees_its_own_change(self):
        tag = self.env["ipwb.tag"].create({"name": "ipwb-cache-own-change"})
        self.env.flush_all()
        self.assertIsNone(catalog_cache.catalog_version(self.env.cr))
        before = catalog_cache.stats()["bypassed"]
        self.env["ipwb.table"].search_catalog("anything", {}, 5)
        self.assertEqual(catalog_cache.stats()["bypassed"], before + 1)
        tag.unlink()
