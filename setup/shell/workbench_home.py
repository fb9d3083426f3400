# Run inside `odoo-bin shell` (see setup/odoo_shell.py): `env` is the shell's environment.
# The workbench opens on its overview, with the demo's figures also published to the
# warehouse's ip_workbench schema (granted to the BI role provisioned just before).
overview = env.ref("ipwb_workbench.ipwb_overview_action")  # noqa: F821
admin = env.ref("base.user_admin")  # noqa: F821
if not admin.action_id:  # a home action the administrator chose is kept
    admin.action_id = env["ir.actions.actions"].browse(overview.id)  # noqa: F821
counts = env["ipwb.metadata.publisher"]._publish()  # noqa: F821
print("ip_workbench published:", ", ".join(f"{name} {count}" for name, count in sorted(counts.items())))
env.cr.commit()  # noqa: F821
