"""Optional export of call records and agent steps to Langfuse.

Langfuse is one more sink: configured by public key, secret key and host (Settings in
Odoo), and simply absent when they are not set — :func:`langfuse_sink` returns ``None``
and the gateway runs without it. Each model attempt becomes a Langfuse *generation* (model,
input, output, token usage, cost, user, session) in a trace per gateway call; each agent
step becomes an observation in a trace per agent run. The SDK batches and sends in the
background (OpenTelemetry exporter); :meth:`LangfuseSink.flush` forces delivery.

The host is checked with the outbound policy when the sink is built (an allow-listed host,
no loopback/private/metadata address unless allow-listed). The SDK's exporter connects with
its own HTTP client, which resolves the name again: a host whose DNS changes afterwards
(DNS rebinding) is not pinned as webhooks are. The host is an administrator's setting.
"""

from __future__ import annotations

import logging
from typing import Any

from ipwb.errors import ConfigurationError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.records import BaseSink, CallRecord, TraceStep

_logger = logging.getLogger(__name__)

_STEP_TYPES = {"tool": "tool", "tool_error": "tool", "model": "generation"}


DEFAULT_HOST = "https://cloud.langfuse.com"


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
            public_key=public_key, secret_key=secret_key, host=self.host, **options
        )

    def __repr__(self) -> str:  # never show the keys
        return f"LangfuseSink(host={self.host!r})"

    def record_call(self, record: CallRecord) -> None:
        trace_id = self._client.create_trace_id(seed=record.call_id)
        with self._langfuse.propagate_attributes(
            user_id=record.user, session_id=record.session or None, trace_name=record.feature
        ):
            generation = self._client.start_observation(
                trace_context={"trace_id": trace_id},
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
        trace_id = self._client.create_trace_id(seed=step.run_id)
        with self._langfuse.propagate_attributes(user_id=step.user, trace_name=f"agent:{step.agent}"):
            observation = self._client.start_observation(
                trace_context={"trace_id": trace_id},
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
