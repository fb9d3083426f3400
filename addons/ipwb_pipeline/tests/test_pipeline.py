# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestPipeline(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_pl_user", groups="ipwb_catalog.group_ipwb_user")
        cls.engineer = new_test_user(cls.env, "ipwb_pl_de", groups="ipwb_catalog.group_ipwb_data_engineer")

    def test_engineer_creates_and_owns(self):
        pipeline = (
            self.env["ipwb.pipeline"].with_user(self.engineer).create({"name": "Sales", "code": "sales"})
        )
        self.assertEqual(pipeline.owner_id, self.engineer)
        self.assertEqual(pipeline.state, "draft")
        with self.assertRaises(AccessError):
            self.env["ipwb.pipeline"].with_user(self.user).create({"name": "X", "code": "x_pipeline"})

    def test_bad_technical_names_refused(self):
        for bad in ("Sales", "1sales", "sales-daily", "sales/../../etc", "s"):
            with self.assertRaises(ValidationError, msg=bad):
                self.env["ipwb.pipeline"].create({"name": "Bad", "code": bad})

    def test_technical_name_unique(self):
        self.env["ipwb.pipeline"].create({"name": "A", "code": "dup_code"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["ipwb.pipeline"].create({"name": "B", "code": "dup_code"})
            self.env.flush_all()

    def test_only_validated_pipelines_reach_production(self):
        pipeline = self.env["ipwb.pipeline"].create({"name": "Sales", "code": "sales_prod"})
        with self.assertRaises(UserError):
            pipeline.action_promote()
        self.assertEqual(pipeline.state, "draft")
        pipeline.state = "validated"
        pipeline.action_promote()
        self.assertEqual(pipeline.state, "production")
