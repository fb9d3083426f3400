# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import dataclasses
import datetime
import functools
import logging
import os

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.finance import marts
from ipwb.finance import warehouse as wh
from ipwb.pipeline.sqlstep import script_lineage

from ..services import demo_data, pipeline_steps, reconciliation, sawt_basis

_logger = logging.getLogger(__name__)

PIPELINE_CODE = "finance_bir"
PIPELINE_XMLID = "ipwb_finance_bir.pipeline_finance_bir"
TECHNICAL_USER_XMLID = "ipwb_finance_bir.user_finance_pipeline"
SPEC_PATH = os.path.normpath(
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "specs", "pipelines", f"{PIPELINE_CODE}.yaml")
)


@functools.lru_cache(maxsize=64)
def _script_lineage(text):
    """The lineage of a gold build script: parsed once per text and process (the scripts
    change only with the code, and parsing them is most of what registering costs)."""
    return script_lineage(text)


class IpwbFinanceRun(models.Model):
    """The finance detail of one run of the finance pipeline (an ``ipwb.pipeline.run`` of
    specs/pipelines/finance_bir.yaml): what was loaded, built, reconciled and published.

    Created with the pipeline run; its steps (services/pipeline_steps.py, server actions
    run by the pipeline worker) fill it in as they succeed.
    """

    _name = "ipwb.finance.run"
    _description = "Finance Pipeline Run"
    _order = "id desc"

    name = fields.Char(related="pipeline_run_id.name", store=True)
    pipeline_run_id = fields.Many2one(
        "ipwb.pipeline.run", string="Pipeline Run", required=True, ondelete="cascade", index=True
    )
    trigger = fields.Selection(related="pipeline_run_id.trigger", store=True)
    state = fields.Selection(related="pipeline_run_id.state", store=True)
    started_at = fields.Datetime(related="pipeline_run_id.date_start")
    finished_at = fields.Datetime(related="pipeline_run_id.date_end")
    duration_s = fields.Float(related="pipeline_run_id.duration", string="Duration (s)")
    error = fields.Text(related="pipeline_run_id.error")
    company_ids = fields.Many2many("res.company", string="Companies")
    date_from = fields.Date(string="Reconciled From")
    date_to = fields.Date(string="Reconciled To")
    rows_loaded = fields.Integer(help="New bronze versions written by this run (0 on a no-op re-run).")
    loaded_detail = fields.Text(help="New bronze versions per entity (JSON).")
    table_counts = fields.Text(help="Row counts of the silver and gold tables after the run (JSON).")
    reconcile_result = fields.Selection([("ok", "Gold equals Odoo"), ("skipped", "Skipped")])
    reconciliation = fields.Selection(
        [
            ("pending", "Not reconciled"),
            ("ok", "Gold equals Odoo"),
            ("differences", "Differences: gold not published"),
            ("skipped", "Skipped"),
        ],
        compute="_compute_reconciliation",
    )
    differences = fields.Text(compute="_compute_reconciliation")
    reconciled_periods = fields.Char(
        help="Quarters whose gold changed in this run and were reconciled with Odoo (the others "
        "were reconciled when they were published)."
    )
    catalog_message = fields.Char(string="Catalog", help="What the run registered in the catalog.")
    filing_attachment_ids = fields.One2many(
        "ir.attachment",
        "res_id",
        string="BIR Filings",
        domain=[("res_model", "=", "ipwb.finance.run")],
        help="Files generated from the gold this run published (who and when: each file's creator and date).",
    )

    def _reconcile_step(self):
        return self.pipeline_run_id.step_run_ids.filtered(lambda s: s.step_name == "reconcile")[:1]

    @api.depends("reconcile_result", "pipeline_run_id.step_run_ids.state")
    def _compute_reconciliation(self):
        for run in self:
            step = run._reconcile_step()
            failed = step.state == "failed" and bool(step.log)
            run.reconciliation = "differences" if failed else (run.reconcile_result or "pending")
            run.differences = step.log if failed else False

    # ----------------------------------------------------------------------------- actions

    @api.model
    def _pipeline(self):
        pipeline = self.env.ref(PIPELINE_XMLID, raise_if_not_found=False)
        if not pipeline:
            pipeline = self.env["ipwb.pipeline"].search([("code", "=", PIPELINE_CODE)], limit=1)
        if not pipeline:
            raise UserError(self.env._("The finance pipeline %s is not installed.", PIPELINE_CODE))
        return pipeline

    @api.model
    def _enqueue(self, trigger="manual", companies=None, date_from=None, date_to=None, params=None):
        """Queue a run of the finance pipeline (the worker executes it, never this request);
        ``params``: further run parameters (e.g. ``rebuild_silver``)."""
        pipeline = self._pipeline().sudo()
        if pipeline.state == "draft":
            pipeline.action_validate()
        params = dict(params or {})
        if companies:
            params["companies"] = ",".join(str(i) for i in companies.ids)
        if date_from:
            params["start_date"] = date_from.isoformat()
        if date_to:
            params["end_date"] = (date_to + datetime.timedelta(days=1)).isoformat()
        run = pipeline._enqueue(trigger, params={**pipeline._default_params(), **params})
        return self.search([("pipeline_run_id", "=", run.id)])

    @api.model
    def action_run_pipeline(self):
        """Button/menu: queue a run of the finance pipeline and open it."""
        self.check_access("create")
        run = self._enqueue("manual")
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.pipeline.run",
            "res_id": run.pipeline_run_id.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _run_pipeline(self, companies=None, date_from=None, date_to=None, trigger="manual", params=None):
        """Queue a run and execute it now through the pipeline worker (shell scripts, tests).

        Returns the finance run; its ``state`` is the pipeline run's.
        """
        run = self._enqueue(trigger, companies=companies, date_from=date_from, date_to=date_to, params=params)
        self.env["ipwb.pipeline.run"].sudo()._cron_process_runs()
        run.invalidate_recordset()
        run.pipeline_run_id.invalidate_recordset()
        return run

    @api.model
    def action_generate_demo_data(self):
        """Create the demo Philippine company and its year of books (once)."""
        if not self.env.user.has_group("base.group_system"):
            raise UserError(self.env._("Only administrators can generate demo data."))
        message = demo_data.generate(self.env)
        _logger.info("%s", message)
        return message

    def action_open_filing_wizard(self):
        """Button: generate BIR filings from the gold this run published."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.bir.filing.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_finance_run_id": self.id,
                "default_company_id": self.company_ids[:1].id,
            },
        }

    def action_open_pipeline_run(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.pipeline.run",
            "res_id": self.pipeline_run_id.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------ pipeline steps

    @api.model
    def _default_companies(self):
        return self.env["res.company"].sudo().search([("account_fiscal_country_id.code", "=", "PH")])

    @api.model
    def _companies_from_params(self, params):
        text = str(params.get("companies") or "").strip()
        if not text:
            return self._default_companies()
        try:
            ids = [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise UserError(
                self.env._("Parameter companies must be comma-separated company ids, not %s.", text)
            ) from None
        companies = self.env["res.company"].sudo().browse(ids).exists()
        if len(companies) != len(set(ids)):
            raise UserError(self.env._("Parameter companies names unknown companies: %s.", text))
        return companies

    @api.model
    def _pipeline_step(self, step):
        """Body of the finance server actions: run ``step`` for the pipeline run in the
        context (``active_id``), with that run's parameters. Returns a JSON-able summary."""
        context = self.env.context
        if context.get("active_model") != "ipwb.pipeline.run" or not context.get("active_id"):
            raise UserError(self.env._("The finance step %s runs only inside a pipeline run.", step))
        pipeline_run = self.env["ipwb.pipeline.run"].sudo().browse(context["active_id"])
        params = context.get("ipwb_pipeline_params") or {}
        finance_run = self.sudo().search([("pipeline_run_id", "=", pipeline_run.id)], limit=1)
        if not finance_run:
            finance_run = self.sudo()._create_for(pipeline_run)
        if not finance_run.company_ids:
            finance_run.company_ids = self._companies_from_params(params)
        if step == "extract":
            return pipeline_steps.extract_bronze(finance_run, self._reader_companies(finance_run))
        if step == "build_silver":
            return pipeline_steps.build_silver(finance_run, params)
        if step == "build_gold":
            return pipeline_steps.build_gold(finance_run)
        if step == "reconcile":
            return pipeline_steps.reconcile(finance_run, params, self._reader_companies(finance_run))
        raise UserError(self.env._("Unknown finance step %s.", step))

    @api.model
    def _reader_companies(self, finance_run):
        """The run's companies in the environment of the user the step runs as (the
        pipeline owner), never sudo: Odoo's rights and record rules apply to the reads.
        Every company must be one of that user's companies (an administrator grants them)."""
        companies = finance_run.company_ids.with_env(self.env)
        missing = companies - self.env.user.company_ids if not self.env.su else companies.browse()
        if missing:
            raise UserError(
                self.env._(
                    "The finance pipeline runs as %(user)s, who may not read company %(companies)s: "
                    "an administrator adds it to that user's allowed companies.",
                    user=self.env.user.login,
                    companies=", ".join(missing.sudo().mapped("name")),
                )
            )
        return companies.with_context(active_test=False, allowed_company_ids=companies.ids)

    @api.model
    def _technical_user(self):
        """The finance pipeline's owner (data/ipwb_finance_pipeline_user.xml)."""
        return self.env.ref(TECHNICAL_USER_XMLID)

    @api.model
    def _grant_companies(self, companies):
        """Let the technical user read these (Philippine) companies: an administrator's
        decision, taken at install for existing ones and by the demo-data generator."""
        user = self._technical_user().sudo()
        user.write({"company_ids": [Command.link(company.id) for company in companies]})

    @api.model
    def _create_for(self, pipeline_run):
        return self.create({"pipeline_run_id": pipeline_run.id})

    @api.model
    def _sync_finance_pipeline(self):
        """Install/upgrade: the finance pipeline is imported from its spec, owned by its
        technical user (who may read the Philippine companies) and validated (a pipeline in
        production stays there when the Guardian gate still passes; superuser code: the
        two-person rule of promotions applies to people, not to this install step)."""
        with open(SPEC_PATH, encoding="utf-8") as handle:
            text = handle.read()
        Pipeline = self.env["ipwb.pipeline"].sudo()
        existing = Pipeline.with_context(active_test=False).search([("code", "=", PIPELINE_CODE)])
        was_production = existing.state == "production"
        pipeline = Pipeline.import_spec_text(text, source=SPEC_PATH)
        # its runs use the rights of its technical user, never the superuser's
        pipeline.owner_id = self._technical_user()
        self._grant_companies(self._default_companies())
        pipeline.action_validate()
        if not self.env.ref(PIPELINE_XMLID, raise_if_not_found=False):
            self.env["ir.model.data"].create(
                {
                    "module": "ipwb_finance_bir",
                    "name": PIPELINE_XMLID.split(".", 1)[1],
                    "model": "ipwb.pipeline",
                    "res_id": pipeline.id,
                    "noupdate": True,
                }
            )
        if was_production:
            try:
                with self.env.cr.savepoint():
                    pipeline.action_promote()
            except UserError as exc:
                _logger.warning("finance pipeline left validated: %s", exc)
        # runs of the single-action pipeline of earlier versions have no pipeline run: gone
        self.sudo().search([("pipeline_run_id", "=", False)]).unlink()
        # the single-action cron of earlier versions: the pipeline's own schedule replaces it
        old_cron = self.env.ref("ipwb_finance_bir.ir_cron_finance_pipeline", raise_if_not_found=False)
        if old_cron:
            old_cron.unlink()
        return pipeline

    # ------------------------------------------------------------------------------ engine

    def _reconcile(self, conn, schemas, companies, date_from, date_to):
        """Differences between staged gold and Odoo (l10n_ph tax report, 2307 export, SAWT and
        SLSP from the journal items) for the changed quarters of the period, and
        ``{quarter: differences}`` of the quarters reconciled."""
        published = dataclasses.replace(schemas, staging=False)
        return reconciliation.reconcile_changed(
            conn,
            schemas.staged(),
            published,
            companies,
            (date_from, date_to),
            sawt_quarters=sawt_basis.payment_quarters(companies),
        )

    def _register_catalog(self, conn, schemas):
        """Gold tables in the catalog (layer, domain, owner, SLO, not-null checks) and the
        lineage of the build SQL; never fails the run (the marts are already published)."""
        self.ensure_one()
        connection = self.env["ipwb.connection"].sudo().search([("is_default", "=", True)], limit=1)
        if not connection:
            return self.env._("No default warehouse connection: catalog not updated.")
        try:
            with self.env.cr.savepoint():
                connection._scan_catalog(schemas=[schemas.bronze, schemas.silver, schemas.gold])
                tables = self._register_gold_tables(connection, schemas)
                edges = 0
                for name, text in marts.rendered_sql(conn, schemas):
                    result, _issues = _script_lineage(text)
                    if result is not None:
                        counts = (
                            self.env["ipwb.lineage.edge"]
                            .sudo()
                            ._record_lineage(
                                result, "pipeline_step", f"finance_bir:{schemas.gold}:{name}", connection
                            )
                        )
                        edges += counts["created"] + counts["kept"]
        except (IpwbError, UserError, AccessError) as exc:
            _logger.warning("finance pipeline: catalog not updated: %s", exc)
            return self.env._("Catalog not updated: %s", exc)
        return self.env._(
            "%(tables)s gold tables registered, %(edges)s lineage edges", tables=tables, edges=edges
        )

    def _register_gold_tables(self, connection, schemas):
        Table = self.env["ipwb.table"].sudo()
        Check = self.env["ipwb.dq.check"].sudo()
        owner = self.pipeline_run_id.requested_by_id or self.env.user
        registered = 0
        for name, (description, keys) in wh.GOLD_DOCS.items():
            table = Table.search(
                [
                    ("connection_id", "=", connection.id),
                    ("schema_name", "=", schemas.gold),
                    ("name", "=", name),
                ],
                limit=1,
            )
            if not table:
                continue
            values = {"layer": "gold", "domain": "finance_bir"}
            if not table.description:
                values["description"] = description
            if not table.owner_id:
                values["owner_id"] = owner.id
            if not table.slo_freshness_hours:
                values.update(slo_freshness_hours=26, slo_completeness_pct=100)
            table.write(values)
            ref = f"{schemas.gold}.{name}"
            for column in keys:
                if not Check.search_count([("table_ref", "=", ref), ("column_name", "=", column)]):
                    Check.create(
                        {
                            "name": f"{name}.{column} not null",
                            "connection_id": connection.id,
                            "table_ref": ref,
                            "column_name": column,
                            "check_type": "not_null",
                            "blocking": True,
                            "domain": "finance_bir",
                            "owner_id": owner.id,
                        }
                    )
            registered += 1
        return registered
