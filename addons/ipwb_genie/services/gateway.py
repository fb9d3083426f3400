# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The engine's LLM gateway, configured from Odoo records and settings.

Why the gateway is rebuilt per request but its cache and rate limiter are not: the
per-user token bucket and the response cache only mean something if they outlive one
request, so they are kept per database and configuration in this worker process (a
multi-worker server therefore limits per worker). Models, keys and settings are read on
every call, so a change in Settings applies immediately.

Traces and costs are written by :class:`OdooSink` in the *feature's own transaction*,
as superuser. Features never let an engine error escape after a model was called: they
record a failed outcome (an error message in the conversation, a failed agent run, a
wizard showing the problems) and return normally, so the traces and cost entries of
failures are committed with it. Only refusals before any call (no model configured) raise
a ``UserError``. A separate cursor was rejected on purpose: it would commit traces
pointing at records the feature then rolls back.
"""

import hashlib
import json
import logging
import threading
import time

from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.llm.cache import MemoryCache
from ipwb.llm.gateway import Gateway
from ipwb.llm.langfuse_sink import DEFAULT_HOST as LANGFUSE_DEFAULT_HOST
from ipwb.llm.langfuse_sink import langfuse_sink
from ipwb.llm.ratelimit import TokenBucketLimiter
from ipwb.llm.records import BaseSink

_logger = logging.getLogger(__name__)

#: system parameters (Settings › Genie); secrets are readable by administrators only
PARAM_RATE_LIMIT = "ipwb_genie.rate_limit_per_minute"
PARAM_CACHE_TTL = "ipwb_genie.cache_ttl"
PARAM_MAX_COST_CALL = "ipwb_genie.max_cost_per_call"
PARAM_MAX_COST_SESSION = "ipwb_genie.max_cost_per_session"
PARAM_LANGFUSE_PUBLIC = "ipwb_genie.langfuse_public_key"
PARAM_LANGFUSE_SECRET = "ipwb_genie.langfuse_secret_key"  # noqa: S105  (a parameter name)
PARAM_LANGFUSE_HOST = "ipwb_genie.langfuse_host"

DEFAULT_RATE_LIMIT = 20
SELF_HOSTED_NO_KEY = "no-key"
DEFAULT_CACHE_TTL = 3600

_shared_lock = threading.Lock()
#: (database, configuration fingerprint) → (response cache, limiter or None), and the
#: Langfuse sinks by ("langfuse", database, keys fingerprint)
_shared = {}


def _float_param(params, key, default=0.0):
    try:
        return float(params.get_param(key) or default)
    except ValueError:
        return default


def langfuse_host(env):
    """The Langfuse host the sink would export to, or None when Langfuse is not configured."""
    params = env["ir.config_parameter"].sudo()
    if not params.get_param(PARAM_LANGFUSE_PUBLIC) or not params.get_param(PARAM_LANGFUSE_SECRET):
        return None
    return params.get_param(PARAM_LANGFUSE_HOST) or LANGFUSE_DEFAULT_HOST


def gateway_data(env):
    """Plain gateway configuration (``Gateway.from_data`` shape) from records and settings."""
    records = env["ipwb.llm.model"].sudo()._get_gateway_models()
    names = records.mapped("name")
    models = []
    for record in records:
        entry = {
            "name": record.name if names.count(record.name) == 1 else f"{record.name} #{record.id}",
            "model": record.litellm_model,
            "timeout": record.timeout,
            "max_retries": record.max_retries,
        }
        if record.api_base:
            entry["api_base"] = record.api_base
        if record.api_key:
            entry["api_key"] = record.api_key
        elif record.api_base:
            # self-hosted OpenAI-compatible servers usually take no key, but the OpenAI
            # client refuses to send a request without one
            entry["api_key"] = SELF_HOSTED_NO_KEY
        if record.input_price_per_1k or record.output_price_per_1k:
            entry["input_price_per_1k"] = record.input_price_per_1k
            entry["output_price_per_1k"] = record.output_price_per_1k
        models.append(entry)
    params = env["ir.config_parameter"].sudo()
    rate = int(_float_param(params, PARAM_RATE_LIMIT, DEFAULT_RATE_LIMIT))
    data = {
        "models": models,
        "cache_ttl": _float_param(params, PARAM_CACHE_TTL, DEFAULT_CACHE_TTL),
        "max_cost_per_call": _float_param(params, PARAM_MAX_COST_CALL) or None,
        "max_cost_per_session": _float_param(params, PARAM_MAX_COST_SESSION) or None,
    }
    if rate > 0:
        data["rate_limit"] = {"capacity": rate, "per_minute": float(rate)}
    return data


def _fingerprint(data):
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build_gateway(env, sink=None):
    """A gateway for the current user; raises the translated 'no model' ``UserError``."""
    data = gateway_data(env)
    key = (env.cr.dbname, _fingerprint(data))
    with _shared_lock:
        if key not in _shared:
            rate = data.get("rate_limit")
            limiter = TokenBucketLimiter(rate["capacity"], rate["per_minute"]) if rate else None
            ttl = data["cache_ttl"]
            _shared[key] = (MemoryCache(512, ttl if ttl > 0 else 1e-9), limiter)
        cache, limiter = _shared[key]
    outbound = env["ipwb.outbound.policy"]._ipwb_policy()
    sinks = [sink] if sink is not None else []
    extra = _langfuse(env, outbound)
    if extra is not None:
        sinks.append(extra)
    try:
        return Gateway.from_data(data, sinks=sinks, cache=cache, limiter=limiter, outbound=outbound)
    except IpwbError as exc:
        raise UserError(env._("The LLM configuration is invalid: %s", exc)) from None


def _langfuse(env, outbound=None):
    """The Langfuse sink when both keys are set: one per worker and configuration, since
    each holds a client exporting in the background. Its host is checked with the outbound
    policy (a refused host: no export, a warning in the log)."""
    if outbound is None:
        outbound = env["ipwb.outbound.policy"]._ipwb_policy()
    params = env["ir.config_parameter"].sudo()
    public, secret = params.get_param(PARAM_LANGFUSE_PUBLIC), params.get_param(PARAM_LANGFUSE_SECRET)
    if not public or not secret:
        return None
    host = params.get_param(PARAM_LANGFUSE_HOST) or None
    key = (
        "langfuse",
        env.cr.dbname,
        _fingerprint([public, secret, host, [str(e) for e in outbound.allowed]]),
    )
    with _shared_lock:
        if key not in _shared:
            try:
                _shared[key] = langfuse_sink(public, secret, host, policy=outbound)
            except IpwbError as exc:  # optional: a broken export must not stop Genie
                _logger.warning("Langfuse export disabled: %s", exc)
                _shared[key] = None
        return _shared[key]


def user_label(env):
    return env.user.login or str(env.uid)


class OdooSink(BaseSink):
    """Writes every call into ``ipwb.llm.trace`` and, for calls that reached a model, the
    cost ledger; agent steps into ``ipwb.agent.step``. ``link`` is the record the feature
    works for (a conversation message, an agent run, a pipeline wizard)."""

    def __init__(self, env, link=None, run=None):
        self.env = env(su=True)
        self.uid = env.uid
        self.link = link
        #: the ipwb.agent.run receiving steps
        self.run = run
        #: every trace written through this sink (superuser recordset)
        self.traces = self.env["ipwb.llm.trace"]

    def _link_values(self):
        if not self.link:
            return {}
        return {"res_model": self.link._name, "res_id": self.link.id}

    def record_call(self, record):
        values = {
            "call_id": record.call_id,
            "attempt": record.attempt,
            "user_id": self.uid,
            "feature": record.feature,
            "model_name": record.model_name,
            "litellm_model": record.model,
            "prompt": json.dumps(list(record.prompt), indent=1, default=str),
            "response": record.response,
            "tokens_in": record.tokens_in,
            "tokens_out": record.tokens_out,
            "latency_ms": record.latency_ms,
            "cost_usd": record.cost_usd,
            "cost_source": record.cost_source,
            "error": record.error,
            "error_kind": record.error_kind,
            "cached": record.cached,
            "session": record.session,
            "agent_run_id": self.run.id if self.run else False,
            **self._link_values(),
        }
        trace = self.env["ipwb.llm.trace"].create(values)
        self.traces |= trace
        if record.model_name and not record.cached:
            link = self._link_values() or {"res_model": trace._name, "res_id": trace.id}
            self.env["ipwb.cost.entry"].create(
                {
                    "source": "llm",
                    "description": f"{record.feature} ({record.error_kind or 'ok'})",
                    "model_name": record.model_name,
                    "tokens_in": record.tokens_in,
                    "tokens_out": record.tokens_out,
                    "compute_seconds": record.latency_ms / 1000.0,
                    "amount_usd": record.cost_usd,
                    "user_id": self.uid,
                    **link,
                }
            )

    def record_step(self, step):
        if not self.run:
            return
        self.env["ipwb.agent.step"].create(
            {
                "run_id": self.run.id,
                "index": step.index,
                "kind": step.kind,
                "tool": step.tool,
                "arguments": json.dumps(dict(step.arguments), default=str) if step.arguments else "",
                "output": step.output,
                "error": step.error,
                "call_ids": " ".join(step.call_ids),
                "touched": json.dumps([list(t) for t in step.touched]) if step.touched else "",
                "cost_usd": step.cost_usd,
            }
        )


class Catalogs:
    """NL→SQL catalogs per database and warehouse connection, rebuilt after ``TTL`` seconds."""

    TTL = 300.0
    _lock = threading.Lock()
    _cache = {}

    @classmethod
    def get(cls, key, build):
        now = time.monotonic()
        with cls._lock:
            hit = cls._cache.get(key)
            if hit and now - hit[0] < cls.TTL:
                return hit[1]
        value = build()
        with cls._lock:
            cls._cache[key] = (now, value)
        return value

    @classmethod
    def clear(cls):
        with cls._lock:
            cls._cache.clear()
