"""Score alerts to a Mattermost-compatible incoming webhook (``POST {"text": …}``).

Plain ``urllib`` (no extra dependency), a timeout on every call, and failures raised as
:class:`~ipwb.errors.IntegrationError` with the URL's host only (a webhook URL embeds its
secret key in the path, so the path is never echoed).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from ipwb.errors import ConfigurationError, IntegrationError

DEFAULT_TIMEOUT_S = 5.0


def post_webhook(url: str, text: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """POST ``{"text": text}`` as JSON; return the HTTP status (2xx) or raise."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigurationError("The alert webhook URL must be an http(s) URL")
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise IntegrationError(f"Webhook at {parsed.hostname} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IntegrationError(f"Webhook at {parsed.hostname} could not be reached: {reason}") from None
    return status


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
