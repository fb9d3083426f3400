"""HTTP JSON webhooks (n8n workflows, Mattermost incoming webhooks) through the outbound policy.

Every call takes the :class:`~ipwb.integrations.outbound.OutboundPolicy` explicitly (no
default, so no caller can forget it) and goes through
:func:`ipwb.integrations.outbound_http.fetch`: allow-listed hosts only, connected to the
vetted address, redirects re-checked, at most :data:`MAX_BODY` bytes read. Retries cover
connection failures, timeouts, 429 and 5xx answers, with exponential backoff; a 4xx other
than 429 is the caller's mistake and fails at once; a refusal of the policy is never
retried. Error messages name the URL as :func:`public_url` shows it (scheme, host, port and
the first path segment: a webhook path or query often embeds its secret), never the body.
The clock's ``sleep`` is injectable so tests do not wait.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.integrations.outbound_http import fetch

MAX_BODY = 65536
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str
    attempts: int
    duration_s: float
    #: the answer was longer than ``max_bytes`` and ``body`` holds its beginning
    truncated: bool = False

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def public_url(url: str) -> str:
    """The URL as an error message may show it: no credentials, query or fragment, and only
    the first path segment (``/webhook``, ``/hooks``), the rest masked — n8n and Mattermost
    put their secret in the path.

    >>> public_url("https://u:pw@n8n.example.com:5678/webhook/9f2c-secret/ready?token=x#y")
    'https://n8n.example.com:5678/webhook/…'
    >>> public_url("http://127.0.0.1:8080/hooks")
    'http://127.0.0.1:8080/hooks'
    >>> public_url("http://[::1]/")
    'http://[::1]/'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    segments = [s for s in parts.path.split("/") if s]
    path = "/" + "/".join(segments[:1]) + ("/…" if len(segments) > 1 else "")
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{path}"


def call_webhook(
    url: str,
    payload: Mapping[str, Any] | None = None,
    *,
    policy: OutboundPolicy,
    method: str = "POST",
    timeout_s: float = 10.0,
    retries: int = 0,
    backoff_s: float = 1.0,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = MAX_BODY,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookResponse:
    """Send ``payload`` as JSON and return the (truncated) answer; raise
    :class:`~ipwb.errors.OutboundRefused` when the policy refuses the URL (or a redirect), and
    :class:`IntegrationError` once every attempt failed."""
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"webhook URL must start with http:// or https://, not {url!r}")
    if method not in ("POST", "PUT", "GET"):
        raise ConfigurationError(f"webhook method must be POST, PUT or GET, not {method!r}")
    data = None if method == "GET" else json.dumps(dict(payload or {}), default=str).encode()
    sent = {"Content-Type": "application/json", "User-Agent": "ipwb-workbench", **(headers or {})}
    shown = public_url(url)
    started = time.perf_counter()
    last = ""
    for attempt in range(1, retries + 2):
        try:
            answer = fetch(
                policy, url, method=method, body=data, headers=sent, timeout_s=timeout_s, max_bytes=max_bytes
            )
        except IntegrationError as exc:  # not OutboundRefused: that is no IntegrationError
            last = f"{shown}: {exc}"
        else:
            if answer.status < 400:
                return WebhookResponse(
                    answer.status, answer.text(), attempt, time.perf_counter() - started, answer.truncated
                )
            last = f"HTTP {answer.status} from {shown}"
            if answer.status not in _RETRY_STATUS:
                raise IntegrationError(last)
        if attempt <= retries:
            sleep(backoff_s * 2 ** (attempt - 1))
    raise IntegrationError(f"{last} (after {retries + 1} attempt(s))")


def post_chat_message(
    url: str, text: str, *, policy: OutboundPolicy, timeout_s: float = 10.0, **extra: Any
) -> WebhookResponse:
    """Mattermost/Slack-compatible incoming webhook: ``{"text": …}`` (plus e.g. ``channel``)."""
    return call_webhook(url, {"text": text, **extra}, policy=policy, timeout_s=timeout_s)
