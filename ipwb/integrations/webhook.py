"""HTTP JSON webhooks (n8n workflows, Mattermost incoming webhooks) over the standard library.

Why urllib and not requests: the engine's core dependencies stay small, and a webhook is
one JSON request. Retries cover connection failures, timeouts, 429 and 5xx answers, with
exponential backoff; a 4xx other than 429 is the caller's mistake and fails at once.
The clock's ``sleep`` is injectable so tests do not wait.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError

MAX_BODY = 65536
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str
    attempts: int
    duration_s: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def call_webhook(
    url: str,
    payload: Mapping[str, Any] | None = None,
    *,
    method: str = "POST",
    timeout_s: float = 10.0,
    retries: int = 0,
    backoff_s: float = 1.0,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookResponse:
    """Send ``payload`` as JSON and return the (truncated) answer; raise
    :class:`IntegrationError` once every attempt failed."""
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"webhook URL must start with http:// or https://, not {url!r}")
    if method not in ("POST", "PUT", "GET"):
        raise ConfigurationError(f"webhook method must be POST, PUT or GET, not {method!r}")
    data = None if method == "GET" else json.dumps(dict(payload or {}), default=str).encode()
    started = time.perf_counter()
    last = ""
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (scheme checked)
        request.add_header("Content-Type", "application/json")
        request.add_header("User-Agent", "ipwb-workbench")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # noqa: S310 (scheme checked)
                body = answer.read(MAX_BODY).decode("utf-8", "replace")
                return WebhookResponse(answer.status, body, attempt, time.perf_counter() - started)
        except urllib.error.HTTPError as exc:
            body = exc.read(MAX_BODY).decode("utf-8", "replace") if exc.fp else ""
            last = f"HTTP {exc.code} from {url}: {body[:300]}".strip()
            if exc.code not in _RETRY_STATUS:
                raise IntegrationError(last) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"cannot reach {url}: {reason}"
        if attempt <= retries:
            sleep(backoff_s * 2 ** (attempt - 1))
    raise IntegrationError(f"{last} (after {retries + 1} attempt(s))")


def post_chat_message(url: str, text: str, *, timeout_s: float = 10.0, **extra: Any) -> WebhookResponse:
    """Mattermost/Slack-compatible incoming webhook: ``{"text": …}`` (plus e.g. ``channel``)."""
    return call_webhook(url, {"text": text, **extra}, timeout_s=timeout_s)
