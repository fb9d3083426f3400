"""Score alerts to a Mattermost-compatible incoming webhook (``POST {"text": …}``).

Through the outbound policy (:func:`ipwb.integrations.outbound_http.fetch`: allow-listed
hosts only, vetted address, redirects re-checked), a timeout on every call, and failures
raised as :class:`~ipwb.errors.IntegrationError` (or :class:`~ipwb.errors.OutboundRefused`)
with the URL's host only (a webhook URL embeds its secret key in the path, so the path is
never echoed).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping

from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.integrations.outbound_http import fetch

DEFAULT_TIMEOUT_S = 5.0


def post_webhook(url: str, text: str, *, policy: OutboundPolicy, timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """POST ``{"text": text}`` as JSON; return the HTTP status (2xx) or raise."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigurationError("The alert webhook URL must be an http(s) URL")
    body = json.dumps({"text": text}).encode("utf-8")
    try:
        answer = fetch(
            policy,
            url,
            method="POST",
            body=body,
            headers={"Content-Type": "application/json"},
            timeout_s=timeout_s,
            max_bytes=4096,
        )
    except IntegrationError as exc:
        raise IntegrationError(f"Webhook at {parsed.hostname} could not be reached: {exc}") from None
    if answer.status >= 400:
        raise IntegrationError(f"Webhook at {parsed.hostname} answered HTTP {answer.status}")
    return answer.status


def score_alert_text(name: str, overall: float, threshold: float, dimensions: Mapping[str, float]) -> str:
    """The alert message (Markdown, as Mattermost renders it).

    >>> score_alert_text("silver.s", 61.25, 80, {"completeness": 50.0})
    ':warning: Guardian score of **silver.s** dropped to **61.2** (threshold 80): completeness 50.0'
    """
    dims = ", ".join(f"{k} {v:.1f}" for k, v in dimensions.items())
    return (
        f":warning: Guardian score of **{name}** dropped to **{overall:.1f}** "
        f"(threshold {threshold:g}): {dims}"
    )
