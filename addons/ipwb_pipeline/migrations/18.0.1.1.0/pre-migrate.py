# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Concurrency policies: pipelines that existed before keep running their runs in parallel
(what they did), and so do their runs; new pipelines default to one run at a time.

The columns are added here, before the ORM would add them with the new default ("queue"),
because the unique index of one running run per queue pipeline would then fail to build on
a database where two runs of one pipeline are running at the upgrade."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    for table in ("ipwb_pipeline", "ipwb_pipeline_run"):
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN IF NOT EXISTS concurrency varchar",
                SQL.identifier(table),
            )
        )
        cr.execute(
            SQL("UPDATE %s SET concurrency = 'parallel' WHERE concurrency IS NULL", SQL.identifier(table))
        )
