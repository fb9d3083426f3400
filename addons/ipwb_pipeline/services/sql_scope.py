# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What a pipeline SQL step may write: its declared targets, in the layers pipelines write.

The engine decides (:mod:`ipwb.sql.write_scope`); this module reads a step's script (inline
``sql`` or a ``file`` under the specs directory) and turns the engine's problems into
translated messages naming the step, the statement and its line/column. It is called by
the Validate button (``validation_problems``) and again by the run, on the run's own
config snapshot, before anything is sent to the warehouse.
"""

from odoo.exceptions import UserError

from ipwb.specs.kinds import declared_targets
from ipwb.sql.write_scope import check_write_scope


def step_script(step_run_model, config):
    """The SQL of a step config: (script, None), or (None, translated reason it cannot be read)."""
    env = step_run_model.env
    if "file" not in config:
        return config.get("sql") or "", None
    try:
        path = step_run_model._spec_path(config["file"])
        with open(path, encoding="utf-8") as handle:
            return handle.read(), None
    except UserError as exc:
        return None, str(exc.args[0] if exc.args else exc)
    except (OSError, UnicodeDecodeError) as exc:
        return None, env._("SQL file %(file)s cannot be read: %(error)s", file=config["file"], error=exc)


def problem_text(env, step_name, problem):
    """One engine problem as a translated sentence naming the step, position and statement."""
    return env._(
        "step %(step)s: SQL line %(line)s, column %(col)s (%(statement)s): %(problem)s [%(code)s]",
        step=step_name,
        line=problem.line,
        col=problem.col,
        statement=problem.statement or "-",
        problem=problem.message,
        code=problem.code.value,
    )


def scope_problems(step_run_model, step_name, config):
    """Translated problems of one ``sql`` step config (empty: its SQL stays in bounds)."""
    env = step_run_model.env
    script, unreadable = step_script(step_run_model, config)
    if script is None:
        return [env._("step %(step)s: %(problem)s", step=step_name, problem=unreadable)]
    if not script.strip():
        return []  # "no SQL" is reported by the spec check (validation) or the executor (run)
    return [problem_text(env, step_name, p) for p in check_write_scope(script, declared_targets(config))]


def pipeline_scope_problems(pipeline, spec):
    """Problems of every ``sql`` step of a pipeline's spec (Validate button)."""
    StepRun = pipeline.env["ipwb.pipeline.step.run"]
    problems = []
    for step in spec.steps:
        if step.kind == "sql" and isinstance(step.config, dict):
            problems += scope_problems(StepRun, step.id, step.config)
    return problems


def ensure_in_scope(step_run, config, script):
    """Refuse (translated UserError) a run's SQL step that writes outside its declared targets."""
    problems = check_write_scope(script, declared_targets(config))
    if problems:
        env = step_run.env
        raise UserError(
            env._("SQL step %s is refused; nothing ran:", step_run.step_name)
            + "\n"
            + "\n".join(f"• {problem_text(env, step_run.step_name, p)}" for p in problems)
        )
