# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import HttpCase, tagged

from .common import WarehouseSchema


@tagged("post_install", "-at_install")
class TestCatalogTour(HttpCase):
    def test_connection_tour(self):
        self.start_tour("/odoo", "ipwb_catalog_connection_tour", login="admin")

    def test_catalog_search_tour(self):
        wh = WarehouseSchema("ipwb_tour")
        self.addCleanup(wh.drop)
        wh.execute(
            "CREATE TABLE {schema}.tour_orders (id int PRIMARY KEY, tour_orders_total numeric, day date);"
            "CREATE VIEW {schema}.tour_orders_by_day AS"
            " SELECT day, sum(tour_orders_total) AS total FROM {schema}.tour_orders GROUP BY day;"
            "CREATE VIEW {schema}.tour_orders_report AS SELECT total FROM {schema}.tour_orders_by_day"
        )
        self.env.ref("ipwb_catalog.connection_embedded_warehouse")._scan_catalog(schemas=[wh.name])
        self.start_tour("/odoo", "ipwb_catalog_search_tour", login="admin")
