# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""An ``ipwb.pipeline`` ⇄ its YAML spec (specs/pipelines/<code>.yaml).

Export to an engine :class:`PipelineSpec` (key order of an import kept), the engine's
validation with step-named problems, import (create or update by technical name), and
reading/writing the configured specs directory. The pipeline model keeps thin methods of
the same names (``_to_spec``, ``import_spec_text``, …) that delegate here; the functions
call back through those methods so that inheriting addons can still override each one.
"""

import json
import os
import re

from odoo import fields
from odoo.exceptions import UserError, ValidationError

from ipwb.errors import IpwbError
from ipwb.specs import ParamSpec, PipelineSpec, check_text, dumps
from ipwb.specs.model import from_data, to_data

from . import sql_scope

#: "file:line:col: " in front of a spec problem
_PROBLEM_PREFIX = re.compile(r"^[^:]*:(\d+):\d+: ")
#: "  - id: name" opening a step in a dumped spec
_STEP_LINE = re.compile(r"^  - id: ([a-z][a-z0-9_]*)\s*$")
#: a pipeline's budget per run when its spec names none
DEFAULT_BUDGET = 5.0
#: a pipeline's concurrency policy when its spec names none
DEFAULT_CONCURRENCY = "queue"
#: the fields the spec is made of (a change to any of them changes the exported YAML)
SPEC_DEPENDS = (
    "name",
    "code",
    "description",
    "domain_name",
    "schedule",
    "budget_per_run",
    "alert_channel",
    "concurrency",
    "concurrency",
    "params_json",
    "owner_label",
    "owner_id",
    "step_ids.name",
    "step_ids.kind",
    "step_ids.config",
    "step_ids.depends_on_ids",
    "step_ids.retries",
    "step_ids.retry_backoff_s",
    "step_ids.timeout_s",
    "step_ids.enabled",
    "step_ids.description",
    "step_ids.position_x",
    "step_ids.position_y",
)


def to_spec(pipeline):
    """The pipeline as an engine :class:`PipelineSpec` (key order of an import kept)."""
    pipeline.ensure_one()
    key_order = tuple(json.loads(pipeline.spec_key_order or "[]"))
    params = tuple(from_data(ParamSpec, p) for p in json.loads(pipeline.params_json or "[]"))
    budget = pipeline.budget_per_run
    if "budget_usd" not in key_order and budget == DEFAULT_BUDGET:
        budget = None
    elif budget is not None and float(budget).is_integer():
        budget = int(budget)
    concurrency = pipeline.concurrency
    if "concurrency" not in key_order and concurrency == DEFAULT_CONCURRENCY:
        concurrency = None
    steps = tuple(step._to_spec() for step in pipeline.step_ids.sorted(lambda s: (s.sequence, s.id)))
    return PipelineSpec(
        name=pipeline.code,
        owner=pipeline._owner_for_spec(),
        description=pipeline.description or "",
        domain=pipeline.domain_name or "",
        title=pipeline.name if pipeline.name != pipeline.code else "",
        schedule=pipeline.schedule or None,
        budget_usd=budget,
        alert_channel=pipeline.alert_channel or None,
        concurrency=concurrency or None,
        params=params,
        steps=steps,
        key_order=key_order,
    )


def validation_problems(pipeline):
    """Every problem the engine finds (graph, kinds, configs, schedule), step-named."""
    pipeline.ensure_one()
    env = pipeline.env
    try:
        spec = pipeline._to_spec()
    except (IpwbError, ValueError, TypeError) as exc:
        return [str(exc)]
    text = dumps(spec)
    result = check_text(text, "pipeline", f"{pipeline.code}.yaml")
    names = [step.id for step in spec.steps]
    starts = [
        (number, match.group(1))
        for number, line in enumerate(text.splitlines(), 1)
        if (match := _STEP_LINE.match(line))
    ]
    problems = []
    for problem in result.problems:
        located = _PROBLEM_PREFIX.match(problem)
        text = _PROBLEM_PREFIX.sub("", problem)
        if located and not text.startswith("steps["):
            line = int(located.group(1))
            owner = [name for number, name in starts if number <= line]
            if owner:
                text = env._("step %(step)s: %(problem)s", step=owner[-1], problem=text)
        text = re.sub(
            r"^steps\[(\d+)\]",
            lambda m: (
                env._("step %s", names[int(m.group(1))]) if int(m.group(1)) < len(names) else m.group(0)
            ),
            text,
        )
        problems.append(text)
    if not spec.steps:
        problems.append(env._("A pipeline needs at least one step."))
    problems += sql_scope.pipeline_scope_problems(pipeline, spec)
    return problems


def specs_dir(env):
    """The configured specs directory (``ipwb_pipeline.specs_dir``), or ""."""
    path = env["ir.config_parameter"].sudo().get_param("ipwb_pipeline.specs_dir") or ""
    return path.strip()


def write_spec(pipeline):
    """Write specs/pipelines/<code>.yaml into the configured specs directory."""
    pipeline.ensure_one()
    env = pipeline.env
    base = pipeline._specs_dir()
    if not base:
        raise UserError(env._("No specs directory is configured (Workbench › Configuration › Pipelines)."))
    target_dir = os.path.join(base, "pipelines")
    if not os.path.isdir(target_dir):
        raise UserError(env._("Directory %s does not exist.", target_dir))
    path = os.path.join(target_dir, f"{pipeline.code}.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(dumps(pipeline._to_spec()))
    pipeline.message_post(body=env._("Spec written to %s", path))
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"message": env._("Spec written to %s", path), "type": "success", "sticky": False},
    }


def sync_from_specs_dir(pipeline):
    """Re-read specs/pipelines/<code>.yaml from the specs directory into this pipeline."""
    pipeline.ensure_one()
    base = pipeline._specs_dir()
    path = os.path.join(base, "pipelines", f"{pipeline.code}.yaml") if base else ""
    if not path or not os.path.isfile(path):
        raise UserError(pipeline.env._("No spec file %s to read.", path or f"pipelines/{pipeline.code}.yaml"))
    with open(path, encoding="utf-8") as handle:
        pipeline.import_spec_text(handle.read(), source=path)
    return True


def import_spec_text(Pipeline, text, source="pipeline.yaml"):
    """Create or update (by technical name) the pipeline a spec describes.

    Every problem is reported at once, with its line number, in a ValidationError; an
    invalid spec changes nothing.
    """
    env = Pipeline.env
    result = check_text(text or "", "pipeline", source)
    if result.spec is None:
        raise ValidationError(
            env._("The spec %(file)s has %(count)s problem(s):", file=source, count=len(result.problems))
            + "\n"
            + "\n".join(f"• {p}" for p in result.problems)
        )
    spec = result.spec
    owner = env["res.users"]
    if spec.owner:
        owner = env["res.users"].search(
            ["|", ("login", "=", spec.owner), ("email", "=", spec.owner)], limit=1
        )
    values = {
        # shown as written: the spec's title, else its technical name unchanged
        "name": spec.title or spec.name,
        "code": spec.name,
        "description": spec.description or False,
        "domain_name": spec.domain or False,
        "owner_label": spec.owner,
        "schedule": spec.schedule or False,
        "budget_per_run": spec.budget_usd if spec.budget_usd is not None else DEFAULT_BUDGET,
        "alert_channel": spec.alert_channel or False,
        "concurrency": spec.concurrency or DEFAULT_CONCURRENCY,
        "params_json": json.dumps([to_data(p) for p in spec.params]),
        "spec_key_order": json.dumps(list(spec.key_order)),
    }
    if owner and Pipeline._may_assign_owner(owner.id):
        values["owner_id"] = owner.id  # else the importer owns it; owner_label keeps the spec's
    pipeline = Pipeline.with_context(active_test=False).search([("code", "=", spec.name)], limit=1)
    if pipeline:
        if not spec.title:
            values.pop("name")  # a name given in Odoo stays until the spec names one
        pipeline.write(values)
    else:
        pipeline = Pipeline.create(values)
    pipeline._sync_steps(spec.steps)
    pipeline.state = "draft"
    return pipeline


def sync_steps(pipeline, step_specs):
    """Make the pipeline's steps (and their dependencies) those of ``step_specs``."""
    pipeline.ensure_one()
    Step = pipeline.env["ipwb.pipeline.step"].with_context(ipwb_pipeline_sync=True)
    existing = {step.name: step for step in pipeline.step_ids}
    keep = Step
    for sequence, step_spec in enumerate(step_specs, 1):
        values = Step._values_from_spec(step_spec)
        values["sequence"] = sequence
        step = existing.get(step_spec.id)
        if step:
            step.with_context(ipwb_pipeline_sync=True).write(values)
        else:
            step = Step.create({**values, "pipeline_id": pipeline.id})
        keep |= step
    (pipeline.step_ids - keep).with_context(ipwb_pipeline_sync=True).unlink()
    by_name = {step.name: step for step in keep}
    for step_spec in step_specs:
        deps = [by_name[d].id for d in step_spec.depends_on if d in by_name]
        by_name[step_spec.id].with_context(ipwb_pipeline_sync=True).write(
            {"depends_on_ids": [fields.Command.set(deps)]}
        )
    pipeline.env["ipwb.pipeline.step"]._check_graph(pipeline)
