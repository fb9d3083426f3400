# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, models
from odoo.exceptions import UserError

from ipwb.overview.tiles import DEFAULT_TARGETS, PERIODS, parse_target

from ..services import overview_tiles, overview_usage

#: system parameter prefix of the targets administrators may override
TARGET_PARAM = "ipwb_workbench.target."
#: system parameter of the monthly budget (USD) the cost ledger is compared with
BUDGET_PARAM = "ipwb_workbench.monthly_budget_usd"
DEFAULT_BUDGET_USD = 500.0


class IpwbOverview(models.AbstractModel):
    """Workbench › Overview: the launch metrics, each measured under the caller's rights."""

    _name = "ipwb.overview"
    _description = "Workbench Overview"

    @api.model
    def _targets(self):
        # system parameters are settings, not data of the user: reading them is an internal read
        params = self.env["ir.config_parameter"].sudo()
        return {
            key: parse_target(params.get_param(TARGET_PARAM + key), target)
            for key, target in DEFAULT_TARGETS.items()
        }

    @api.model
    def _budget(self):
        text = self.env["ir.config_parameter"].sudo().get_param(BUDGET_PARAM)
        try:
            budget = float(text) if text else DEFAULT_BUDGET_USD
        except ValueError:
            budget = DEFAULT_BUDGET_USD
        return budget if budget > 0 else None

    @api.model
    def get_overview(self, days=30, domain_name="", team_id=None):
        """Every tile of the overview in one call: ``{"tiles": [...], "filters": {...}}``."""
        self.browse().check_access("read")  # workbench users only (a method call checks no ACL)
        days = rpc_args.whole_number(self.env, days, self.env._("Period (days)"), 1, 366, default=30)
        if days not in PERIODS:
            raise UserError(self.env._("The overview covers 7, 30 or 90 days, not %s.", days))
        domain_name = rpc_args.text(self.env, domain_name, self.env._("Domain"), 64)
        team_id = rpc_args.record_id(self.env, team_id, self.env._("Team"))
        team = self.env["res.groups"].browse(team_id) if team_id else None
        if team is not None:
            rpc_args.check_records(team, self.env._("Team"))
        scope = overview_tiles.Scope(self.env, days, domain_name, team, self._targets())
        tiles = [
            overview_tiles.active_users(scope),
            overview_tiles.pipelines_production(scope),
            overview_tiles.run_success_rate(scope),
            overview_tiles.tables_cataloged(scope),
            overview_tiles.gold_ready(scope),
            *overview_usage.ai_usage(scope),
            overview_tiles.dq_score(scope),
            overview_usage.sql_latency(scope),
            *overview_usage.cost(scope, self._budget()),
        ]
        return {
            "days": days,
            "domain_name": domain_name,
            "team_id": team.id if team else False,
            "tiles": [tile.as_dict() for tile in tiles],
            "filters": self._filters(),
        }

    @api.model
    def _filters(self):
        """Domains and teams the user can see in the catalog and pipelines (one grouped query each)."""
        domains = set()
        teams = {}
        Table = self.env["ipwb.table"]
        if Table.has_access("read"):
            for domain, team in Table._read_group([], ["domain", "team_id"]):
                if domain:
                    domains.add(domain)
                if team:
                    teams[team.id] = team.display_name
        Pipeline = self.env["ipwb.pipeline"]
        if Pipeline.has_access("read"):
            domains.update(
                name for (name,) in Pipeline._read_group([("domain_name", "!=", False)], ["domain_name"])
            )
        return {
            "domains": sorted(domains),
            "teams": [
                {"id": team_id, "name": name} for team_id, name in sorted(teams.items(), key=lambda t: t[1])
            ],
        }
