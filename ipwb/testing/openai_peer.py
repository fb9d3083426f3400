"""A protocol-faithful OpenAI chat-completions server on 127.0.0.1 for tests.

The gateway is tested through the real litellm → openai-client → HTTP path, so this peer
speaks the wire format (``POST /v1/chat/completions`` and ``/chat/completions``) and answers
from a FIFO script: text completions with ``usage``, ``tool_calls``, HTTP errors, a delay past
the client's timeout, or a malformed body. Every request body is recorded so tests can assert
what was sent (e.g. that a repair prompt carried the validation error).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclasses.dataclass
class Scripted:
    """One scripted answer. ``kind`` is "text", "tool_calls", "error", "delay" or "malformed"."""

    kind: str
    content: str = ""
    tool_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    status: int = 200
    prompt_tokens: int = 11
    completion_tokens: int = 7


@dataclasses.dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class OpenAIPeer:
    """Threaded HTTP server answering chat completions from a script."""

    def __init__(self) -> None:
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._ids = itertools.count(1)
        self.requests: list[Recorded] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> OpenAIPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # wake up any handler stuck in a "delay"
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # -- script ----------------------------------------------------------------------------
    def reply(self, content: str, prompt_tokens: int = 11, completion_tokens: int = 7) -> None:
        self._push(
            Scripted("text", content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        )

    def tool_call(
        self,
        name: str,
        arguments: dict[str, Any] | str,
        call_id: str | None = None,
        completion_tokens: int = 7,
    ) -> None:
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        call = {
            "id": call_id or f"call_{next(self._ids)}",
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
        self._push(Scripted("tool_calls", tool_calls=[call], completion_tokens=completion_tokens))

    def tool_calls(self, *calls: tuple[str, dict[str, Any] | str], completion_tokens: int = 7) -> None:
        """One turn proposing several calls at once (a batch)."""
        parts = [
            {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for name, args in calls
        ]
        self._push(Scripted("tool_calls", tool_calls=parts, completion_tokens=completion_tokens))

    def error(self, status: int = 500) -> None:
        self._push(Scripted("error", status=status))

    def hang(self) -> None:
        """Answer only after the test ends: the client's timeout must fire first."""
        self._push(Scripted("delay"))

    def malformed(self) -> None:
        self._push(Scripted("malformed"))

    def _push(self, item: Scripted) -> None:
        with self._lock:
            self._script.append(item)

    def _next(self) -> Scripted | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    # -- HTTP ------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path not in CHAT_PATHS:
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
                    return
                with peer._lock:
                    peer.requests.append(Recorded(self.path, dict(self.headers.items()), body))
                item = peer._next()
                if item is None:
                    self._send(500, {"error": {"message": "peer script exhausted", "type": "server_error"}})
                elif item.kind == "error":
                    self._send(
                        item.status, {"error": {"message": "scripted failure", "type": "server_error"}}
                    )
                elif item.kind == "delay":
                    peer._release.wait(30)
                    self._send(200, peer._completion(body, Scripted("text", "too late")))
                elif item.kind == "malformed":
                    self._send_raw(200, b'{"id": "x", "choices": [ this is not json')
                else:
                    self._send(200, peer._completion(body, item))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                self._send_raw(status, json.dumps(payload).encode())

            def _send_raw(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout): nothing to answer

        return Handler

    def _completion(self, body: dict[str, Any], item: Scripted) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": item.content or None}
        finish = "stop"
        if item.kind == "tool_calls":
            message["tool_calls"] = item.tool_calls
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": item.prompt_tokens,
                "completion_tokens": item.completion_tokens,
                "total_tokens": item.prompt_tokens + item.completion_tokens,
            },
        }
