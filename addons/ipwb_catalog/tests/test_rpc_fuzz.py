# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Catalog search and lineage graph: bad RPC arguments get a UserError, never a traceback."""

import itertools

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .. import rpc_args
from .rpc_fuzz import Entry, arg, assert_refused, fuzz_entry, positional

USER = "ipwb_catalog.group_ipwb_user"
NAMES = ("fuzz.src", "fuzz.mid", "fuzz.dst")

#: every catalog method the web client calls (catalog_search.js, lineage_graph.js)
ENTRIES = [
    Entry(
        "ipwb.table",
        "search_catalog",
        USER,
        lambda case: positional(
            arg("", "fuzz", "mid"),
            arg({}, {"layer": ["gold"]}, {"owner_id": [case.user.id]}, {"tag_ids": [1, 2]}, {"kind": "view"}),
            arg(1, 30, 200, 500),
        ),
    ),
    Entry(
        "ipwb.lineage.edge",
        "lineage_graph_data",
        USER,
        lambda case: positional(arg(list(NAMES), ["fuzz.mid"]), arg(1, 2, 3, 50), arg([], list(NAMES))),
    ),
    Entry(
        "ipwb.lineage.edge",
        "lineage_graph_expand",
        USER,
        lambda case: positional(
            arg(*NAMES), arg("upstream", "downstream"), arg(0, 1, 25, 2**31 - 1), arg([], list(NAMES))
        ),
    ),
    Entry("ipwb.lineage.edge", "lineage_graph_columns", USER, lambda case: positional(arg(*NAMES))),
    Entry(
        "ipwb.lineage.edge",
        "lineage_graph_impact",
        USER,
        lambda case: positional(arg(*NAMES), arg("id", "amount")),
    ),
]


@tagged("post_install", "-at_install")
class TestCatalogRpcFuzz(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_fuzz_catalog", groups=USER)
        Edge = cls.env["ipwb.lineage.edge"].sudo()
        for (source, target), column in zip(itertools.pairwise(NAMES), ("id", "amount"), strict=True):
            Edge.create({"source_table": source, "target_table": target})
            Edge.create(
                {
                    "edge_type": "column",
                    "source_table": source,
                    "source_column": column,
                    "target_table": target,
                    "target_column": column,
                    "kind": "direct",
                }
            )

    def entry(self, method):
        return next(e for e in ENTRIES if e.method == method)

    def test_fuzz_search_catalog(self):
        fuzz_entry(self, self.entry("search_catalog"), self.user)

    def test_fuzz_lineage_graph_data(self):
        fuzz_entry(self, self.entry("lineage_graph_data"), self.user)

    def test_fuzz_lineage_graph_expand(self):
        fuzz_entry(self, self.entry("lineage_graph_expand"), self.user)

    def test_fuzz_lineage_graph_columns(self):
        fuzz_entry(self, self.entry("lineage_graph_columns"), self.user)

    def test_fuzz_lineage_graph_impact(self):
        fuzz_entry(self, self.entry("lineage_graph_impact"), self.user)

    def test_every_entry_is_fuzzed(self):
        fuzzed = {name[len("test_fuzz_") :] for name in dir(self) if name.startswith("test_fuzz_")}
        self.assertEqual(fuzzed, {e.method for e in ENTRIES})

    # --- regressions (each raised something else than a UserError before) -------------------
    def test_huge_facet_id_is_refused(self):
        exc = assert_refused(self, self.entry("search_catalog"), self.user, "x", {"owner_id": [10**12]}, 20)
        self.assertIn("id of a record", str(exc))

    def test_infinite_limit_and_list_facets_are_refused(self):
        entry = self.entry("search_catalog")
        self.assertIn("result limit", str(assert_refused(self, entry, self.user, "x", {}, float("inf"))))
        assert_refused(self, entry, self.user, "x", ["layer"], 20)
        assert_refused(self, entry, self.user, "x", {"owner_id": [float("inf")]}, 20)

    def test_unhashable_direction_and_huge_offset_are_refused(self):
        entry = self.entry("lineage_graph_expand")
        assert_refused(self, entry, self.user, "fuzz.mid", ["upstream"], 0, [])
        exc = assert_refused(self, entry, self.user, "fuzz.mid", "upstream", 10**30, [])
        self.assertIn("2,147,483,647", str(exc))

    def test_nul_names_and_bad_depth_are_refused(self):
        assert_refused(self, self.entry("lineage_graph_columns"), self.user, "fuzz\x00mid")
        entry = self.entry("lineage_graph_data")
        assert_refused(self, entry, self.user, ["fuzz.mid"], float("nan"), [])
        assert_refused(self, entry, self.user, ["fuzz.mid"], "2", [])

    def test_valid_arguments_still_answer(self):
        Edge = self.env["ipwb.lineage.edge"].with_user(self.user)
        data = Edge.lineage_graph_data(["fuzz.mid"], 1, [])
        self.assertEqual({n["id"] for n in data["nodes"]}, set(NAMES))
        impact = Edge.lineage_graph_impact("fuzz.src", "id")
        self.assertIn("fuzz.mid", impact["tables"])
        result = self.env["ipwb.table"].with_user(self.user).search_catalog("", {}, 10**6)
        self.assertIn("results", result)


class TestRpcArgs(TransactionCase):
    """The shared checks themselves (pure: no fixture)."""

    def test_whole_number(self):
        env = self.env
        self.assertEqual(rpc_args.whole_number(env, 5, "N", 0, 10), 5)
        self.assertEqual(rpc_args.whole_number(env, None, "N", 0, 10, default=3), 3)
        for bad in (True, 1.0, float("nan"), "5", 11, -1, [5], None):
            with self.assertRaisesRegex(UserError, "N must be a whole number between 0 and 10"):
                rpc_args.whole_number(env, bad, "N", 0, 10)

    def test_text_and_lists(self):
        env = self.env
        self.assertEqual(rpc_args.text(env, None, "T", 5), "")
        self.assertEqual(rpc_args.text_list(env, ("a", "b"), "L", 2, 5), ["a", "b"])
        for bad, message in ((b"x", "must be text"), ("a\x00", "NUL"), ("x" * 6, "limited to 5")):
            with self.assertRaisesRegex(UserError, message):
                rpc_args.text(env, bad, "T", 5)
        for bad in ("ab", ["a", ""], ["a", 1], ["a"] * 3, {"a": 1}):
            with self.assertRaises(UserError):
                rpc_args.text_list(env, bad, "L", 2, 5)

    def test_ids_params_and_records(self):
        env = self.env
        self.assertFalse(rpc_args.record_id(env, 0, "R"))
        self.assertEqual(rpc_args.id_list(env, 7, "R"), [7])
        for bad in (2**31, -1, "7", 7.0, True):
            with self.assertRaises(UserError):
                rpc_args.record_id(env, bad, "R", required=True)
        self.assertEqual(rpc_args.sql_params(env, {"n": 1, "s": "x", "f": 1.5}), {"n": 1, "s": "x", "f": 1.5})
        for bad in ([1], {"n": [1]}, {"n": {}}, {"n": 2**63}, {"": 1}, {"n": "\x00"}, {1: 1}):
            with self.assertRaises(UserError):
                rpc_args.sql_params(env, bad)
        users = env["res.users"]
        me = users.browse(env.uid)
        self.assertEqual(rpc_args.check_records(me, "U", single=True), me)
        for bad in (users.browse(2**31 - 1), users.browse([env.uid, "x"]), users, users.browse(10**12)):
            with self.assertRaises(UserError):
                rpc_args.check_records(bad, "U", single=True)
