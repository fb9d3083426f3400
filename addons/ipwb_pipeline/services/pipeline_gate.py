# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Guardian gate on pipeline promotion: a pipeline reaches production only when every
gold/platinum table it writes passes the gate (owner, SLO, tests, upstream lineage) or is
covered by an unexpired waiver.

The tables a step writes: the targets of its SQL (``INSERT``, ``CREATE TABLE … AS``,
``UPDATE``, ``MERGE``) as :func:`ipwb.pipeline.sqlstep.script_lineage` (the engine's
``extract_lineage``) finds them, plus the ``target`` / ``targets`` its config declares (any
kind; a server action's writes can only be declared). The
verdict per table is ``ipwb.guardian.gate.evaluate_target`` — the same call (and facts)
as the promotion of an ``ipwb.table``. A SQL step whose tables cannot be determined blocks
too: the gate fails closed.
"""

from odoo.exceptions import UserError

from ipwb.guardian.gate import GATED_LAYERS
from ipwb.pipeline.sqlstep import script_lineage


def step_targets(step):
    """``(tables the step writes, problems)``; a problem means the targets are unknown."""
    env = step.env
    config = step._config_dict()
    targets, problems = set(), []
    declared = config.get("target")
    if isinstance(declared, str) and declared.strip():
        targets.add(declared.strip().lower())
    declared_list = config.get("targets")
    if isinstance(declared_list, list):
        targets.update(t.strip().lower() for t in declared_list if isinstance(t, str) and t.strip())
    if step.kind != "sql":
        return targets, problems
    script = config.get("sql") or ""
    if config.get("file"):
        try:
            path = env["ipwb.pipeline.step.run"]._spec_path(config["file"])
            with open(path, encoding="utf-8") as handle:
                script = handle.read()
        except (OSError, UserError) as exc:
            problems.append(
                env._("cannot read the SQL file %(file)s: %(error)s", file=config["file"], error=exc)
            )
            return targets, problems
    if script.strip():
        result, issues = script_lineage(script)
        if result is None:
            problems.append(env._("the tables its SQL writes cannot be determined: %s", "; ".join(issues)))
        else:
            targets.update(edge.target for edge in result.tables)
    return targets, problems


def gated_tables(pipeline):
    """``({table: [step names]}, [problem lines])`` for the gold/platinum tables written."""
    env = pipeline.env
    writers, problems = {}, []
    for step in pipeline.step_ids.sorted(lambda s: (s.sequence, s.id)):
        targets, step_problems = step_targets(step)
        problems += [env._("step %(step)s: %(problem)s", step=step.name, problem=p) for p in step_problems]
        for table in sorted(targets):
            if table.split(".", 1)[0] in GATED_LAYERS:
                writers.setdefault(table, []).append(step.name)
    return writers, problems


def check_promotion(pipelines):
    """Raise one UserError listing, per pipeline and table, every blocking reason."""
    env = pipelines.env
    Gate = env["ipwb.guardian.gate"]
    blocks = []
    for pipeline in pipelines:
        writers, problems = gated_tables(pipeline)
        lines = [f"• {problem}" for problem in problems]
        passed = []
        for table, steps in writers.items():
            gate = Gate.evaluate_target(table, requested_by=pipeline)
            if gate.status == "blocked":
                lines.append(
                    "• "
                    + env._(
                        "%(table)s (written by %(steps)s): %(reasons)s",
                        table=table,
                        steps=", ".join(steps),
                        reasons="; ".join((gate.reasons or "").splitlines()),
                    )
                )
            else:
                passed.append(gate)
        if lines:
            blocks.append(
                env._("Pipeline %s cannot go to production; the Guardian gate blocks:", pipeline.name)
                + "\n"
                + "\n".join(lines)
            )
        elif passed:
            labels = dict(Gate._fields["status"]._description_selection(env))
            pipeline.message_post(
                body=env._(
                    "Guardian gate: %s",
                    ", ".join(
                        f"{gate.target} {labels[gate.status]}"
                        + (f" ({gate.waiver_id.reason})" if gate.waiver_id else "")
                        for gate in passed
                    ),
                )
            )
    if blocks:
        raise UserError("\n\n".join(blocks))
