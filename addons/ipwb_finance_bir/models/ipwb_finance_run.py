# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import logging

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.finance import bi, marts
from ipwb.finance import warehouse as wh
from ipwb.finance.reconcile import compare, totals
from ipwb.pipeline.sqlstep import script_lineage
from ipwb.warehouse.connection import connect

from ..services import demo_data, extract, odoo_figures

_logger = logging.getLogger(__name__)


class IpwbFinanceRun(models.Model):
    """One run of the finance pipeline: Odoo → bronze → silver → gold, reconciled."""

    _name = "ipwb.finance.run"
    _description = "Finance Pipeline Run"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("Finance pipeline run"))
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled"), ("api", "Programmatic")],
        default="manual",
        required=True,
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")], default="running", required=True
    )
    started_at = fields.Datetime(default=fields.Datetime.now, required=True)
    finished_at = fields.Datetime()
    duration_s = fields.Float(string="Duration (s)", digits=(16, 2))
    company_ids = fields.Many2many("res.company", string="Companies")
    schema_suffix = fields.Char(
        help="Empty: the shared bronze/silver/gold schemas; set: an isolated sandbox."
    )
    date_from = fields.Date(string="Reconciled From")
    date_to = fields.Date(string="Reconciled To")
    rows_loaded = fields.Integer(help="New bronze versions written by this run (0 on a no-op re-run).")
    loaded_detail = fields.Text(help="New bronze versions per entity (JSON).")
    table_counts = fields.Text(help="Row counts of the silver and gold tables after the run (JSON).")
    reconciliation = fields.Selection(
        [
            ("ok", "Gold equals Odoo"),
            ("differences", "Differences: gold not published"),
            ("skipped", "Skipped"),
        ],
        default="skipped",
    )
    differences = fields.Text()
    error = fields.Text()
    catalog_message = fields.Char(string="Catalog", help="What the run registered in the catalog.")

    # ----------------------------------------------------------------------------- actions

    @api.model
    def action_run_pipeline(self):
        """Button/menu: run now, then open the run.

        The context key ``ipwb_finance_schema_suffix`` runs into an isolated set of schemas
        (``bronze_<suffix>`` …), for sandboxes and tests.
        """
        run = self._run_pipeline(
            trigger="manual", suffix=self.env.context.get("ipwb_finance_schema_suffix", "")
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _cron_run_pipeline(self):
        self._run_pipeline(trigger="cron")

    @api.model
    def action_generate_demo_data(self):
        """Create the demo Philippine company and its year of books (once)."""
        if not self.env.user.has_group("base.group_system"):
            raise UserError(self.env._("Only administrators can generate demo data."))
        message = demo_data.generate(self.env)
        _logger.info("%s", message)
        return message

    # ------------------------------------------------------------------------------ engine

    @api.model
    def _default_companies(self):
        return self.env["res.company"].sudo().search([("account_fiscal_country_id.code", "=", "PH")])

    @api.model
    def _run_pipeline(self, companies=None, suffix="", date_from=None, date_to=None, trigger="api"):
        """Extract, build, reconcile; publish gold only when it equals Odoo's figures.

        Odoo is read in the current cursor; the warehouse is written in one separate
        transaction, committed only if the reconciliation finds no difference.
        """
        companies = companies if companies is not None else self._default_companies()
        if not companies:
            raise UserError(self.env._("No company with a Philippine fiscal country: nothing to extract."))
        run = self.create(
            {
                "trigger": trigger,
                "company_ids": [fields.Command.set(companies.ids)],
                "schema_suffix": suffix or False,
            }
        )
        try:
            schemas = wh.FinanceSchemas(suffix=suffix or "")
            conn = connect(extract.writer_config(self.env))
        except IpwbError as exc:
            run._finish("failed", error=str(exc))
            return run
        try:
            with conn.cursor() as cur:
                # never wait forever on a reader holding a lock on a table being rebuilt
                cur.execute("SET lock_timeout = '120s'")
                cur.execute(
                    "SELECT pg_try_advisory_xact_lock(hashtext(%s))", (f"ipwb_finance:{schemas.bronze}",)
                )
                if not cur.fetchone()[0]:
                    raise UserError(self.env._("The finance pipeline is already running on this warehouse."))
            reader = tools.config.get("ipwb_warehouse_user")
            wh.ensure_bronze(conn, schemas, readers=[reader] if reader else [])
            # Odoo is read as superuser (the run record keeps who asked): every record of the
            # companies, whatever the user's current company.
            companies = companies.sudo().with_context(active_test=False, allowed_company_ids=companies.ids)
            loaded = extract.extract(companies.env, conn, schemas, companies)
            counts = marts.build(conn, schemas)
            bi.create_bi_views(conn, schemas)
            date_from, date_to = run._period(date_from, date_to)
            differences = run._reconcile(conn, schemas, companies, date_from, date_to) if date_from else []
            values = {
                "rows_loaded": sum(loaded.values()),
                "loaded_detail": json.dumps(loaded, sort_keys=True),
                "table_counts": json.dumps(counts, sort_keys=True),
                "date_from": date_from,
                "date_to": date_to,
                "reconciliation": "differences" if differences else ("ok" if date_from else "skipped"),
                "differences": "\n".join(d.describe() for d in differences) or False,
            }
            if differences:
                conn.rollback()  # a blocking gate: the previous gold stays published
                run._finish("failed", error=totals(differences), **values)
            else:
                conn.commit()
                values["catalog_message"] = run._register_catalog(conn, schemas)
                run._finish("done", **values)
        except IpwbError as exc:
            conn.rollback()
            run._finish("failed", error=str(exc))
        finally:
            conn.close()
        return run

    def _period(self, date_from, date_to):
        """The reconciled period: as given, else every posted entry of the companies."""
        self.ensure_one()
        if date_from and date_to:
            return date_from, date_to
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("company_id", "in", self.company_ids.ids), ("state", "=", "posted")],
                aggregates=["date:min", "date:max"],
            )
        )
        low, high = groups[0] if groups else (None, None)
        return date_from or low, date_to or high

    def _reconcile(self, conn, schemas, companies, date_from, date_to):
        """Differences between gold and Odoo (2550Q tag rule, 2307 export) for the period."""
        env = companies.env
        differences = compare(
            "VAT 2550M",
            odoo_figures.vat_lines(env, companies, date_from, date_to),
            marts.gold_vat_lines(conn, schemas, date_from, date_to),
        )
        odoo_ewt = odoo_figures.ewt_2307(env, companies, date_from, date_to)
        gold_ewt = marts.gold_ewt(conn, schemas, date_from, date_to)
        for index, label in ((0, "EWT income payment (2307)"), (1, "EWT withheld (2307)")):
            differences += compare(
                label,
                {key: amounts[index] for key, amounts in odoo_ewt.items()},
                {key: amounts[index] for key, amounts in gold_ewt.items()},
            )
        return differences

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
                    result, _issues = script_lineage(text)
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
        owner = self.create_uid or self.env.user
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

    def _finish(self, state, **values):
        now = fields.Datetime.now()
        self.write(
            {
                "state": state,
                "finished_at": now,
                "duration_s": (now - self.started_at).total_seconds(),
                **values,
            }
        )
        if state == "failed":
            _logger.warning("finance pipeline run %s failed: %s", self.id, values.get("error"))
