# Run inside `odoo-bin shell` (see setup/odoo_shell.py): `env` is the shell's environment.
# Sets the admin user's password from the per-checkout secret instead of the demo default.
import os

env.ref("base.user_admin").password = os.environ["IPWB_ODOO_ADMIN_PASSWORD"]  # noqa: F821
env.cr.commit()  # noqa: F821
