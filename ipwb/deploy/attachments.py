"""Where Odoo stores attachment contents: the data directory or the database.

Several web servers without a shared disk, or a platform without volumes (App Platform:
2 GiB of ephemeral disk), need ``ir_attachment.location=db``: an attachment written by one
server is then readable by every other one, and survives a redeploy. Odoo's compiled web
assets are attachments too, so a server that cannot read another's files serves empty
bundles. ``ipwb_session_db.storage.apply_attachment_location`` applies the choice inside
Odoo; this module only validates it, without Odoo.
"""

from __future__ import annotations

from ipwb.errors import ConfigurationError

#: the environment variable the deploy entry point reads
ENVIRONMENT_VARIABLE = "IPWB_ATTACHMENT_LOCATION"
#: Odoo's system parameter
PARAMETER = "ir_attachment.location"
LOCATIONS = ("file", "db")


def parse_location(value: str | None) -> str:
    """Normalise a configured location; empty means Odoo's default ``file``.

    >>> parse_location(""), parse_location(" DB")
    ('file', 'db')
    >>> parse_location("s3")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: IPWB_ATTACHMENT_LOCATION must be one of file, db (got 's3')
    """
    name = (value or "file").strip().lower() or "file"
    if name not in LOCATIONS:
        raise ConfigurationError(
            f"{ENVIRONMENT_VARIABLE} must be one of {', '.join(LOCATIONS)} (got {value!r})"
        )
    return name


#: the ``odoo-bin shell`` script ``migrate`` runs (stdin) after installing/updating the addons;
#: it reads the location from the environment so no value is ever interpolated into code. It
#: runs inside Odoo's shell (the engine itself never imports Odoo), hence import_module.
MIGRATE_SCRIPT = """\
import importlib
import os
storage = importlib.import_module("odoo.addons.ipwb_session_db.storage")
moved = storage.apply_attachment_location(env, os.environ.get("IPWB_ATTACHMENT_LOCATION") or "file")
env.cr.commit()
print("IPWB-ATTACHMENTS-MOVED:%d" % moved)
"""
