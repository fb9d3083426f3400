# Run inside `odoo-bin shell` (see setup/odoo_shell.py): `env` is the shell's environment.
# The finance demo: a generated Philippine company with a year of invoices, bills,
# withholding, payments, credit notes and expenses (once; re-runs change nothing), then a
# finance pipeline run so the warehouse's bronze/silver/gold and bi views are filled.
runs = env["ipwb.finance.run"]  # noqa: F821
print(runs.action_generate_demo_data())
env.cr.commit()  # noqa: F821
if not runs.search_count([("state", "=", "done")]):
    run = runs._run_pipeline(trigger="api")
    print(f"finance pipeline: {run.state}, {run.rows_loaded} rows, reconciliation {run.reconciliation}")
    if run.error:
        print(run.error)
    env.cr.commit()  # noqa: F821
