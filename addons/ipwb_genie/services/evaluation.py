# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Genie › Evaluations: the engine's evaluation harness on the workbench's own warehouse.

The same code as ``ipwb genie eval`` (:mod:`ipwb.llm.evaluate`), fed with what Genie uses
for a question: the live catalog as the requesting user sees it, the guarded read-only
executor under that user's warehouse role, and one configured model — alone, without the
fallback chain, since a fallback answering would be measuring another model. Calls are
traced and costed like every Genie call (feature ``nl2sql_eval``).
"""

import os
from pathlib import Path

from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.llm.evaluate import load_eval_set, run_eval
from ipwb.llm.gateway import Gateway
from ipwb.llm.nl2sql import Nl2Sql

from .gateway import OdooSink, gateway_data, user_label
from .warehouse import catalog_for, read_only_executor

#: evaluation sets shipped with the workbench (``specs/genie/*_eval.yaml``)
SETS_DIR = Path(os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "specs", "genie")))
SET_SUFFIX = "_eval.yaml"


def available_sets():
    """(key, label) of every shipped set; the key is the only thing a user picks, never a path."""
    if not SETS_DIR.is_dir():
        return []
    return [(p.name[: -len(SET_SUFFIX)], p.name) for p in sorted(SETS_DIR.glob(f"*{SET_SUFFIX}"))]


def set_path(env, key):
    paths = {k: SETS_DIR / label for k, label in available_sets()}
    if key not in paths:
        raise UserError(env._("Unknown evaluation set %s.", key))
    return paths[key]


def model_gateway(env, llm_model, sink):
    """A gateway over ``llm_model`` only (no fallback, no response cache: a fresh answer per
    question); the session cost cap of Settings applies through the run's session."""
    records = env["ipwb.llm.model"].sudo()._get_gateway_models()
    if llm_model not in records:
        raise UserError(env._("The model %s is not active: activate it to evaluate it.", llm_model.name))
    data = gateway_data(env)
    entry = data["models"][records.ids.index(llm_model.id)]
    data["models"] = [entry]
    # a batch queued by an AI Orchestrator: the per-minute limit is for interactive use
    data.pop("rate_limit", None)
    data["cache_ttl"] = 0
    outbound = env["ipwb.outbound.policy"]._ipwb_policy()
    try:
        return Gateway.from_data(data, sinks=[sink], outbound=outbound), entry["name"]
    except IpwbError as exc:
        raise UserError(env._("The LLM configuration is invalid: %s", exc)) from None


def evaluate(env, run):
    """Run ``run``'s set with the current user's rights; return the engine's report."""
    eval_set = load_eval_set(set_path(env, run.eval_set))
    connection = run.connection_id
    catalog = catalog_for(env, connection)
    sink = OdooSink(env, link=run)
    gateway, name = model_gateway(env, run.llm_model_id, sink)
    session = gateway.new_session(f"genie-eval-{run.id}")
    executor = read_only_executor(env, connection, {})
    report = run_eval(
        eval_set,
        catalog,
        nl2sql=Nl2Sql(catalog, gateway),
        executor=executor,
        user=user_label(env),
        model=name,
        session=session,
    )
    return report, sum(sink.traces.mapped("cost_usd"))
