# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.finance.filings import FORMS
from ipwb.finance.filings.identity import Period

from ..services import filings

FINANCE_GROUP = "ipwb_finance_bir.group_ipwb_finance_manager"
QUARTERS = [("1", "Q1 (Jan-Mar)"), ("2", "Q2 (Apr-Jun)"), ("3", "Q3 (Jul-Sep)"), ("4", "Q4 (Oct-Dec)")]


class IpwbBirFilingWizard(models.TransientModel):
    """Generate a BIR filing (data file, form lines or 2307s) for a company and period from
    the gold a finance run published; the files are stored as attachments of that run."""

    _name = "ipwb.bir.filing.wizard"
    _description = "Generate BIR Filing"

    finance_run_id = fields.Many2one(
        "ipwb.finance.run",
        string="Finance Run",
        required=True,
        default=lambda self: self._latest_published_run(),
        domain=[("reconcile_result", "=", "ok")],
        help="The run whose reconciled, published gold the files are generated from.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=[("account_fiscal_country_id.code", "=", "PH")],
    )
    form = fields.Selection(
        [
            *FORMS.items(),
            ("2307", "BIR 2307 certificates (all payees, one file)"),
            ("2307_each", "BIR 2307 certificates (one file per payee)"),
        ],
        required=True,
        default="qap",
    )
    year = fields.Integer(required=True, default=lambda self: fields.Date.context_today(self).year)
    quarter = fields.Selection(QUARTERS, required=True, default="1")
    month_of_quarter = fields.Selection(
        [("1", "First month"), ("2", "Second month")],
        string="Month",
        default="1",
        help="0619-E is filed for the first and second month of a quarter.",
    )
    sawt_form = fields.Selection(
        [("2550Q", "2550Q (VAT)"), ("1702Q", "1702Q (income tax, corporations)"), ("1701Q", "1701Q")],
        string="SAWT for",
        default="2550Q",
    )
    attachment_ids = fields.Many2many("ir.attachment", string="Files", readonly=True)
    summary = fields.Text(readonly=True)

    @api.model
    def _latest_published_run(self):
        return self.env["ipwb.finance.run"].search([("reconcile_result", "=", "ok")], limit=1)

    @api.onchange("finance_run_id")
    def _onchange_finance_run_id(self):
        if self.finance_run_id.company_ids and self.company_id not in self.finance_run_id.company_ids:
            self.company_id = self.finance_run_id.company_ids[:1]

    def _check_generate(self):
        if not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(self.env._("Only Finance Managers generate BIR filings."))
        run = self.finance_run_id
        if run.reconcile_result != "ok":
            raise UserError(self.env._("Finance run %s did not publish reconciled gold.", run.name))
        if run != self._latest_published_run():
            raise UserError(
                self.env._(
                    "Finance run %s is no longer the published gold (a later run replaced it): "
                    "choose the latest published run.",
                    run.name,
                )
            )
        if self.company_id not in run.company_ids:
            raise UserError(
                self.env._(
                    "Finance run %(run)s did not cover %(company)s.",
                    run=run.name,
                    company=self.company_id.name,
                )
            )

    def _period(self):
        try:
            month = None
            if self.form == "0619e":
                month = Period(self.year, int(self.quarter)).months[int(self.month_of_quarter or "1") - 1]
            period = Period(self.year, int(self.quarter), month)
        except IpwbError as exc:
            raise UserError(self.env._("Invalid period: %s", exc)) from None
        run = self.finance_run_id
        # whole months: a run without period parameters reconciles from the first to the last entry
        if (
            run.date_from
            and run.date_to
            and (
                period.first_day < run.date_from.replace(day=1)
                or period.last_day.replace(day=1) > run.date_to
            )
        ):
            raise UserError(
                self.env._(
                    "%(period)s is outside the period finance run %(run)s reconciled (%(from)s to %(to)s).",
                    **{"period": period.label, "run": run.name, "from": run.date_from, "to": run.date_to},
                )
            )
        return period

    def action_generate(self):
        self.ensure_one()
        self._check_generate()
        attachments, filing = filings.generate(
            self.finance_run_id,
            self.company_id,
            self.form,
            self._period(),
            sawt_form=self.sawt_form or "2550Q",
        )
        summary = self.env._("%s file(s) stored on the finance run.", len(attachments))
        if filing is not None:
            totals = ", ".join(f"{key} {value:,.2f}" for key, value in filing.totals.items())
            summary = self.env._(
                "%(count)s record(s); totals: %(totals)s. %(stored)s",
                count=filing.details,
                totals=totals or "-",
                stored=summary,
            )
        self.write({"attachment_ids": [Command.set(attachments.ids)], "summary": summary})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
