# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Registry of step kinds the run worker can execute: kind → method of ``ipwb.pipeline.step.run``.

Another addon adds a kind in three lines:

* ``kind = fields.Selection(selection_add=[("bir_export", "BIR export")],
  ondelete={"bir_export": "cascade"})`` on ``ipwb.pipeline.step``;
* ``register_step_executor("bir_export", "_run_step_bir_export")`` at import time, with that
  method defined on an ``_inherit = "ipwb.pipeline.step.run"`` class (it receives the
  decoded config and the run parameters and returns a :class:`StepOutcome`-shaped dict);
* ``ipwb.specs.register_step_kind(StepKind("bir_export", …, config_schema))`` so specs and
  pipeline validation accept the kind and check its configuration.
"""

STEP_EXECUTORS: dict[str, str] = {}


def register_step_executor(kind, method_name, *, replace=False):
    """Map ``kind`` to the name of the step-run method executing it."""
    if kind in STEP_EXECUTORS and STEP_EXECUTORS[kind] != method_name and not replace:
        raise ValueError(f"step kind {kind!r} already runs through {STEP_EXECUTORS[kind]}")
    STEP_EXECUTORS[kind] = method_name


def unregister_step_executor(kind):
    STEP_EXECUTORS.pop(kind, None)


BUILTIN_KIND_SELECTION = [
    ("sql", "SQL (warehouse)"),
    ("dbt", "dbt"),
    ("n8n_webhook", "n8n webhook"),
    ("quality_gate", "Quality gate"),
    ("server_action", "Odoo server action"),
]

for _kind in ("sql", "dbt", "n8n_webhook", "quality_gate", "server_action"):
    register_step_executor(_kind, f"_run_step_{_kind}")
