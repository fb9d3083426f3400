import logging

from odoo.exceptions import UserError

from ipwb.errors import IpwbError

from . import catalog_cache, models

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """First grant sync of the warehouses that enforce restrictions (a warehouse not
    reachable yet is synced by the first query, the hourly cron or the button)."""
    for connection in env["ipwb.connection"].search([]).filtered("grants_enforced"):
        try:
            with env.cr.savepoint():
                connection._sync_warehouse_grants()
        except (UserError, IpwbError) as exc:
            _logger.warning("first grant sync of %s failed: %s", connection.name, exc)


def uninstall_hook(env):
    """Drop the catalog answer cache's change log, its functions and triggers (created with
    raw SQL, so unknown to the ORM, which drops only the models' tables)."""
    catalog_cache.drop_change_log(env.cr)
