# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import HttpCase, tagged

from .common import OverviewSeed


@tagged("post_install", "-at_install")
class TestOverviewTour(OverviewSeed, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._seed()

    def test_overview_tour(self):
        """The Workbench app opens on the overview; a tile opens its records."""
        self.start_tour(
            "/odoo/action-ipwb_workbench.ipwb_overview_action", "ipwb_workbench_overview_tour", login="admin"
        )
