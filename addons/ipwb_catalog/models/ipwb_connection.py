# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from ipwb.errors import IpwbError
from ipwb.warehouse.connection import WarehouseConfig, connect
from ipwb.warehouse.pool import process_pool

from .. import warehouse_grants

_logger = logging.getLogger(__name__)

#: odoo.conf keys read when a connection takes its credentials from the server configuration
SERVER_CONFIG_KEYS = {
    "host": "ipwb_warehouse_host",
    "port": "ipwb_warehouse_port",
    "dbname": "ipwb_warehouse_db",
    "user": "ipwb_warehouse_user",
    "password": "ipwb_warehouse_password",
}


class IpwbConnection(models.Model):
    _name = "ipwb.connection"
    _description = "Warehouse Connection"
    _inherit = ["mail.thread"]
    _order = "is_default desc, name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    is_default = fields.Boolean(
        string="Default",
        tracking=True,
        help="The warehouse used when a feature does not name one.",
    )
    credential_source = fields.Selection(
        [
            ("record", "This record (administrators only)"),
            ("server_config", "Server configuration (odoo.conf)"),
        ],
        default="record",
        required=True,
        tracking=True,
        help="Where host, database, user and password come from. The server configuration "
        "keeps the secret out of the database entirely.",
    )
    host = fields.Char(default="127.0.0.1", tracking=True)
    port = fields.Integer(default=5432, tracking=True)
    dbname = fields.Char(string="Database", tracking=True)
    username = fields.Char(string="User", tracking=True)
    password = fields.Char(groups="ipwb_catalog.group_ipwb_admin", copy=False)
    sslmode = fields.Selection(
        [
            ("disable", "Disable"),
            ("prefer", "Prefer"),
            ("require", "Require"),
            ("verify-full", "Verify full"),
        ],
        string="SSL Mode",
        default="prefer",
        required=True,
    )
    statement_timeout = fields.Integer(
        string="Statement Timeout (s)",
        default=30,
        help="Interactive statements are cancelled by the server after this many seconds.",
    )
    max_rows = fields.Integer(
        string="Display Row Cap",
        default=1000,
        help="At most this many rows are shown for an interactive query.",
    )
    target_display = fields.Char(string="Target", compute="_compute_target_display")
    last_test_date = fields.Datetime(readonly=True, copy=False)
    last_test_message = fields.Char(readonly=True, copy=False)
    last_scan_date = fields.Datetime(readonly=True, copy=False)
    last_scan_summary = fields.Char(readonly=True, copy=False)
    grants_enforced = fields.Boolean(
        string="Warehouse Enforces Restrictions",
        compute="_compute_grants_enforced",
        help="Users' SQL runs as a role per team set whose grants follow the catalog's restricted "
        "and owner-team flags (needs a grants role in the server configuration).",
    )
    grants_synced_at = fields.Datetime(string="Grants Synced", readonly=True, copy=False)
    grants_sync_summary = fields.Char(readonly=True, copy=False)
    table_ids = fields.One2many("ipwb.table", "connection_id", string="Tables")
    table_count = fields.Integer(compute="_compute_table_count")

    @api.depends("credential_source", "host", "port", "dbname", "username")
    def _compute_target_display(self):
        for connection in self:
            try:
                connection.target_display = connection._warehouse_config().describe()
            except IpwbError as exc:
                connection.target_display = str(exc)

    @api.depends("credential_source")
    def _compute_grants_enforced(self):
        for connection in self:
            connection.grants_enforced = warehouse_grants.grants_enabled(connection)

    @api.depends("table_ids")
    def _compute_table_count(self):
        counts = dict(
            self.env["ipwb.table"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for connection in self:
            connection.table_count = counts.get(connection, 0)

    @api.constrains("is_default", "active")
    def _check_single_default(self):
        if self.search_count([("is_default", "=", True)]) > 1:
            raise ValidationError(self.env._("Only one warehouse connection can be the default."))

    @api.constrains("dbname", "credential_source")
    def _check_not_odoo_database(self):
        for connection in self:
            if connection.credential_source == "record" and connection.dbname == self.env.cr.dbname:
                raise ValidationError(
                    self.env._(
                        "Database %s is Odoo's own database: users' SQL never runs there. "
                        "Point the connection at a warehouse database.",
                        connection.dbname,
                    )
                )

    @api.constrains("statement_timeout", "max_rows", "port")
    def _check_positive_limits(self):
        for connection in self:
            if connection.statement_timeout <= 0 or connection.max_rows <= 0:
                raise ValidationError(self.env._("The statement timeout and the row cap must be positive."))
            if connection.credential_source == "record" and not 0 < connection.port < 65536:
                raise ValidationError(self.env._("Port %s is not a valid TCP port.", connection.port))

    @api.model
    def _get_default(self):
        """The default warehouse connection, or a clear error when there is none."""
        connection = self.search([("is_default", "=", True)], limit=1)
        if not connection:
            raise UserError(
                self.env._("No default warehouse connection is configured (Workbench › Configuration).")
            )
        return connection

    def _warehouse_config(self):
        """Engine connection settings; the password is read as superuser, server side only."""
        self.ensure_one()
        forbidden = frozenset({self.env.cr.dbname})
        if self.credential_source == "server_config":
            values = {key: tools.config.get(option) for key, option in SERVER_CONFIG_KEYS.items()}
            if not values["dbname"]:
                raise IpwbError(
                    self.env._("The server configuration has no %s option.", SERVER_CONFIG_KEYS["dbname"])
                )
            return WarehouseConfig(
                dbname=values["dbname"],
                host=values["host"] or "127.0.0.1",
                port=int(values["port"] or 5432),
                user=values["user"] or "",
                password=values["password"] or "",
                sslmode=self.sslmode,
                application_name="ipwb-odoo",
                forbidden_dbnames=forbidden,
            )
        if not self.dbname:
            raise IpwbError(self.env._("Connection %s names no database.", self.name))
        return WarehouseConfig(
            dbname=self.dbname,
            host=self.host or "127.0.0.1",
            port=self.port or 5432,
            user=self.username or "",
            password=self.sudo().password or "",
            sslmode=self.sslmode,
            application_name="ipwb-odoo",
            forbidden_dbnames=forbidden,
        )

    # --- warehouse-enforced restrictions (see ..warehouse_grants) ------------------------------
    def _user_warehouse_config(self, user=None):
        """Engine settings for SQL a user runs (editor, export, Genie, agent tools): the login
        role of the user's team set, which reads exactly what the catalog shows them; the
        connection's single role when the warehouse does not enforce restrictions."""
        self.ensure_one()
        return warehouse_grants.user_config(self, user or self.env.user)

    def _warehouse_cancel_config(self):
        """Engine settings for cancelling a user's running statement (their role may not
        signal backends; the grants role may, being a member of every login role)."""
        self.ensure_one()
        return warehouse_grants.grants_config(self) or self._warehouse_config()

    def _sync_warehouse_grants(self):
        """Apply the catalog's restrictions to the warehouse's grants now (as superuser)."""
        for connection in self:
            summary = warehouse_grants.sync(connection)
            connection.sudo().with_context(tracking_disable=True).write(
                {"grants_synced_at": fields.Datetime.now(), "grants_sync_summary": summary}
            )
        process_pool().clear()

    # --- kept sessions (ipwb.warehouse.pool) ---------------------------------------------
    def _pool_generation(self):
        """What a kept warehouse session must still match besides its credentials: the
        record's version (any edit: host, role, password …) and its last grant sync, so
        that every worker stops reusing older sessions after either (this worker also
        drops its own at once, see ``write``)."""
        self.ensure_one()
        record = self.sudo()
        return f"{self.env.cr.dbname}:{record.id}:{record.write_date}:{record.grants_synced_at}"

    def write(self, vals):
        result = super().write(vals)
        process_pool().clear()
        return result

    def _schedule_grants_sync(self):
        warehouse_grants.schedule_sync(self)

    def action_sync_grants(self):
        if not self.env.user.has_group("ipwb_catalog.group_ipwb_admin"):
            raise AccessError(self.env._("Only Workbench Administrators sync warehouse grants."))
        self._sync_warehouse_grants()
        return self._notification(
            self.env._("Warehouse grants synced"), "; ".join(self.mapped("grants_sync_summary")), "success"
        )

    @api.model
    def _cron_sync_grants(self):
        """Hourly: re-apply every enforced connection's grants (tables created by other means,
        a sync lost with a crashed worker); one failing warehouse does not stop the others."""
        for connection in self.search([("active", "=", True)]).filtered("grants_enforced"):
            try:
                with self.env.cr.savepoint():
                    connection._sync_warehouse_grants()
            except (UserError, IpwbError) as exc:
                _logger.warning("grant sync of %s failed: %s", connection.name, exc)

    def _connect(self):
        """Open an engine connection; engine errors become a translated UserError."""
        self.ensure_one()
        try:
            return connect(self._warehouse_config())
        except IpwbError as exc:
            raise self._warehouse_error(exc) from None

    def _warehouse_error(self, exc):
        """The translated error shown for an engine error of this warehouse."""
        return UserError(self.env._("Warehouse %(name)s: %(error)s", name=self.name, error=exc))

    def action_test_connection(self):
        self.ensure_one()
        conn = self._connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT current_setting('server_version'), current_user, current_database()")
                version, role, dbname = cursor.fetchone()
        finally:
            conn.close()
        message = self.env._(
            "Connected to %(db)s as %(role)s (PostgreSQL %(version)s)", db=dbname, role=role, version=version
        )
        self.write({"last_test_date": fields.Datetime.now(), "last_test_message": message})
        return self._notification(self.env._("Connection OK"), message, "success")

    def _notification(self, title, message, kind):
        """A client notification (``kind``: success, info, warning, danger) for a button."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False},
        }

    def action_open_tables(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tables of %s", self.name),
            "res_model": "ipwb.table",
            "view_mode": "list,kanban,form",
            "domain": [("connection_id", "=", self.id)],
        }
