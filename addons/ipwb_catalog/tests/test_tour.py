# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCatalogTour(HttpCase):
    def test_connection_tour(self):
        self.start_tour("/odoo", "ipwb_catalog_connection_tour", login="admin")
