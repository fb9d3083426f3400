# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

import psycopg2

from odoo import api, models, tools
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.finance.bi import BI_ROLE
from ipwb.warehouse.connection import connect, primary_message
from ipwb.warehouse.grants import GrantNames
from ipwb.warehouse.metadata_publish import publish

from ..services import metadata_rows

_logger = logging.getLogger(__name__)

#: odoo.conf option naming the BI login role that reads ip_workbench (default ipwb_bi_reader)
BI_ROLE_KEY = "ipwb_bi_reader_role"


class IpwbMetadataPublisher(models.AbstractModel):
    """Publishes the workbench's metadata into the ``ip_workbench`` schema of the default
    warehouse, as its owner (writer) role: after scans, runs and cost entries (through the
    cron's trigger, once their transaction committed) and hourly."""

    _name = "ipwb.metadata.publisher"
    _description = "Workbench Metadata Publisher (ip_workbench)"

    @api.model
    def _schedule(self):
        """Ask for a refresh once the current transaction commits (the cron runs it)."""
        cron = self.env.ref("ipwb_workbench.ir_cron_publish_metadata", raise_if_not_found=False)
        # one pending trigger is enough: every LLM call writes a cost entry, a burst needs one refresh
        pending = (
            self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)], limit=1)
            if cron
            else 1
        )
        if not pending:
            cron.sudo()._trigger()

    @api.model
    def _readers(self, connection):
        readers = [tools.config.get(BI_ROLE_KEY) or BI_ROLE]
        config = connection._warehouse_config()
        # the login roles of users' SQL are members of the warehouse's "everyone" role
        readers.append(GrantNames(config.dbname).everyone)
        return readers

    @api.model
    def _publish(self, connection=None):
        """Rewrite ``ip_workbench`` in the warehouse now; returns the row count per table."""
        connection = connection or self.env["ipwb.connection"].sudo()._get_default()
        if not connection:
            raise UserError(self.env._("There is no default warehouse connection to publish to."))
        try:
            config = connection.sudo()._warehouse_writer_config()
            rows = metadata_rows.collect(self.env, connection)
            conn = connect(config)
            try:
                counts = publish(conn, rows, self._readers(connection))
                conn.commit()
            finally:
                conn.close()
        except psycopg2.Error as exc:
            raise UserError(
                self.env._(
                    "Publishing ip_workbench to %(name)s failed: %(error)s",
                    name=connection.name,
                    error=primary_message(exc),
                )
            ) from None
        except IpwbError as exc:
            raise UserError(
                self.env._(
                    "Publishing ip_workbench to %(name)s failed: %(error)s", name=connection.name, error=exc
                )
            ) from None
        _logger.info("ip_workbench published to %s: %s", connection.name, counts)
        return counts

    @api.model
    def _cron_publish(self):
        """Hourly and on trigger; a warehouse that cannot be reached is logged, not raised."""
        try:
            return self._publish()
        except UserError as exc:
            _logger.warning("%s", exc)
            return {}
