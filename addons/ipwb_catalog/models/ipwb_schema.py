# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

#: medallion layers, recognised in schema names (``gold``, ``gold_finance``, ``finance_gold``)
LAYERS = [("bronze", "Bronze"), ("silver", "Silver"), ("gold", "Gold"), ("platinum", "Platinum")]


def layer_from_schema(name):
    """The medallion layer a schema name announces, or False.

    >>> layer_from_schema("gold"), layer_from_schema("silver_sales"), layer_from_schema("public")
    ('gold', 'silver', False)
    """
    parts = (name or "").lower().replace("-", "_").split("_")
    for layer, _label in LAYERS:
        if layer in parts:
            return layer
    return False


class IpwbSchema(models.Model):
    _name = "ipwb.schema"
    _description = "Warehouse Schema"
    _order = "connection_id, name"

    name = fields.Char(required=True, index=True, readonly=True)
    connection_id = fields.Many2one("ipwb.connection", required=True, ondelete="cascade", index=True)
    active = fields.Boolean(default=True, readonly=True, help="Archived when the schema was dropped.")
    # Mirrored from the warehouse (ipwb.warehouse.scan.SCHEMA_FIELDS): written by the scanner only.
    oid = fields.Char(string="OID", readonly=True, help="pg_namespace oid (kept as text: oids exceed int4).")
    db_owner = fields.Char(string="Database Owner", readonly=True)
    comment = fields.Text(string="Database Comment", readonly=True)
    layer = fields.Selection(LAYERS, help="Derived from the schema name when first scanned; editable.")
    description = fields.Text()
    table_ids = fields.One2many("ipwb.table", "schema_id", string="Tables")
    table_count = fields.Integer(compute="_compute_table_count")

    _sql_constraints = [
        ("connection_name_uniq", "unique(connection_id, name)", "A schema is mirrored once per warehouse.")
    ]

    @api.depends("table_ids")
    def _compute_table_count(self):
        counts = dict(
            self.env["ipwb.table"]._read_group([("schema_id", "in", self.ids)], ["schema_id"], ["__count"])
        )
        for schema in self:
            schema.table_count = counts.get(schema, 0)
