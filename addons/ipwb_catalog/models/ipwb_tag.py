# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

from ..catalog_cache import ensure_change_log


class IpwbTag(models.Model):
    _name = "ipwb.tag"
    _description = "Catalog Tag"
    _order = "name"

    name = fields.Char(required=True, index="trigram")
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_uniq", "unique(name)", "A tag with this name already exists.")]

    def init(self):
        # the catalog search shows tags: a renamed tag is a new catalog version
        ensure_change_log(self.env.cr)
