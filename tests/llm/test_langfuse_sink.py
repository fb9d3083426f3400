"""Langfuse sink: skipped when unset; exports to a Langfuse-compatible endpoint on loopback."""

from __future__ import annotations

import base64
import gzip
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ipwb.errors import OutboundRefused
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.gateway import Gateway
from ipwb.llm.langfuse_sink import langfuse_sink
from ipwb.llm.records import CallRecord, TraceStep


class Collector:
    """Accepts OTLP/HTTP posts like Langfuse's /api/public/otel/v1/traces and keeps them."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                collector.posts.append((self.path, headers, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()
    c.server.server_close()


@pytest.mark.parametrize(("pk", "sk"), [(None, None), ("pk", ""), ("", "sk")])
def test_unset_keys_mean_no_sink(pk: str | None, sk: str | None) -> None:
    assert langfuse_sink(pk, sk, "http://127.0.0.1:9", policy=OutboundPolicy()) is None
    Gateway.from_data(None, sinks=[s for s in [langfuse_sink(pk, sk, policy=OutboundPolicy())] if s])


def test_records_and_steps_are_exported(collector: Collector) -> None:
    public = f"pk-lf-{uuid.uuid4().hex[:8]}"  # the SDK keeps one client per public key
    with pytest.raises(OutboundRefused, match="loopback"):
        langfuse_sink(public, "sk-lf-very-secret", collector.url, policy=OutboundPolicy())
    policy = OutboundPolicy.from_entries([collector.url])  # the collector is on loopback
    sink = langfuse_sink(public, "sk-lf-very-secret", collector.url, policy=policy)
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
    assert collector.posts, "nothing was exported"
    path, headers, _ = collector.posts[0]
    assert path == "/api/public/otel/v1/traces"
    expected = base64.b64encode(f"{public}:sk-lf-very-secret".encode()).decode()
    assert headers["authorization"] == f"Basic {expected}"
    payload = b"".join(p[2] for p in collector.posts)
    for needle in (b"nl2sql", b"alice", b"openai/local-a", b"lookup_partner"):
        assert needle in payload
