"""Start Odoo with the rendered config plus the secrets, which never touch a file or argv.

Usage (by ipwb.deploy.entrypoint only): launch_odoo.py server|shell|post-migrate -c CONF [ARGS...]

The database and warehouse passwords are read from the environment (``NAME`` or ``NAME_FILE``,
see ipwb.deploy.config) and set in Odoo's in-memory configuration right after Odoo parses its
config file, so ``ps`` shows no password (the official Odoo image passes ``--db_password``) and
the rendered file holds none. Prefork workers are forked and inherit the options.
"""

from __future__ import annotations

import os
import sys

import odoo
from odoo.tools import config as odoo_config

from ipwb.deploy import config

SECRETS = config.odoo_secret_options(os.environ)
_parse_config = odoo_config.parse_config


def parse_config(args=None, *, setup_logging=None):
    _parse_config(args, setup_logging=setup_logging)
    for option, value in SECRETS.items():
        odoo_config[option] = value


odoo_config.parse_config = parse_config


def post_migrate(args):
    """After -i/-u: the admin user's password and where attachments live (idempotent)."""
    odoo_config.parse_config(args)
    registry = odoo.modules.registry.Registry(odoo_config["db_name"])
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        password = config.read(os.environ, "IPWB_ODOO_ADMIN_PASSWORD")
        if password:
            env.ref("base.user_admin").password = password
        location = config.read(os.environ, "IPWB_ATTACHMENT_LOCATION") or "file"
        params = env["ir.config_parameter"]
        if params.get_param("ir_attachment.location", "file") != location:
            # the add-on's helper, not a bare force_storage(): it refuses to move attachments
            # into the database while a file is missing (Odoo would store empty content)
            from odoo.addons.ipwb_session_db.storage import apply_attachment_location  # noqa: PLC0415

            apply_attachment_location(env, location)
        # last: serve and cron wait for this marker (ipwb.deploy.entrypoint.MIGRATED_PARAMETER)
        params.set_param("ipwb.deploy.migrated", odoo.fields.Datetime.to_string(odoo.fields.Datetime.now()))


def main(argv):
    mode, args = argv[0], argv[1:]
    if mode == "server":
        from odoo.cli.server import main as server_main  # noqa: PLC0415  (per mode)

        server_main(args)
    elif mode == "shell":
        from odoo.cli.shell import Shell  # noqa: PLC0415  (per mode)

        Shell().run(args)
    elif mode == "post-migrate":
        post_migrate(args)
    else:
        raise SystemExit(f"launch_odoo: unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
