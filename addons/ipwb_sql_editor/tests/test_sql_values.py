# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import datetime
import decimal
import uuid

from odoo.tests import BaseCase, tagged

from ..models import sql_values


@tagged("post_install", "-at_install")
class TestSqlValues(BaseCase):
    """A page's rows are encoded once, value by value, exactly as :func:`to_json` would."""

    def test_rows_to_json_matches_to_json_for_every_kind_of_value(self):
        rows = [
            (1, "a", True, None, 1.5, float("nan"), decimal.Decimal("7.00")),
            (datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4), b"\x00\xff", uuid.UUID(int=1)),
            ({"k": decimal.Decimal("1.10")}, [1, decimal.Decimal("2.0")], float("inf"), -0.0, 2**70),
        ]
        expected = [[sql_values.to_json(value) for value in row] for row in rows]
        self.assertEqual(sql_values.rows_to_json(rows), expected)
        self.assertEqual(expected[0][5:], ["nan", "7.00"])
        self.assertEqual(sql_values.rows_to_json([]), [])
