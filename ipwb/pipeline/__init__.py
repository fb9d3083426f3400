"""Pipeline step runtimes and scheduling helpers used by the ``ipwb_pipeline`` addon.

Odoo-free building blocks the addon's cron worker calls step by step:

* :mod:`ipwb.pipeline.sqlstep`  run a SQL step's script in the warehouse (writer role),
  with a statement timeout, the rows affected and the table lineage of the script;
* :mod:`ipwb.pipeline.dbtstep`  run ``dbt build|run|test`` on selected models in a
  subprocess (timeout, credentials passed through the environment, never written);
* :mod:`ipwb.pipeline.schedule` map a spec schedule (cron or interval) onto Odoo's
  interval-based ``ir.cron`` and decide when a cron expression is due;
* :mod:`ipwb.pipeline.budget`   price step compute and decide warn/block on a run budget.

Webhooks (n8n) and chat alerts (Mattermost) live in :mod:`ipwb.integrations`.
"""

from ipwb.pipeline.budget import BudgetDecision, check_budget, compute_cost
from ipwb.pipeline.schedule import CronPlan, is_due, plan_cron
from ipwb.pipeline.sqlstep import SqlStepResult, run_sql_step

__all__ = [
    "BudgetDecision",
    "CronPlan",
    "SqlStepResult",
    "check_budget",
    "compute_cost",
    "is_due",
    "plan_cron",
    "run_sql_step",
]
