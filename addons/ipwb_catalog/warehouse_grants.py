# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The catalog's restricted/team flags as warehouse grants (see ``ipwb.warehouse.grants``).

Team keys: ``g<res.groups id>`` for an owner team, ``admin`` for the Workbench
Administrators. A restricted table is read by its owner team (if any) and the
administrators; every other table by every Workbench User. A user's *team set* is the
owner teams of restricted tables they belong to (administrators: all of them, plus
``admin``); their SQL runs as the login role of that set.

Only connections taking their credentials from the server configuration, with a grants
role configured (``ipwb_warehouse_grants_user``/``_password``) and the owner role
(``ipwb_warehouse_writer_user``), are enforced; others keep the single reader role.
"""

import dataclasses
import logging
import threading

from odoo import SUPERUSER_ID, api, tools
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ipwb.errors import IpwbError
from ipwb.warehouse.grants import ADMIN_TEAM, GrantNames, derive_password, login_config, sync_grants

from .models.ipwb_schema import LAYERS

_logger = logging.getLogger(__name__)

#: odoo.conf keys of the role keeping grants in sync (never used for users' SQL)
GRANTS_CONFIG_KEYS = {"user": "ipwb_warehouse_grants_user", "password": "ipwb_warehouse_grants_password"}
#: odoo.conf key of the role owning the warehouse tables (default privileges are its)
OWNER_CONFIG_KEY = "ipwb_warehouse_writer_user"
ADMIN_GROUP = "ipwb_catalog.group_ipwb_admin"

#: login roles ensured by this process: (host, port, dbname, role)
_ENSURED = set()
_ENSURED_LOCK = threading.Lock()


def grants_enabled(connection):
    """Whether ``connection``'s restrictions are enforced by warehouse grants."""
    return (
        connection.credential_source == "server_config"
        and bool(tools.config.get(GRANTS_CONFIG_KEYS["user"]))
        and bool(tools.config.get(GRANTS_CONFIG_KEYS["password"]))
        and bool(tools.config.get(OWNER_CONFIG_KEY))
    )


def grants_config(connection):
    """The grants role's engine settings (server side only), or None when not enabled."""
    if not grants_enabled(connection):
        return None
    return dataclasses.replace(
        connection._warehouse_config(),
        user=tools.config.get(GRANTS_CONFIG_KEYS["user"]),
        password=tools.config.get(GRANTS_CONFIG_KEYS["password"]),
        application_name="ipwb-odoo grants",
    )


def _restricted_rows(connection):
    """``((schema, name, team id or 0), …)``: cached per worker (see ipwb.table)."""
    return connection.env["ipwb.table"]._restricted_rows(connection.id)


def team_key(group_id):
    return f"g{group_id}"


def restricted_policy(connection):
    """``{(schema, name): team keys}`` of the connection's restricted tables."""
    return {
        (schema, name): {ADMIN_TEAM} | ({team_key(team)} if team else set())
        for schema, name, team in _restricted_rows(connection)
    }


def user_team_keys(connection, user):
    """The team set of ``user`` on ``connection`` (no query once cached: the restricted
    tables are, and so are the user's groups, by Odoo)."""
    teams = {team for _schema, _name, team in _restricted_rows(connection) if team}
    if user._is_superuser() or user.has_group(ADMIN_GROUP):
        return frozenset({ADMIN_TEAM, *(team_key(team) for team in teams)})
    return frozenset(team_key(team) for team in teams.intersection(user._get_group_ids()))


def managed_schemas(connection):
    tables = connection.env["ipwb.table"].sudo().search([("connection_id", "=", connection.id)])
    return sorted({name for name, _label in LAYERS} | set(tables.mapped("schema_name")))


def sync(connection):
    """Make the warehouse's grants match the catalog now; returns the plan's summary."""
    config = grants_config(connection)
    if config is None:
        raise UserError(
            connection.env._(
                "Warehouse %s has no grants role configured: restricted tables are hidden in the "
                "catalog but not enforced by the warehouse.",
                connection.name,
            )
        )
    try:
        plan = sync_grants(
            config,
            schemas=managed_schemas(connection),
            restricted=restricted_policy(connection),
            owner_role=tools.config.get(OWNER_CONFIG_KEY),
        )
    except IpwbError as exc:
        raise connection._warehouse_error(exc) from None
    if plan.unmanaged or plan.problems:
        _logger.warning("grant sync of %s: %s", connection.name, plan.summary())
    return plan.summary()


def user_config(connection, user):
    """Engine settings running ``user``'s SQL as the login role of their team set."""
    config = grants_config(connection)
    if config is None:
        return connection._warehouse_config()
    if not connection.sudo().grants_synced_at:
        connection._sync_warehouse_grants()
    teams = user_team_keys(connection, user)
    key = (config.host, config.port, config.dbname, tuple(sorted(teams)))
    with _ENSURED_LOCK:
        known = key in _ENSURED
    if known:
        role = GrantNames(config.dbname).login(teams)
        return dataclasses.replace(
            config, user=role, password=derive_password(config.password, role), application_name="ipwb-odoo"
        )
    try:
        result = login_config(config, teams, statement_timeout_s=float(connection.statement_timeout))
    except IpwbError as exc:
        raise connection._warehouse_error(exc) from None
    with _ENSURED_LOCK:
        _ENSURED.add(key)
    return dataclasses.replace(result, application_name="ipwb-odoo")


def schedule_sync(connections):
    """Sync the grants of ``connections`` after the current transaction commits (so the
    warehouse follows the committed catalog, never a rolled-back change)."""
    ids = [c.id for c in connections if grants_enabled(c)]
    if not ids:
        return
    cr = connections.env.cr
    pending = cr.postcommit.data.setdefault("ipwb_grants_sync", set())
    first = not pending
    pending.update(ids)
    if not first:
        return
    registry = connections.env.registry

    @cr.postcommit.add
    def _sync_after_commit():
        with registry.cursor() as new_cr:
            env = api.Environment(new_cr, SUPERUSER_ID, {})
            for connection_id in sorted(pending):
                sync_committed(env, connection_id)


#: attempts of a grant sync whose record changed under it (see :func:`sync_committed`)
SYNC_ATTEMPTS = 3


def sync_committed(env, connection_id, attempts=SYNC_ATTEMPTS):
    """Sync one connection's grants and commit ``env.cr``; never raises (it runs after
    another transaction committed: a failure here must not fail that request or cron job).

    The sync records itself on the connection row; when that row changed since this
    transaction's snapshot (someone pressed Scan or edited the connection meanwhile), the
    write fails with a serialization error: the sync runs again in a new transaction
    (it is idempotent), up to ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        connection = env["ipwb.connection"].browse(connection_id).exists()
        if not connection:
            return
        try:
            with env.cr.savepoint():
                connection._sync_warehouse_grants()
            env.cr.commit()
            return
        except (UserError, IpwbError) as exc:
            _logger.warning("grant sync of %s failed: %s", connection.name, exc)
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
            env.cr.rollback()
            env.invalidate_all(flush=False)
            if attempt == attempts:
                _logger.warning(
                    "grant sync of connection %s not recorded: its record kept changing (%s); "
                    "the next change or scan syncs again",
                    connection_id,
                    exc.pgcode,
                )
