# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64
import binascii

from odoo import fields, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.guardian import validate_text
from ipwb.guardian.outcomes import TestOutcome


class IpwbGuardianValidateWizard(models.TransientModel):
    """Run the 8-step validation cycle on a spec (pasted or uploaded) and show the report."""

    _name = "ipwb.guardian.validate.wizard"
    _description = "Guardian Spec Validation"

    kind = fields.Selection(
        [("pipeline", "Pipeline"), ("table", "Table"), ("domain", "Domain")],
        required=True,
        default="pipeline",
    )
    spec_text = fields.Text(string="Spec (YAML)")
    spec_file = fields.Binary(string="Spec File")
    spec_filename = fields.Char()
    with_warehouse = fields.Boolean(
        string="Measure Performance",
        help="Run the perf step (EXPLAIN ANALYZE, read-only) on the default warehouse.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("passed", "Passed"), ("failed", "Failed")], default="draft"
    )
    report = fields.Text(readonly=True)

    def _text(self):
        self.ensure_one()
        if self.spec_file:
            try:
                return base64.b64decode(self.spec_file).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise UserError(self.env._("The spec file is not UTF-8 text.")) from None
        if not (self.spec_text or "").strip():
            raise UserError(self.env._("Paste a spec or upload a file first."))
        return self.spec_text

    def action_validate(self):
        self.ensure_one()
        text = self._text()
        source = self.spec_filename or f"{self.kind}.yaml"
        checks = self.env["ipwb.dq.check"].search([("blocking", "=", True)])
        counts = dict(self.env["ipwb.dq.check"]._read_group([], ["table_ref"], ["__count"]))
        # the latest result of each blocking check: step 5 needs the tests to pass
        outcomes = [
            TestOutcome(c.table_ref, c.name, c.last_status or "not_run", c.column_name or "", c.check_type)
            for c in checks
        ]
        warehouse = None
        try:
            if self.with_warehouse:
                warehouse = self.env["ipwb.connection"]._get_default()._warehouse_config()
            report = validate_text(
                text, self.kind, source, warehouse=warehouse, extra_tests=counts, outcomes=outcomes
            )
        except IpwbError as exc:
            raise UserError(self.env._("The spec could not be validated: %s", exc)) from None
        self.write({"report": report.text(), "state": "passed" if report.ok else "failed"})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
