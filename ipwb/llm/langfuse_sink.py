"""Optional export of call records and agent steps to Langfuse.

Langfuse is one more sink: configured by public key, secret key and host (Settings in
Odoo), and simply absent when they are not set — :func:`langfuse_sink` returns ``None``
and the gateway runs without it. Each model attempt becomes a Langfuse *generation* (model,
input, output, token usage, cost, user, session); each agent step an observation. The SDK
batches and sends in the background (OpenTelemetry OTLP/HTTP exporter);
:meth:`LangfuseSink.flush` forces delivery.

An agent run is one trace, whichever processes drive it: its trace id and the span id of
its root span (``agent:<name>``, sent with the run's first step) are derived from the run's
thread id (:func:`run_trace`), and every model call and step of the run is a child of that
root span — a run resumed by another worker continues the same trace under the same
parent. A model call outside an agent run is a trace of its own.

The host is checked with the outbound policy when the sink is built (an allow-listed host,
no loopback/private/metadata address unless allow-listed). The SDK's exporter connects with
its own HTTP client, which resolves the name again: a host whose DNS changes afterwards
(DNS rebinding) is not pinned as webhooks are. The host is an administrator's setting.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from ipwb.errors import ConfigurationError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.records import BaseSink, CallRecord, TraceStep

_logger = logging.getLogger(__name__)

_STEP_TYPES = {"tool": "tool", "tool_error": "tool", "model": "generation"}


DEFAULT_HOST = "https://cloud.langfuse.com"


def run_trace(run_id: str) -> tuple[str, str]:
    """(trace id, root span id) of an agent run, as the lower-case hex OpenTelemetry uses;
    the same in every process (Langfuse's ``create_trace_id(seed=…)`` gives the same trace id).

    >>> run_trace("thread-1")
    ('4b0a5fefc328e6b9257bc535e3c5d26f', '88edafb30af2bece')
    """
    digest = hashlib.sha256(run_id.encode()).hexdigest()
    span = hashlib.sha256(f"ipwb-agent-run:{run_id}".encode()).hexdigest()[:16]
    return digest[:32], span


class _RunIds(RandomIdGenerator):
    """Random ids, except for the root span of an agent run, whose ids are forced (per
    thread) so that any process can name it as the parent of the run's spans."""

    def __init__(self) -> None:
        self._forced = threading.local()

    def force(self, trace_id: int, span_id: int) -> None:
        self._forced.ids = (trace_id, span_id)

    def clear(self) -> None:
        self._forced.ids = None

    def generate_trace_id(self) -> int:
        ids = getattr(self._forced, "ids", None)
        return ids[0] if ids else super().generate_trace_id()

    def generate_span_id(self) -> int:
        ids = getattr(self._forced, "ids", None)
        self._forced.ids = None
        return ids[1] if ids else super().generate_span_id()


#: one generator for every client: the SDK keeps one tracer provider per public key
_IDS = _RunIds()


def langfuse_sink(
    public_key: str | None,
    secret_key: str | None,
    host: str | None = None,
    *,
    policy: OutboundPolicy,
    **options: Any,
) -> LangfuseSink | None:
    """A sink when both keys are set, else ``None`` (Langfuse is optional); raises
    :class:`~ipwb.errors.OutboundRefused` when the policy refuses the host."""
    if not public_key or not secret_key:
        return None
    return LangfuseSink(public_key, secret_key, host, policy=policy, **options)


class LangfuseSink(BaseSink):
    def __init__(
        self,
        public_key: str,
        secret_key: str,
        host: str | None = None,
        *,
        policy: OutboundPolicy,
        **options: Any,
    ) -> None:
        policy.check_url(host or DEFAULT_HOST)
        try:
            import langfuse  # noqa: PLC0415  (optional dependency)
        except ImportError:
            raise ConfigurationError(
                "Langfuse keys are configured but the 'langfuse' package is not installed: "
                "pip install 'ipwb[integrations]'"
            ) from None
        self._langfuse = langfuse
        self.host = host or DEFAULT_HOST
        # Any: the SDK overloads start_observation per literal type; ours is chosen at run time
        self._client: Any = langfuse.Langfuse(
            public_key=public_key, secret_key=secret_key, host=self.host, id_generator=_IDS, **options
        )

    def __repr__(self) -> str:  # never show the keys
        return f"LangfuseSink(host={self.host!r})"

    def record_call(self, record: CallRecord) -> None:
        run_id = str(record.metadata.get("run_id") or "")
        if run_id:  # a model turn of an agent run: a child of the run's root span
            trace_id, root = run_trace(run_id)
            context = {"trace_id": trace_id, "parent_span_id": root}
        else:
            context = {"trace_id": self._client.create_trace_id(seed=record.call_id)}
        with self._langfuse.propagate_attributes(
            user_id=record.user, session_id=record.session or None, trace_name=record.feature
        ):
            generation = self._client.start_observation(
                trace_context=context,
                name=record.feature,
                as_type="generation",
                input=list(record.prompt),
                output=record.response or None,
                model=record.model or None,
                usage_details={"input": record.tokens_in, "output": record.tokens_out},
                cost_details={"total": record.cost_usd},
                metadata={
                    "attempt": record.attempt,
                    "model_name": record.model_name,
                    "cached": record.cached,
                    "cost_source": record.cost_source,
                    "latency_ms": round(record.latency_ms, 1),
                    "error_kind": record.error_kind,
                },
                level="ERROR" if record.error else "DEFAULT",
                status_message=record.error or None,
            )
            generation.end()

    def record_step(self, step: TraceStep) -> None:
        trace_id, root = run_trace(step.run_id)
        with self._langfuse.propagate_attributes(user_id=step.user, trace_name=f"agent:{step.agent}"):
            if step.index == 0:  # the run's first step: open its root span, under the derived ids
                _IDS.force(int(trace_id, 16), int(root, 16))
                try:
                    self._client.start_observation(
                        name=f"run:{step.agent}", as_type="agent", metadata={"run_id": step.run_id}
                    ).end()
                finally:
                    _IDS.clear()
            observation = self._client.start_observation(
                trace_context={"trace_id": trace_id, "parent_span_id": root},
                name=step.tool or step.kind,
                as_type=_STEP_TYPES.get(step.kind, "span"),
                input=dict(step.arguments) or None,
                output=step.output or None,
                metadata={"index": step.index, "kind": step.kind, "touched": [list(t) for t in step.touched]},
                level="ERROR" if step.error else "DEFAULT",
                status_message=step.error or None,
            )
            observation.end()

    def flush(self) -> None:
        self._client.flush()

    def shutdown(self) -> None:
        self._client.shutdown()
