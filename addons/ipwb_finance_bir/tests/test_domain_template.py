# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import os
import re
import tempfile
import uuid

from psycopg2 import sql

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.specs import validate_paths
from ipwb.warehouse.connection import connect

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

    def test_scaffolded_domain_extracts_odoo_into_bronze(self):
        domain = f"tpl_{uuid.uuid4().hex[:8]}"
        # the extraction reads with the pipeline owner's rights: credit_limit is an accounting field
        self.admin.groups_id = [(4, self.env.ref("account.group_account_readonly").id)]
        with tempfile.TemporaryDirectory() as root:
            params = self.env["ir.config_parameter"].sudo()
            params.set_param(SPECS_DIR_PARAM, root)
            wizard = self._wizard(self.admin, domain_name=domain)
            wizard.action_write_files()
            with self.assertRaisesRegex(UserError, "make both directories the same"):
                wizard.action_create_pipeline()
            params.set_param("ipwb_pipeline.specs_dir", root)
            with self.assertRaises(UserError):  # engineers preview, administrators create
                self._wizard(self.engineer, domain_name=domain).action_create_pipeline()
            action = wizard.action_create_pipeline()
            pipeline = self.env["ipwb.pipeline"].browse(action["res_id"])
            self.addCleanup(self._drop, domain)
            first = pipeline.step_ids.sorted("sequence")[0]
            self.assertEqual((first.name, first.kind), ("extract_res_partner", "odoo_extract"))
            self.assertEqual(
                set(self.env["ipwb.dq.check"].search([("domain", "=", domain)]).mapped("check_type")),
                {"unique", "freshness", "not_null"},
            )
            pipeline.action_validate()
            run = self._run(pipeline)
            self.assertEqual(run.state, "succeeded", run.step_run_ids.mapped("error"))
            partners = self.env["res.partner"].with_context(active_test=False).search_count([])
            extract = run.step_run_ids.filtered(lambda s: s.step_name == "extract_res_partner")
            self.assertEqual(extract.rows_affected, partners, extract.log)
            self.assertEqual(self._count(f"bronze.{domain}_res_partner"), partners)
            self.assertEqual(self._count(f"silver.{domain}_res_partner"), partners)
            # a re-run reads the overlap again and adds nothing; a change adds one version
            again = self._run(pipeline)
            self.assertEqual(again.state, "succeeded", again.error)
            extract = again.step_run_ids.filtered(lambda s: s.step_name == "extract_res_partner")
            self.assertEqual(extract.rows_affected, 0, extract.log)
            self.env["res.partner"].search([], limit=1).email = f"{domain}@example.com"
            self.env.flush_all()
            third = self._run(pipeline)
            extract = third.step_run_ids.filtered(lambda s: s.step_name == "extract_res_partner")
            self.assertEqual(extract.rows_affected, 1, extract.log)
            self.assertEqual(self._count(f"bronze.{domain}_res_partner"), partners + 1)

    def test_extraction_of_unknown_model_or_field_fails_clearly(self):
        self._assert_extraction_refused(
            self.admin,
            (
                ("no.such.model", ["name"], "no Odoo model no.such.model"),
                ("res.partner", ["name", "no_such_field"], "no stored field no_such_field"),
            ),
        )

    def test_extraction_reads_with_the_pipeline_owners_rights(self):
        """A Data Engineer's pipeline cannot copy what the engineer could not read in Odoo."""
        self._assert_extraction_refused(
            self.engineer,
            (
                ("account.move", ["name"], "may not read account.move"),
                ("res.partner", ["name", "credit_limit"], "may not read res.partner.credit_limit"),
            ),
        )

    def test_secret_models_and_fields_are_refused_on_save(self):
        """Whatever the owner's rights (here an administrator's), secrets never leave Odoo."""
        code = f"tpl_{uuid.uuid4().hex[:8]}"
        pipeline = self.env["ipwb.pipeline"].create({"name": code, "code": code, "owner_id": self.admin.id})
        Step = self.env["ipwb.pipeline.step"].with_user(self.admin)
        for model, names, expected in (
            ("ir.config_parameter", ["key", "value"], "ir.config_parameter is a technical model"),
            ("ir.mail_server", ["name"], "ir.mail_server is a technical model"),
            ("res.users.apikeys", ["name"], "res.users.apikeys holds secrets"),
            ("iap.account", ["name"], "iap.account holds secrets"),
            ("res.users", ["login", "password"], "res.users.password holds a secret (password)"),
            ("res.partner", ["name", "api_key"], "res.partner.api_key holds a secret (key)"),
            ("res.partner", ["signup_token"], "res.partner.signup_token holds a secret (token)"),
        ):
            config = json.dumps({"model": model, "fields": names, "target": f"bronze.{code}"})
            with (
                self.subTest(model=model, fields=names),
                self.assertRaisesRegex(ValidationError, re.escape(expected)),
                self.env.cr.savepoint(),
            ):
                Step.create(
                    {"pipeline_id": pipeline.id, "name": "leak", "kind": "odoo_extract", "config": config}
                )
        self.assertFalse(pipeline.step_ids)

    def test_secret_extraction_is_refused_at_run_time_too(self):
        """A step saved before the rule (written in SQL here) still never runs."""
        code = f"tpl_{uuid.uuid4().hex[:8]}"
        pipeline = self.env["ipwb.pipeline"].create({"name": code, "code": code, "owner_id": self.admin.id})
        config = json.dumps({"model": "res.partner", "fields": ["name"], "target": f"bronze.{code}"})
        step = self.env["ipwb.pipeline.step"].create(
            {"pipeline_id": pipeline.id, "name": "extract", "kind": "odoo_extract", "config": config}
        )
        pipeline.action_validate()
        leak = json.dumps(
            {"model": "ir.config_parameter", "fields": ["key", "value"], "target": f"bronze.{code}"}
        )
        self.env.cr.execute("UPDATE ipwb_pipeline_step SET config = %s WHERE id = %s", (leak, step.id))
        step.invalidate_recordset()
        run = self._run(pipeline)
        self.assertEqual((run.state, run.step_run_ids.state), ("failed", "failed"))
        self.assertIn("ir.config_parameter is a technical model", run.step_run_ids.error)
        self.assertFalse(self._warehouse(f"SELECT to_regclass('bronze.{code}')")[0][0], "nothing created")

    def test_engineer_adding_an_extraction_to_an_admin_pipeline(self):
        """Issue #19: the engineer's step never reads with the administrator's rights."""
        code = f"tpl_{uuid.uuid4().hex[:8]}"
        self.admin.groups_id = [(4, self.env.ref("account.group_account_readonly").id)]
        pipeline = self.env["ipwb.pipeline"].create({"name": code, "code": code, "owner_id": self.admin.id})
        Step = self.env["ipwb.pipeline.step"].with_user(self.engineer)
        secret = json.dumps(
            {"model": "ir.config_parameter", "fields": ["key", "value"], "target": f"bronze.{code}"}
        )
        with (
            self.assertRaisesRegex(ValidationError, "ir.config_parameter is a technical model"),
            self.env.cr.savepoint(),
        ):
            Step.create(
                {"pipeline_id": pipeline.id, "name": "leak", "kind": "odoo_extract", "config": secret}
            )
        self.assertEqual(pipeline.owner_id, self.admin, "a refused step changes nothing")
        allowed = json.dumps(
            {"model": "res.partner", "fields": ["name", "credit_limit"], "target": f"bronze.{code}"}
        )
        Step.create(
            {"pipeline_id": pipeline.id, "name": "extract", "kind": "odoo_extract", "config": allowed}
        )
        self.assertEqual(pipeline.owner_id, self.engineer, "whoever changes the steps owns the pipeline")
        pipeline.with_user(self.engineer).action_validate()
        run = self._run(pipeline)
        # the administrator may read credit_limit (accounting), the engineer may not: refused
        self.assertEqual(run.step_run_ids.state, "failed")
        self.assertIn("owner ipwb_tpl_de", run.step_run_ids.error)
        self.assertIn("may not read res.partner.credit_limit", run.step_run_ids.error)
        self.assertFalse(self._warehouse(f"SELECT to_regclass('bronze.{code}')")[0][0], "nothing created")

    def test_wizard_refuses_secret_models_and_fields(self):
        config_model = self.env["ir.model"]._get("ir.config_parameter")
        with self.assertRaisesRegex(UserError, "ir.config_parameter is a technical model"):
            self._wizard(self.engineer, model_ids=[(6, 0, config_model.ids)], field_names="").action_preview()
        with self.assertRaisesRegex(
            UserError, "res.partner.signup_type is restricted to base.group_erp_manager"
        ):
            self._wizard(self.engineer, field_names="name, signup_type").action_preview()
        # "every stored field" leaves the secret ones out
        wizard = self._wizard(self.engineer, field_names="")
        wizard.action_preview()
        self.assertIn("email", wizard.preview)
        self.assertNotIn("signup_type", wizard.preview)

    def _assert_extraction_refused(self, owner, cases):
        """Each (model, fields, expected error) fails the run's odoo_extract step; nothing is created."""
        code = f"tpl_{uuid.uuid4().hex[:8]}"
        values = {"name": code, "code": code}
        if owner:
            values["owner_id"] = owner.id
        pipeline = self.env["ipwb.pipeline"].create(values)
        for model, names, expected in cases:
            pipeline.step_ids.unlink()
            config = json.dumps({"model": model, "fields": names, "target": f"bronze.{code}"})
            self.env["ipwb.pipeline.step"].create(
                {"pipeline_id": pipeline.id, "name": "extract", "kind": "odoo_extract", "config": config}
            )
            pipeline.action_validate()
            run = self._run(pipeline)
            step = run.step_run_ids
            self.assertEqual((run.state, step.state), ("failed", "failed"))
            self.assertIn(expected, step.error)
        self.assertFalse(self._warehouse(f"SELECT to_regclass('bronze.{code}')")[0][0], "nothing created")

    def _run(self, pipeline):
        run = pipeline._enqueue("manual")
        self.env["ipwb.pipeline.run"].sudo()._cron_process_runs()
        run.invalidate_recordset()
        return run

    def _warehouse(self, statement):
        conn = connect(self.env["ipwb.pipeline.step.run"]._writer_config())
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                rows = cur.fetchall() if cur.description else None
            conn.commit()
        finally:
            conn.close()
        return rows

    def _count(self, table):
        schema, name = table.split(".")
        return self._warehouse(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name)))[0][0]

    def _drop(self, domain):
        for schema, name in (
            ("gold", f"{domain}_res_partner_monthly"),
            ("silver", f"{domain}_res_partner"),
            ("bronze", f"{domain}_res_partner"),
        ):
            self._warehouse(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, name)))
        self._warehouse(
            sql.SQL("DELETE FROM bronze.odoo_watermark WHERE target = {}").format(
                sql.Literal(f"bronze.{domain}_res_partner")
            )
        )
