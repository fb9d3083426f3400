# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Whose rights a pipeline uses, and who may change or promote it.

The rule (issue #19):

1. **A run acts with the rights of the pipeline's owner, never the superuser.** The worker
   executes each step in ``with_user(owner)`` (no sudo: ACLs, record rules and field groups
   apply to whatever the step does through the ORM); its own bookkeeping (step states,
   logs, costs) stays the worker's. A pipeline without owner, or owned by an inactive or
   share user, or by the superuser (OdooBot), does not run.
2. **Whoever changes a pipeline's steps gains nothing from its owner.** A Workbench
   administrator may change any pipeline; anyone else who creates, edits or deletes a step
   (layout-only writes excepted) of a pipeline they do not own becomes its owner, with a
   chatter note saying why.
3. **Two people for production.** Every step change records who made it
   (``steps_changed_by_id``/``steps_changed_at``) and sends a validated or production
   pipeline back to draft; the promotion must be made by someone else than that last step
   editor (superuser code paths, e.g. install scripts, excepted).
"""

from odoo import SUPERUSER_ID, fields
from odoo.exceptions import AccessError, UserError

ADMIN_GROUP = "ipwb_catalog.group_ipwb_admin"
#: fields only the system writes (the actions write them with sudo after their checks)
SYSTEM_FIELDS = frozenset({"steps_changed_by_id", "steps_changed_at"})
#: non-layout step fields: writing anything else than these is a change of the steps
LAYOUT_FIELDS = frozenset({"position_x", "position_y", "sequence"})
#: pipeline fields that configure what its steps do (run parameters feed every step):
#: writing them is a change of the steps
RUN_CONFIG_FIELDS = frozenset({"params_json"})


def runner_problem(pipeline):
    """Why the owner of ``pipeline`` cannot run it (a translated message), or None."""
    env = pipeline.env
    owner = pipeline.sudo().owner_id
    if not owner:
        return env._("Pipeline %s has no owner: a run acts with its owner's access rights.", pipeline.name)
    root = env.ref("base.user_root", raise_if_not_found=False)
    if owner.id == SUPERUSER_ID or owner == root:
        return env._(
            "Pipeline %s is owned by the superuser (OdooBot): runs never use superuser rights; "
            "an administrator must give it a real owner.",
            pipeline.name,
        )
    if not owner.active:
        return env._(
            "The owner %(owner)s of pipeline %(name)s is archived.", owner=owner.login, name=pipeline.name
        )
    if owner.share:
        return env._(
            "The owner %(owner)s of pipeline %(name)s is a portal or public user.",
            owner=owner.login,
            name=pipeline.name,
        )
    return None


def run_user(pipeline):
    """The user whose rights a run of ``pipeline`` uses (its owner); UserError when refused."""
    pipeline.ensure_one()
    problem = runner_problem(pipeline)
    if problem:
        raise UserError(problem)
    return pipeline.sudo().owner_id


def steps_changed(pipelines):
    """The steps of ``pipelines`` were created, edited or deleted in ``pipelines.env``.

    The editor becomes the owner unless they are a Workbench administrator (or superuser
    code); the editor and the time are recorded; validated/production pipelines go back to
    draft.
    """
    env = pipelines.env
    pipelines = pipelines.exists()
    if not pipelines:
        return
    user = env.user
    is_admin = env.su or user.has_group(ADMIN_GROUP)
    system = pipelines.sudo()
    if not is_admin:
        for pipeline in system.filtered(lambda p: p.owner_id != user):
            previous = pipeline.owner_id.display_name or env._("nobody")
            pipeline.write({"owner_id": user.id})
            pipeline.message_post(
                body=env._(
                    "%(user)s changed the steps of this pipeline and is now its owner (was %(previous)s): "
                    "a run uses its owner's rights, and only the owner or a Workbench administrator "
                    "may change its steps without taking it over.",
                    user=user.display_name,
                    previous=previous,
                )
            )
    values = {"steps_changed_by_id": user.id, "steps_changed_at": fields.Datetime.now()}
    system.write(values)
    system.filtered(lambda p: p.state in ("validated", "production")).write({"state": "draft"})


def check_system_fields(env, vals, state_allowed=("draft",)):
    """RPC may not write the two-person bookkeeping nor move a pipeline out of draft:
    Validate and Promote do, after their checks, with sudo."""
    if env.su:
        return
    if SYSTEM_FIELDS & set(vals):
        raise AccessError(env._("Who changed a pipeline's steps is recorded by the system only."))
    if "state" in vals and vals["state"] not in state_allowed:
        raise AccessError(
            env._("A pipeline is validated and promoted through its Validate and Promote actions only.")
        )


def check_promoter(pipelines):
    """The two-person rule: whoever last changed the steps may not promote them."""
    env = pipelines.env
    if env.su:
        return
    mine = pipelines.sudo().filtered(lambda p: p.steps_changed_by_id == env.user)
    if mine:
        raise UserError(
            env._(
                "You changed the steps of %s last: another person must review and promote them "
                "to production.",
                ", ".join(mine.mapped("name")),
            )
        )


def may_assign_owner(env, owner_id):
    """Runs use the owner's rights: only a Workbench administrator (or superuser code) may make
    someone else the owner of a pipeline."""
    return not owner_id or owner_id == env.uid or env.su or env.user.has_group(ADMIN_GROUP)


def owner_assignment_refused(env):
    return env._(
        "Only a Workbench administrator may make another user the owner of a pipeline:"
        " its runs use the owner's access rights."
    )
