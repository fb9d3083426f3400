# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ipwb.errors import IpwbError
from ipwb.sql.params import parameter_names

BI_ENGINEER_GROUP = "ipwb_catalog.group_ipwb_bi_engineer"


class IpwbSqlSnippet(models.Model):
    """A saved statement, private to its owner or shared with every Workbench user.

    ``{{name}}`` placeholders are parameters: their values are bound by the engine
    (psycopg2 parameters), never spliced into the text, so a value is always data.
    Only BI Engineers share snippets; everyone else keeps them private.
    """

    _name = "ipwb.sql.snippet"
    _description = "Workbench SQL Snippet"
    _order = "name, id"

    name = fields.Char(required=True)
    statement = fields.Text(required=True)
    description = fields.Text()
    user_id = fields.Many2one(
        "res.users", string="Owner", required=True, default=lambda self: self.env.user, index=True
    )
    visibility = fields.Selection(
        [("private", "Private"), ("shared", "Shared")], default="private", required=True, index=True
    )
    tag_ids = fields.Many2many("ipwb.sql.snippet.tag", string="Tags")
    connection_id = fields.Many2one("ipwb.connection", string="Warehouse", ondelete="set null")
    parameter_names = fields.Char(
        string="Parameters",
        compute="_compute_parameter_names",
        store=True,
        help="{{name}} placeholders, in order.",
    )

    @api.depends("statement")
    def _compute_parameter_names(self):
        for snippet in self:
            try:
                snippet.parameter_names = ", ".join(parameter_names(snippet.statement or ""))
            except IpwbError:
                snippet.parameter_names = False

    def _check_may_share(self, vals):
        if (
            vals.get("visibility") == "shared"
            and not self.env.su
            and not self.env.user.has_group(BI_ENGINEER_GROUP)
        ):
            raise AccessError(self.env._("Only BI Engineers may share snippets; keep this one private."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in rpc_args.check_vals_list(self, vals_list):
            self._check_may_share(vals)
        return super().create(vals_list)

    def write(self, vals):
        rpc_args.check_vals(rpc_args.check_ids(self, self.env._("The snippet")), vals)
        self._check_may_share(vals)
        return super().write(vals)

    def get_parameters(self):
        self.ensure_one()
        return list(parameter_names(self.statement or ""))

    def run(self, params=None, offset=0, token=None):
        """Run the snippet with ``params`` ({name: value}) bound; same result as the editor."""
        rpc_args.check_records(self, self.env._("The snippet"), single=True)
        self.ensure_one()
        self.check_access("read")
        service = self.env["ipwb.sql.service"]
        _sql, params, offset, token = service._run_args("", params, offset, token)
        connection = service._get_connection(self.connection_id.id)
        return service._run(connection, self.statement, params, offset=offset, token=token, source="snippet")

    def action_open_in_editor(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "ipwb_sql_editor.editor",
            "name": self.env._("SQL Editor"),
            "context": {"ipwb_snippet_id": self.id},
        }
