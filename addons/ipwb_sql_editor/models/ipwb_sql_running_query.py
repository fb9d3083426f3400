# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbSqlRunningQuery(models.Model):
    """Backend pid of a statement running now, so that its user can cancel it.

    Rows are written and removed through their own committed cursor (another request,
    possibly in another worker, must see them while the statement runs), so the fields are
    plain integers: no foreign key may wait on a row the running request has not
    committed. Only the execution service reads or writes them, as superuser.
    """

    _name = "ipwb.sql.running.query"
    _description = "Workbench Running Statement"
    _log_access = False

    token = fields.Char(required=True, index=True)
    user_id = fields.Integer(required=True, index=True)
    connection_id = fields.Integer(required=True)
    backend_pid = fields.Integer(required=True)
    write_mode = fields.Boolean()
    started_at = fields.Datetime(default=fields.Datetime.now)
