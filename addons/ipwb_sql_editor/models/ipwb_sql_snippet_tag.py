# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbSqlSnippetTag(models.Model):
    _name = "ipwb.sql.snippet.tag"
    _description = "Workbench SQL Snippet Tag"
    _order = "name"

    name = fields.Char(required=True, translate=False)
    color = fields.Integer()

    _sql_constraints = [("name_uniq", "unique (name)", "A snippet tag with this name already exists.")]
