# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ipwb.guardian.gate import PromotionTarget, Waiver, evaluate


class IpwbGuardianGate(models.Model):
    """One evaluation of the promotion gate for a target: the facts seen, the verdict, why.

    Reusable by any addon: ``env["ipwb.guardian.gate"].check_target(table_ref, facts)``
    returns the verdict without storing it; :meth:`evaluate_target` stores it (with the
    record that asked, e.g. a pipeline) and returns it, so a form can list the reasons.
    Facts not given are looked up: owner and SLO in the catalog (``ipwb.table``), tests
    among the active ``ipwb.dq.check`` records, upstream lineage in ``ipwb.lineage.edge``.
    """

    _name = "ipwb.guardian.gate"
    _description = "Guardian Promotion Gate"
    _order = "create_date desc, id desc"
    _rec_name = "target"

    target = fields.Char(required=True, index=True, readonly=True)
    owner = fields.Char(readonly=True)
    slo = fields.Char(string="SLO", readonly=True)
    tests_count = fields.Integer(string="Tests", readonly=True)
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
        facts = {"owner": "", "slo": "", "tests": 0, "lineage": 0}
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
        facts["tests"] = self.env["ipwb.dq.check"].sudo().search_count([("table_ref", "=", table_ref)])
        if "ipwb.lineage.edge" in self.env:
            facts["lineage"] = (
                self.env["ipwb.lineage.edge"].sudo().search_count([("target_table", "=", table_ref)])
            )
        return facts

    @api.model
    def check_target(self, table_ref, facts=None):
        """The verdict for ``table_ref``: ``{"status", "reasons": [...], "waiver": record, "facts"}``.

        ``facts`` (owner, slo, tests, lineage) override what the workbench knows.
        """
        known = self._facts(table_ref)
        known.update(facts or {})
        target = PromotionTarget(
            table_ref,
            owner=str(known["owner"] or ""),
            slo=str(known["slo"] or ""),
            tests=int(known["tests"] or 0),
            upstream_edges=int(known["lineage"] or 0),
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
        return {"status": verdict.status, "reasons": list(verdict.reasons), "waiver": waiver, "facts": known}

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
                "lineage_count": known["lineage"],
                "status": verdict["status"],
                "reasons": "\n".join(self._translate_reason(r) for r in verdict["reasons"]),
                "waiver_id": verdict["waiver"].id,
                "res_model": requested_by._name if requested_by else False,
                "res_id": requested_by.id if requested_by else False,
            }
        )

    def _translate_reason(self, reason):
        labels = {
            "no owner": self.env._("no owner"),
            "no SLO declared": self.env._("no SLO declared"),
            "no tests": self.env._("no tests"),
            "no documented upstream lineage": self.env._("no documented upstream lineage"),
        }
        return labels.get(reason, reason)

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
