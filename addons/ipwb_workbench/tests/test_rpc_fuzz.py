# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The overview's call: bad arguments get a UserError, never a traceback."""

from odoo.addons.ipwb_catalog.tests.rpc_fuzz import (
    Entry,
    arg,
    assert_refused,
    fuzz_entry,
    keywords,
    positional,
)

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

USER = "ipwb_catalog.group_ipwb_user"

ENTRIES = [
    Entry(
        "ipwb.overview",
        "get_overview",
        USER,
        lambda case: keywords(
            days=arg(7, 30, 90),
            domain_name=arg("", "finance_bir"),
            team_id=arg(case.team.id, False),
        ),
    ),
    Entry("ipwb.overview", "get_overview", USER, lambda case: positional(arg(7, 30, 90), arg("", "finance"))),
]


@tagged("post_install", "-at_install")
class TestOverviewRpcFuzz(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_fuzz_overview", groups=USER)
        cls.team = cls.env["res.groups"].create({"name": "IPWB fuzz team"})

    def test_fuzz_keywords(self):
        fuzz_entry(self, ENTRIES[0], self.user, max_examples=40)

    def test_fuzz_positional(self):
        fuzz_entry(self, ENTRIES[1], self.user, max_examples=30)

    def test_junk_is_refused(self):
        for bad in (
            {"days": 0},
            {"days": 2**40},
            {"domain_name": "x" * 1000},
            {"team_id": -1},
            {"days": None, "team_id": [1]},
        ):
            assert_refused(self, ENTRIES[0], self.user, **bad)
