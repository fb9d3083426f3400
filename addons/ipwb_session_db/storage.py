# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Attachment storage switch for deployments (called by ``migrate``, see README › Deploy).

Usage from an ``odoo-bin shell`` script (``ipwb.deploy.attachments.MIGRATE_SCRIPT``)::

    from odoo.addons.ipwb_session_db.storage import apply_attachment_location
    apply_attachment_location(env, "db")
    env.cr.commit()
"""

import logging
import os

from odoo.exceptions import AccessError, UserError
from odoo.osv import expression

from ipwb.deploy import attachments
from ipwb.errors import ConfigurationError

_logger = logging.getLogger(__name__)


def _binary_attachments():
    # every binary attachment, field attachments included (ir.attachment hides them by default)
    return [
        "&",
        ("type", "=", "binary"),
        "|",
        ("res_field", "=", False),
        ("res_field", "!=", False),
    ]


def apply_attachment_location(env, location):
    """Set ``ir_attachment.location`` and move every stored attachment there.

    Returns the number of attachments moved. Refuses, changing nothing, when the location
    is unknown, when the caller is not an administrator, or when moving to the database
    while some attachment's file is missing from this server's filestore (Odoo would store
    it as empty content: the data would be lost silently). The caller commits.
    """
    try:
        location = attachments.parse_location(location)
    except ConfigurationError as error:
        raise UserError(
            env._(
                "Unknown attachment location %(value)r: use one of %(choices)s.",
                value=location,
                choices=", ".join(attachments.LOCATIONS),
            )
        ) from error
    if not env.is_admin():
        raise AccessError(env._("Only administrators can move the attachments' storage."))
    Attachment = env["ir.attachment"]
    if location == "db":
        stored = Attachment.search(expression.AND([[("store_fname", "!=", False)], _binary_attachments()]))
        missing = [att.id for att in stored if not os.path.isfile(Attachment._full_path(att.store_fname))]
        if missing:
            raise UserError(
                env._(
                    "%(count)s attachment(s) have no file in this server's filestore "
                    "(%(path)s), for example ids %(ids)s: run the move on the server that "
                    "holds the files, or restore the filestore first.",
                    count=len(missing),
                    path=Attachment._filestore(),
                    ids=", ".join(map(str, missing[:5])),
                )
            )
    env["ir.config_parameter"].sudo().set_param(attachments.PARAMETER, location)
    to_move = Attachment.search(expression.AND([Attachment._get_storage_domain(), _binary_attachments()]))
    Attachment.force_storage()
    _logger.info("attachments stored in %s: %d moved", location, len(to_move))
    return len(to_move)
