# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The ``odoo_extract`` step of scaffolded domains: any Odoo model into a bronze table.

Reads the records written since the target's watermark (minus an overlap), as JSON rows of
the configured fields, and loads them with :mod:`ipwb.finance.odoo_source` (new versions
only, tombstones for deleted records) through the warehouse writer role; the watermark
moves forward in the same warehouse transaction.

The step runs with the pipeline owner's rights (the worker executes it as the owner) and
never extracts secrets, whatever those rights: :func:`secret_problems` applies the engine's
denylist (:mod:`ipwb.security.secrets`: ``ir.*`` models, API keys, mail/payment/auth
servers, fields named after a secret, administrator-only fields) when a step is saved and
again when it runs.
"""

from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.finance import odoo_source
from ipwb.finance.warehouse import SourceRow
from ipwb.security.secrets import secret_extraction_problems
from ipwb.warehouse.connection import connect

from .extract import CHUNK, OVERLAP


def _value(record, field):
    value = record[field.name]
    if field.type == "many2one":
        return value.id or None
    if field.type == "boolean":
        return bool(value)
    return None if value is False else value


def secret_problems(env, model, field_names):
    """Translated reasons why extracting ``field_names`` of ``model`` is refused (secrets)."""
    groups = {}
    if model in env:
        fields = env[model]._fields
        groups = {name: fields[name].groups for name in field_names if name in fields and fields[name].groups}
    # engine messages name the model/field; callers wrap them in a translated sentence
    return secret_extraction_problems(model, [str(name) for name in field_names], groups)


def check_secrets(env, step_name, model, field_names):
    """UserError naming the model/fields when the extraction would copy a secret."""
    problems = secret_problems(env, model, field_names)
    if problems:
        raise UserError(env._("Step %(step)s: %(problems)s", step=step_name, problems="; ".join(problems)))


def _model(step_run, config):
    env = step_run.env
    name = config.get("model") or ""
    check_secrets(env, step_run.step_name, name, list(config.get("fields") or []))
    if name not in env:
        raise UserError(
            env._("Step %(step)s: there is no Odoo model %(model)s.", step=step_run.step_name, model=name)
        )
    # read with the pipeline owner's rights (model ACLs, record rules, field groups): a
    # pipeline must not copy into the warehouse what its owner could not read in Odoo
    owner = step_run.run_id.pipeline_id.owner_id
    if not owner:
        raise UserError(
            env._(
                "Step %(step)s: the pipeline needs an owner, whose access rights the extraction uses.",
                step=step_run.step_name,
            )
        )
    Model = env[name].with_user(owner).with_context(active_test=False)
    names = list(config.get("fields") or [])
    unknown = [f for f in names if f not in Model._fields or not Model._fields[f].store]
    if unknown or "write_date" not in Model._fields:
        raise UserError(
            env._(
                "Step %(step)s: %(model)s has no stored field %(fields)s.",
                step=step_run.step_name,
                model=name,
                fields=", ".join(unknown or ["write_date"]),
            )
        )
    hidden = [f for f in names if not Model._fields[f].is_accessible(Model.env)]
    if not Model.has_access("read") or hidden:
        raise UserError(
            env._(
                "Step %(step)s: the pipeline owner %(owner)s may not read %(what)s.",
                step=step_run.step_name,
                owner=owner.display_name,
                what=", ".join(f"{name}.{f}" for f in hidden) if hidden else name,
            )
        )
    return Model, [Model._fields[f] for f in names if f != "id"]


def run(step_run, config):
    """Load the changed records; returns the step outcome (new versions, log)."""
    Model, fields = _model(step_run, config)
    target = config.get("target") or ""
    conn = connect(step_run._writer_config())
    try:
        odoo_source.ensure_table(conn, target)
        mark = odoo_source.get_watermark(conn, target)
        domain = [("write_date", ">=", mark.write_date - OVERLAP)] if mark.write_date else []
        records = Model.search(domain, order="write_date, id")
        written = 0
        for start in range(0, len(records), CHUNK):
            rows = [
                SourceRow(r.id, r.write_date, {"id": r.id, **{f.name: _value(r, f) for f in fields}})
                for r in records[start : start + CHUNK]
            ]
            written += odoo_source.upsert_rows(conn, target, rows)
        live = odoo_source.live_ids(conn, target)
        gone = sorted(live - set(Model.browse(sorted(live)).exists().ids))
        written += odoo_source.upsert_rows(
            conn, target, [SourceRow(i, None, {"id": i}, deleted=True) for i in gone]
        )
        if records:
            last = records[-1]
            odoo_source.set_watermark(conn, target, last.write_date, last.id)
        conn.commit()
    except IpwbError as exc:
        conn.rollback()
        raise UserError(
            step_run.env._("Step %(step)s: %(error)s", step=step_run.step_name, error=exc)
        ) from None
    finally:
        conn.close()
    since = mark.write_date or "the beginning"
    return {
        "rows_affected": written,
        "log": f"{len(records)} {Model._name} record(s) read since {since}, {len(gone)} deleted; "
        f"{written} new version(s) in {target}",
    }
