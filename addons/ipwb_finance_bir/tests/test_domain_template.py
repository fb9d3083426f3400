# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import os
import tempfile

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.specs import validate_paths

from ..wizards.ipwb_domain_template import SPECS_DIR_PARAM


@tagged("post_install", "-at_install")
class TestDomainTemplate(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(cls.env, "ipwb_tpl_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.admin = new_test_user(cls.env, "ipwb_tpl_admin", groups="ipwb_catalog.group_ipwb_admin")
        cls.partner_model = cls.env["ir.model"]._get("res.partner")
        cls.country_model = cls.env["ir.model"]._get("res.country")

    def _wizard(self, user, **values):
        defaults = {
            "domain_name": "partners",
            "owner": "crm-team",
            "model_ids": [(6, 0, self.partner_model.ids)],
            "field_names": "name, email, credit_limit, write_date",
        }
        return self.env["ipwb.domain.template"].with_user(user).create({**defaults, **values})

    def test_preview_lists_specs_sql_and_checks(self):
        wizard = self._wizard(self.engineer)
        wizard.action_preview()
        names = wizard.file_names.splitlines()
        self.assertIn("pipelines/partners.yaml", names)
        self.assertIn("sql/partners/silver_res_partner.sql", names)
        self.assertIn("checks/partners.yaml", names)
        files = json.loads(wizard.files_json)
        silver = files["sql/partners/silver_res_partner.sql"]
        self.assertIn("(b.payload ->> 'email')::text AS email", silver)
        self.assertNotIn("AS phone", silver)
        # without field names every stored field is kept
        everything = self._wizard(
            self.engineer, field_names=False, model_ids=[(6, 0, self.country_model.ids)]
        )
        everything.action_preview()
        self.assertIn("AS code", json.loads(everything.files_json)["sql/partners/silver_res_country.sql"])

    def test_bad_input_is_refused(self):
        for values in ({"domain_name": "Partner Domain!"}, {"field_names": "name, no_such_field"}):
            wizard = self._wizard(self.engineer, **values)
            with self.assertRaises(UserError):
                wizard.action_preview()
            self.assertFalse(wizard.file_names)

    def test_write_files_into_configured_directory(self):
        with tempfile.TemporaryDirectory() as root:
            wizard = self._wizard(self.admin)
            with self.assertRaises(UserError):  # no directory configured yet
                wizard.action_write_files()
            self.env["ir.config_parameter"].sudo().set_param(SPECS_DIR_PARAM, root)
            wizard.action_write_files()
            self.assertTrue(os.path.isfile(os.path.join(root, "domains", "partners.yaml")))
            report = validate_paths([root])
            self.assertTrue(report.ok, report.problems)
            with self.assertRaises(UserError):  # never overwrites
                wizard.action_write_files()
            with self.assertRaises(UserError):  # engineers preview, administrators write
                self._wizard(self.engineer).action_write_files()
