"""A loopback round-robin HTTP/1.1 reverse proxy for the several-servers tests.

Each request goes to the next backend in turn. When a backend refuses the connection or
drops it before answering (a killed server), the request is sent to the next backend, as
an ingress with ``proxy_next_upstream error`` does; a backend that answered, even with an
error status, is never retried. Every answer carries ``X-Ipwb-Backend`` naming the server
that produced it, and :attr:`RoundRobinProxy.log` records each attempt.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import itertools
import threading

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


@dataclasses.dataclass
class Attempt:
    method: str
    path: str
    backend: str
    error: str = ""


class RoundRobinProxy:
    def __init__(self, port: int, backends: dict[str, int], timeout: float = 120) -> None:
        self.backends = dict(backends)
        self.timeout = timeout
        self.log: list[Attempt] = []
        self._lock = threading.Lock()
        self._cycle = itertools.cycle(list(self.backends))
        self._pinned: str | None = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["X-Forwarded-For"] = self.client_address[0]
                answer = proxy.forward(self.command, self.path, headers, body)
                if answer is None:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                backend, status, reason, answer_headers, content = answer
                self.send_response(status, reason)
                for key, value in answer_headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("X-Ipwb-Backend", backend)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def send_next_to(self, name: str) -> None:
        """Route the next request to ``name`` (then round robin resumes)."""
        with self._lock:
            self._pinned = name

    def _order(self) -> list[str]:
        with self._lock:
            first = self._pinned or next(self._cycle)
            self._pinned = None
        names = list(self.backends)
        start = names.index(first)
        return names[start:] + names[:start]

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, int, str, list[tuple[str, str]], bytes] | None:
        for name in self._order():
            attempt = Attempt(method, path, name)
            with self._lock:
                self.log.append(attempt)
            connection = http.client.HTTPConnection("127.0.0.1", self.backends[name], timeout=self.timeout)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
            except (ConnectionError, http.client.HTTPException) as error:
                # refused, or closed before a status line: nothing was answered, the next
                # backend gets the request
                attempt.error = type(error).__name__
                connection.close()
                continue
            try:
                content = response.read()
            except (ConnectionError, http.client.HTTPException) as error:
                # the backend had started answering: a retry could repeat its effect
                attempt.error = type(error).__name__
                return None
            finally:
                connection.close()
            return name, response.status, response.reason, response.getheaders(), content
        return None

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
