# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Agents move to LangGraph: create the checkpoint schema, keep the runs of the old engine
loop readable (their steps and stored state stay), and close those that were waiting for
an approval or still running, with a note saying why: their state cannot be resumed by
the new runtime, and nothing of the pending call ran."""

from odoo.addons.ipwb_genie.services.agent_runtime import install_schema

from odoo import api
from odoo.tools import SQL

NOTE = (
    "Closed by the upgrade to the LangGraph agent runtime: this run was stored by the previous "
    "engine loop and cannot be resumed. The call that was waiting for approval did not run; "
    "start the run again if it is still needed."
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    install_schema(env)
    cr.execute(SQL("UPDATE ipwb_agent_run SET runtime = 'legacy' WHERE thread_id IS NULL"))
    cr.execute(
        SQL(
            """
            UPDATE ipwb_agent_run
               SET state = 'failed', error = %s, date_end = now() AT TIME ZONE 'UTC'
             WHERE runtime = 'legacy' AND state IN ('waiting_approval', 'running')
            """,
            NOTE,
        )
    )
