"""Langfuse sink: skipped when unset; exports to a Langfuse-compatible endpoint on loopback."""

from __future__ import annotations

import base64
import uuid

import pytest

from ipwb.errors import OutboundRefused
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.gateway import Gateway
from ipwb.llm.langfuse_sink import langfuse_sink
from ipwb.llm.records import CallRecord, TraceStep

from .otlp import Collector


@pytest.mark.parametrize(("pk", "sk"), [(None, None), ("pk", ""), ("", "sk")])
def test_unset_keys_mean_no_sink(pk: str | None, sk: str | None) -> None:
    assert langfuse_sink(pk, sk, "http://127.0.0.1:9", policy=OutboundPolicy()) is None
    Gateway.from_data(None, sinks=[s for s in [langfuse_sink(pk, sk, policy=OutboundPolicy())] if s])


def test_records_and_steps_are_exported(otlp: Collector) -> None:
    public = f"pk-lf-{uuid.uuid4().hex[:8]}"  # the SDK keeps one client per public key
    with pytest.raises(OutboundRefused, match="loopback"):
        langfuse_sink(public, "sk-lf-very-secret", otlp.url, policy=OutboundPolicy())
    policy = OutboundPolicy.from_entries([otlp.url])  # the collector is on loopback
    sink = langfuse_sink(public, "sk-lf-very-secret", otlp.url, policy=policy)
    assert sink is not None
    assert "very-secret" not in repr(sink)
    try:
        sink.record_call(
            CallRecord(
                call_id=uuid.uuid4().hex,
                attempt=1,
                user="alice",
                feature="nl2sql",
                prompt=[{"role": "user", "content": "vat payable march"}],
                model_name="local-a",
                model="openai/local-a",
                response="SELECT 1",
                tokens_in=12,
                tokens_out=3,
                cost_usd=0.002,
            )
        )
        sink.record_step(
            TraceStep(
                run_id="run-1", index=0, kind="tool", user="alice", agent="bookkeeper", tool="lookup_partner"
            )
        )
        sink.flush()
    finally:
        sink.shutdown()
    assert otlp.posts, "nothing was exported"
    path, headers, _ = otlp.posts[0]
    assert path == "/api/public/otel/v1/traces"
    expected = base64.b64encode(f"{public}:sk-lf-very-secret".encode()).decode()
    assert headers["authorization"] == f"Basic {expected}"
    payload = b"".join(p[2] for p in otlp.posts)
    for needle in (b"nl2sql", b"alice", b"openai/local-a", b"lookup_partner"):
        assert needle in payload
