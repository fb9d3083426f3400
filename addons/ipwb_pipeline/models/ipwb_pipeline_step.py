# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import re

from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ipwb.dag import validate_nodes
from ipwb.dag.graph import Node
from ipwb.specs import PositionSpec, StepSpec

from ..services.pipeline_rights import LAYOUT_FIELDS
from .step_kinds import BUILTIN_KIND_SELECTION

STEP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: problems that make a graph impossible whatever else is fixed: refused on save
_BLOCKING_CODES = {"cycle", "self_dependency"}


class IpwbPipelineStep(models.Model):
    """One step of a pipeline: a kind (from the registry), its config, retries and position.

    ``depends_on_ids`` are steps of the same pipeline this one waits for; a dependency
    cycle is refused on save, naming the cycle.

    Creating, editing (layout excepted) or deleting a step is a change of its pipeline's
    steps: whoever makes it becomes the pipeline's owner unless they are a Workbench
    administrator, since runs use the owner's rights (see services/pipeline_rights.py).
    """

    _name = "ipwb.pipeline.step"
    _description = "Pipeline Step"
    _order = "pipeline_id, sequence, id"

    pipeline_id = fields.Many2one("ipwb.pipeline", required=True, ondelete="cascade", index=True)
    name = fields.Char(
        string="Step ID", required=True, help="Identifier unique in its pipeline (lower case, digits, _)."
    )
    sequence = fields.Integer(default=10)
    description = fields.Char()
    kind = fields.Selection(BUILTIN_KIND_SELECTION, required=True, default="sql")
    config = fields.Text(default="{}", help="Kind-specific configuration (JSON object).")
    retries = fields.Integer(default=0)
    retry_backoff_s = fields.Float(string="Retry Backoff (s)", default=60)
    timeout_s = fields.Float(string="Timeout (s)", default=3600)
    enabled = fields.Boolean(default=True)
    position_x = fields.Float(string="X")
    position_y = fields.Float(string="Y")
    depends_on_ids = fields.Many2many(
        "ipwb.pipeline.step",
        "ipwb_pipeline_step_dependency_rel",
        "step_id",
        "depends_on_id",
        string="Depends On",
        domain="[('pipeline_id', '=', pipeline_id), ('id', '!=', id)]",
    )
    spec_extra = fields.Char(
        readonly=True, copy=False, help="Key order and dependency order of the spec (technical)."
    )
    pipeline_state = fields.Selection(related="pipeline_id.state")

    _sql_constraints = [
        ("name_unique", "unique(pipeline_id, name)", "Step IDs must be unique within a pipeline."),
    ]

    # -- checks ------------------------------------------------------------------------------
    @api.constrains("name")
    def _check_name(self):
        for step in self:
            if not STEP_NAME.match(step.name or ""):
                raise ValidationError(
                    self.env._(
                        "Step ID %s must start with a lower-case letter and use only lower-case letters, "
                        "digits and underscores.",
                        step.name,
                    )
                )

    @api.constrains("config")
    def _check_config(self):
        for step in self:
            try:
                config = json.loads(step.config or "{}")
            except (ValueError, RecursionError) as exc:
                raise ValidationError(
                    self.env._(
                        "Configuration of step %(step)s is not JSON: %(error)s", step=step.name, error=exc
                    )
                ) from None
            if not isinstance(config, dict):
                raise ValidationError(
                    self.env._("Configuration of step %s must be a JSON object.", step.name)
                )

    @api.constrains("retries", "retry_backoff_s", "timeout_s")
    def _check_limits(self):
        for step in self:
            if step.retries < 0 or step.retry_backoff_s < 0 or step.timeout_s <= 0:
                raise ValidationError(
                    self.env._(
                        "Step %s: retries and backoff cannot be negative, the timeout must be positive.",
                        step.name,
                    )
                )

    @api.constrains("depends_on_ids", "pipeline_id")
    def _check_dependencies(self):
        for step in self:
            foreign = step.depends_on_ids.filtered(lambda dep, s=step: dep.pipeline_id != s.pipeline_id)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s can only depend on steps of its own pipeline, not %(others)s.",
                        step=step.name,
                        others=", ".join(foreign.mapped("display_name")),
                    )
                )
        if not self.env.context.get("ipwb_pipeline_sync"):
            self._check_graph(self.mapped("pipeline_id"))

    @api.model
    def _check_graph(self, pipelines):
        """Refuse cycles (and self-dependencies) with every problem named, via ipwb.dag."""
        for pipeline in pipelines:
            nodes = [step._node() for step in pipeline.step_ids]
            problems = [p for p in validate_nodes(nodes) if p.code in _BLOCKING_CODES]
            if problems:
                raise ValidationError(
                    self.env._("The steps of pipeline %s cannot run:", pipeline.name)
                    + "\n"
                    + "\n".join(f"• {p.message}" for p in problems)
                )

    # -- engine conversion -------------------------------------------------------------------
    def _config_dict(self):
        self.ensure_one()
        try:
            value = json.loads(self.config or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _ordered_deps(self):
        """Dependency names, in the order the spec listed them when it still applies."""
        self.ensure_one()
        names = self.depends_on_ids.sorted(lambda s: (s.sequence, s.id)).mapped("name")
        extra = json.loads(self.spec_extra or "{}")
        listed = extra.get("depends_on") or []
        if sorted(listed) == sorted(names):
            return list(listed)
        return names

    def _node(self):
        return Node(self.name, tuple(self._ordered_deps()), self.enabled)

    def _to_spec(self):
        self.ensure_one()
        extra = json.loads(self.spec_extra or "{}")
        return StepSpec(
            id=self.name,
            kind=self.kind,
            description=self.description or "",
            depends_on=tuple(self._ordered_deps()),
            config=self._config_dict(),
            retries=self.retries,
            retry_backoff_s=_number(self.retry_backoff_s),
            timeout_s=_number(self.timeout_s),
            enabled=self.enabled,
            position=self._position_spec(extra.get("key_order") or ()),
            key_order=tuple(extra.get("key_order") or ()),
        )

    def _position_spec(self, key_order):
        """The canvas position for the spec: kept when the spec had one or the step was placed
        (an unplaced step, at 0/0, stays without: the canvas lays it out)."""
        self.ensure_one()
        if "position" not in key_order and not (self.position_x or self.position_y):
            return None
        return PositionSpec(x=_number(self.position_x), y=_number(self.position_y))

    @api.model
    def _values_from_spec(self, spec):
        return {
            "name": spec.id,
            "kind": spec.kind,
            "description": spec.description or False,
            "config": json.dumps(spec.config, indent=2, ensure_ascii=False),
            "retries": spec.retries,
            "retry_backoff_s": spec.retry_backoff_s,
            "timeout_s": spec.timeout_s,
            "enabled": spec.enabled,
            "position_x": spec.position.x if spec.position else 0.0,
            "position_y": spec.position.y if spec.position else 0.0,
            "spec_extra": json.dumps(
                {"key_order": list(spec.key_order), "depends_on": list(spec.depends_on)}
            ),
        }

    # -- lifecycle -----------------------------------------------------------------------------
    # Every non-layout change, whatever the path (form, canvas, spec import/sync with its
    # ``ipwb_pipeline_sync`` context, Genie), goes through _structure_changed: the editor
    # becomes the owner unless a Workbench administrator, the change is recorded and the
    # pipeline goes back to draft. A context key is never trusted for that (RPC sets any).
    @api.model_create_multi
    def create(self, vals_list):
        rpc_args.check_vals_list(self, vals_list)
        steps = super().create(vals_list)
        steps.mapped("pipeline_id")._structure_changed()
        return steps

    def write(self, vals):
        rpc_args.check_vals(rpc_args.check_ids(self, self.env._("The step")), vals)
        pipelines = self.mapped("pipeline_id")
        result = super().write(vals)
        if not set(vals) <= LAYOUT_FIELDS:
            (pipelines | self.mapped("pipeline_id"))._structure_changed()
        return result

    def unlink(self):
        pipelines = self.mapped("pipeline_id")
        result = super().unlink()
        pipelines.exists()._structure_changed()
        return result

    # -- canvas API ----------------------------------------------------------------------------
    @api.model
    def canvas_kinds(self):
        return [
            {"value": value, "label": label}
            for value, label in self._fields["kind"]._description_selection(self.env)
        ]


def _number(value):
    """60.0 → 60 so specs keep the author's integers."""
    return int(value) if float(value).is_integer() else value
