# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestDqCheck(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_dq_user", groups="ipwb_catalog.group_ipwb_user")
        cls.engineer = new_test_user(cls.env, "ipwb_dq_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.architect = new_test_user(cls.env, "ipwb_dq_arch", groups="ipwb_catalog.group_ipwb_architect")

    def _values(self, **overrides):
        values = {
            "name": "TIN set",
            "table_ref": "silver.partners",
            "column_name": "tin",
            "check_type": "not_null",
        }
        values.update(overrides)
        return values

    def test_defaults_to_the_default_warehouse(self):
        check = self.env["ipwb.dq.check"].with_user(self.engineer).create(self._values())
        self.assertEqual(check.connection_id, self.env.ref("ipwb_catalog.connection_embedded_warehouse"))
        self.assertTrue(check.blocking)

    def test_bad_table_reference_refused(self):
        for bad in ("partners", "silver.partners; DROP TABLE x", "a.b.c", ""):
            with self.assertRaises(ValidationError, msg=bad):
                self.env["ipwb.dq.check"].create(self._values(table_ref=bad))

    def test_column_check_needs_a_column(self):
        with self.assertRaises(ValidationError):
            self.env["ipwb.dq.check"].create(self._values(column_name=False))
        with self.assertRaises(ValidationError):  # freshness needs its SLO
            self.env["ipwb.dq.check"].create(self._values(column_name="loaded_at", check_type="freshness"))
        freshness = self.env["ipwb.dq.check"].create(
            self._values(column_name="loaded_at", check_type="freshness", max_age_hours=24)
        )
        self.assertEqual(freshness._to_check_spec().params["max_age_hours"], 24)
        volume = self.env["ipwb.dq.check"].create(self._values(column_name=False, check_type="volume"))
        self.assertEqual(volume._to_check_spec().dimension, "completeness")

    def test_engine_rules_refuse_bad_declarations(self):
        bad = [
            {"check_type": "accepted_values", "accepted_values": " , "},
            {"check_type": "relationships", "ref_table": "nowhere", "ref_column": "id"},
            {"check_type": "custom_sql", "column_name": False, "custom_sql": "DELETE FROM silver.partners"},
            {
                "check_type": "custom_sql",
                "column_name": False,
                "custom_sql": "SELECT 1; DROP TABLE silver.partners",
            },
            {"column_name": "tin; drop"},
        ]
        for values in bad:
            with self.assertRaises(ValidationError, msg=values):
                self.env["ipwb.dq.check"].create(self._values(**values))
        self.assertFalse(self.env["ipwb.dq.check"].search([("table_ref", "=", "silver.partners")]))

    def test_access_by_role(self):
        check = self.env["ipwb.dq.check"].with_user(self.engineer).create(self._values())
        with self.assertRaises(AccessError):
            self.env["ipwb.dq.check"].with_user(self.user).create(self._values())
        with self.assertRaises(AccessError):
            check.with_user(self.engineer).unlink()
        check.with_user(self.architect).unlink()
        self.assertFalse(check.exists())
