# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import dataclasses

from odoo import fields, models, tools

from ipwb.errors import ConfigurationError

#: odoo.conf keys of the warehouse owner role, used only for approved writes
WRITER_CONFIG_KEYS = {
    "user": "ipwb_warehouse_writer_user",
    "password": "ipwb_warehouse_writer_password",
}


class IpwbConnection(models.Model):
    """Write credentials of a warehouse: a separate role, used only for approved writes.

    Interactive SQL always runs as the connection's (read-only) role; an approved write
    (``ipwb.sql.approval``) runs as the writer role given here. For a connection reading
    its credentials from the server configuration the writer comes from the
    ``ipwb_warehouse_writer_user``/``ipwb_warehouse_writer_password`` options; otherwise
    from the administrator-only fields below. Without a writer, writes are impossible.
    """

    _inherit = "ipwb.connection"

    writer_username = fields.Char(
        string="Writer User",
        groups="ipwb_catalog.group_ipwb_admin",
        tracking=True,
        help="Role that owns the warehouse tables; used only to execute approved writes.",
    )
    writer_password = fields.Char(groups="ipwb_catalog.group_ipwb_admin", copy=False)

    def _warehouse_writer_config(self):
        """Engine settings for the owner role, or ConfigurationError when none is set."""
        self.ensure_one()
        config = self._warehouse_config()
        if self.credential_source == "server_config":
            user = tools.config.get(WRITER_CONFIG_KEYS["user"]) or ""
            password = tools.config.get(WRITER_CONFIG_KEYS["password"]) or ""
        else:
            record = self.sudo()
            user, password = record.writer_username or "", record.writer_password or ""
        if not user:
            raise ConfigurationError(
                self.env._(
                    "Warehouse %s has no writer role configured: approved writes cannot run.", self.name
                )
            )
        return dataclasses.replace(
            config, user=user, password=password, application_name="ipwb-odoo approved write"
        )
