"""A loopback OTLP/HTTP receiver (Langfuse's ``/api/public/otel/v1/traces``) and the
decoding of what it received: shared by the Langfuse sink, checkpointer and agent-resume
tests (the ``otlp`` fixture of ``tests/conftest.py``)."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def exported_spans(collector: Collector) -> list[Any]:
    """Every span the collector received, decoded (all posts must be trace exports)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: PLC0415
        ExportTraceServiceRequest,
    )

    spans = []
    for path, _headers, body in collector.posts:
        assert path == "/api/public/otel/v1/traces"
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        spans += [s for r in request.resource_spans for scope in r.scope_spans for s in scope.spans]
    return spans
