# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ipwb.guardian import gate as engine_gate
from ipwb.guardian.gate import PromotionTarget, Waiver, evaluate
from ipwb.guardian.outcomes import TestOutcome

#: default length of a waiver granted from a gate
WAIVER_DAYS = 7


class IpwbGuardianGate(models.Model):
    """One evaluation of the promotion gate for a target: the facts seen, the verdict, why.

    Reusable by any addon: ``env["ipwb.guardian.gate"].check_target(table_ref, facts)``
    returns the verdict without storing it; :meth:`evaluate_target` stores it (with the
    record that asked, e.g. a pipeline) and returns it, so a form can list the reasons.
    Facts not given are looked up: owner and SLO in the catalog (``ipwb.table``), tests
    among the active ``ipwb.dq.check`` records, upstream lineage in ``ipwb.lineage.edge``,
    and ``outcomes``: the latest result of each active *blocking* check (Guardian or dbt
    run; ``not_run`` when it never ran). Every outcome of a gold/platinum table must pass;
    a silver table needs 80 % of them passing.
    """

    _name = "ipwb.guardian.gate"
    _description = "Guardian Promotion Gate"
    _order = "create_date desc, id desc"
    _rec_name = "target"

    target = fields.Char(required=True, index=True, readonly=True)
    owner = fields.Char(readonly=True)
    slo = fields.Char(string="SLO", readonly=True)
    tests_count = fields.Integer(string="Tests", readonly=True)
    tests_passing = fields.Integer(
        string="Tests Passing", readonly=True, help="Blocking checks whose latest result passed."
    )
    tests_gated = fields.Integer(string="Blocking Tests", readonly=True)
    lineage_count = fields.Integer(string="Upstream Lineage Edges", readonly=True)
    status = fields.Selection(
        [("passed", "Passed"), ("blocked", "Blocked"), ("waived", "Waived")], required=True, readonly=True
    )
    reasons = fields.Text(string="Blocking Reasons", readonly=True)
    waiver_id = fields.Many2one("ipwb.guardian.waiver", readonly=True, ondelete="set null")
    res_model = fields.Char(string="Requested By Model", readonly=True)
    res_id = fields.Many2oneReference(string="Requested By Record", model_field="res_model", readonly=True)

    @api.model
    def _facts(self, table_ref):
        """Owner, SLO, tests and upstream lineage of ``table_ref`` as the workbench knows them."""
        facts = {"owner": "", "slo": "", "tests": 0, "lineage": 0, "outcomes": []}
        if "ipwb.table" in self.env:
            table = self.env["ipwb.table"].sudo().search([("full_name", "=", table_ref)], limit=1)
            if table:
                facts["owner"] = table.owner_id.name or ""
                if table.slo_freshness_hours or table.slo_completeness_pct:
                    facts["slo"] = self.env._(
                        "freshness %(hours)s h, completeness %(pct)s %%",
                        hours=table.slo_freshness_hours,
                        pct=table.slo_completeness_pct,
                    )
        checks = self.env["ipwb.dq.check"].sudo().search([("table_ref", "=", table_ref)])
        facts["tests"] = len(checks)
        facts["outcomes"] = [
            TestOutcome(
                table_ref,
                check.name,
                check.last_status or "not_run",
                check.column_name or "",
                check.check_type,
            )
            for check in checks.filtered("blocking")
        ]
        if "ipwb.lineage.edge" in self.env:
            facts["lineage"] = (
                self.env["ipwb.lineage.edge"].sudo().search_count([("target_table", "=", table_ref)])
            )
        return facts

    @api.model
    def check_target(self, table_ref, facts=None):
        """The verdict for ``table_ref``: ``{"status", "reasons": [...], "waiver": record, "facts"}``.

        ``facts`` (owner, slo, tests, lineage, outcomes) override what the workbench knows;
        outcomes are ``TestOutcome`` objects or ``{"name", "status"}`` mappings.
        """
        known = self._facts(table_ref)
        known.update(facts or {})
        known["outcomes"] = [
            o if isinstance(o, TestOutcome) else TestOutcome(table_ref, str(o["name"]), str(o["status"]))
            for o in known["outcomes"] or []
        ]
        target = PromotionTarget(
            table_ref,
            owner=str(known["owner"] or ""),
            slo=str(known["slo"] or ""),
            tests=int(known["tests"] or 0),
            upstream_edges=int(known["lineage"] or 0),
            outcomes=tuple(known["outcomes"]),
        )
        waivers = (
            self.env["ipwb.guardian.waiver"]
            .sudo()
            .search([("target", "=", table_ref), ("is_valid", "=", True)])
        )
        by_key = {w.id: Waiver(w.target, w.expiry, w.reason, w.granted_by.name) for w in waivers}
        verdict = evaluate(target, by_key.values(), fields.Date.context_today(self))
        waiver = self.env["ipwb.guardian.waiver"]
        if verdict.waiver is not None:
            waiver = next(w for w in waivers if by_key[w.id] is verdict.waiver)
        return {
            "status": verdict.status,
            "reasons": list(verdict.reasons),
            "details": list(verdict.details),
            "waiver": waiver,
            "facts": known,
        }

    @api.model
    def evaluate_target(self, table_ref, facts=None, requested_by=None):
        """Evaluate and store the verdict; returns the gate record."""
        verdict = self.check_target(table_ref, facts)
        known = verdict["facts"]
        return self.sudo().create(
            {
                "target": table_ref,
                "owner": known["owner"],
                "slo": known["slo"],
                "tests_count": known["tests"],
                "tests_passing": sum(1 for o in known["outcomes"] if o.passed),
                "tests_gated": len(known["outcomes"]),
                "lineage_count": known["lineage"],
                "status": verdict["status"],
                "reasons": "\n".join(self._translate_reason(t, p) for t, p in verdict["details"]),
                "waiver_id": verdict["waiver"].id,
                "res_model": requested_by._name if requested_by else False,
                "res_id": requested_by.id if requested_by else False,
            }
        )

    def _translate_reason(self, template, params):
        """The engine's reason ``template`` (with ``params``) in the user's language."""
        env = self.env
        labels = {
            engine_gate.NO_OWNER: lambda p: env._("no owner"),
            engine_gate.NO_SLO: lambda p: env._("no SLO declared"),
            engine_gate.NO_TESTS: lambda p: env._("no tests"),
            engine_gate.NO_LINEAGE: lambda p: env._("no documented upstream lineage"),
            engine_gate.TEST_FAILS: lambda p: env._("test '%(test)s' fails", **p),
            engine_gate.TEST_ERRORS: lambda p: env._("test '%(test)s' could not run", **p),
            engine_gate.TEST_NOT_RUN: lambda p: env._("test '%(test)s' has not run yet", **p),
            engine_gate.SILVER_RATE: lambda p: env._(
                "%(passed)s of %(total)s tests pass (%(pct)s%%); a silver table needs %(min_pct)s%%", **p
            ),
        }
        label = labels.get(template)
        return label(params) if label else template.format(**params)

    def action_grant_waiver(self):
        """An Architect's waiver for this gate's target, pre-filled (a week; the reason is theirs)."""
        self.ensure_one()
        if not self.env.user.has_group("ipwb_catalog.group_ipwb_architect"):
            raise AccessError(self.env._("Only Architects may grant waivers."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waiver for %s", self.target),
            "res_model": "ipwb.guardian.waiver",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_target": self.target,
                "default_expiry": fields.Date.to_string(
                    fields.Date.context_today(self) + datetime.timedelta(days=WAIVER_DAYS)
                ),
            },
        }

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promotion gate of %s", self.target),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
