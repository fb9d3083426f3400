# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..catalog_cache import ensure_change_log
from .ipwb_table import check_field_groups, create_active_trigram_indexes

#: mirrored from the warehouse (ipwb.warehouse.scan.COLUMN_FIELDS): the scanner writes them
SCANNED_COLUMN_FIELDS = frozenset(
    {
        "table_id",
        "name",
        "attnum",
        "ordinal",
        "data_type",
        "nullable",
        "default_value",
        "comment",
        "is_primary_key",
        "fk_refs",
        "active",
    }
)
GOVERNANCE_COLUMN_FIELDS = frozenset({"is_pii"})


class IpwbColumn(models.Model):
    _name = "ipwb.column"
    _description = "Warehouse Column"
    _order = "table_id, ordinal, id"
    _rec_names_search = ["name", "table_id"]

    name = fields.Char(required=True, readonly=True, trim=False)
    table_id = fields.Many2one("ipwb.table", required=True, readonly=True, ondelete="cascade", index=True)
    table_full_name = fields.Char(related="table_id.full_name", string="Table Name")
    connection_id = fields.Many2one(related="table_id.connection_id", store=True, index=True)
    layer = fields.Selection(related="table_id.layer", store=True)
    active = fields.Boolean(
        default=True, readonly=True, help="Archived when dropped from its table, or with its table."
    )
    attnum = fields.Integer(readonly=True, help="pg_attribute.attnum: stable across renames.")
    ordinal = fields.Integer(readonly=True, help="Position among the table's current columns (1-based).")
    data_type = fields.Char(string="Type", readonly=True, trim=False)
    nullable = fields.Boolean(default=True, readonly=True)
    default_value = fields.Text(string="Default", readonly=True)
    comment = fields.Text(string="Database Comment", readonly=True)
    is_primary_key = fields.Boolean(string="Primary Key", readonly=True)
    fk_refs = fields.Json(string="Foreign Key Targets", readonly=True, help="[[schema, table, column], …]")
    fk_reference = fields.Char(string="References", compute="_compute_fk_reference", store=True)
    is_pii = fields.Boolean(string="PII", help="Holds personal data (set by Architects).")
    description = fields.Text(help="Written by people; the database comment is separate.")
    tag_ids = fields.Many2many("ipwb.tag", string="Tags")

    def init(self):
        create_active_trigram_indexes(self.env, self._table, ("name", "comment", "description"))
        ensure_change_log(self.env.cr)

    @api.depends("fk_refs")
    def _compute_fk_reference(self):
        for column in self:
            column.fk_reference = ", ".join(".".join(ref) for ref in column.fk_refs or []) or False

    @api.depends("table_id.full_name", "name")
    def _compute_display_name(self):
        for column in self:
            column.display_name = f"{column.table_id.full_name}.{column.name}"

    def write(self, vals):
        check_field_groups(self, vals, SCANNED_COLUMN_FIELDS, GOVERNANCE_COLUMN_FIELDS)
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Catalog columns are created by scanning a warehouse."))
        return super().create(vals_list)

    def action_impact(self):
        """What breaks if this column is dropped: the downstream lineage, as a list of columns/tables."""
        self.ensure_one()
        return self.env["ipwb.lineage.edge"]._impact_action(self)
