"""The one place that imports litellm.

litellm is imported lazily (it takes a second or two and is an optional dependency), after
forcing its bundled price map (``LITELLM_LOCAL_MODEL_COST_MAP``) because the servers this
runs on may have no internet access. The backend turns litellm's responses and exceptions
into the engine's small vocabulary (:class:`Completion`, :class:`BackendError` with a
``kind`` and whether it is worth retrying elsewhere), and scrubs API keys from any message.
The gateway depends only on the :class:`Backend` protocol.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, Protocol

from ipwb.errors import ConfigurationError, IntegrationError, OutboundRefused
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.config import ModelEntry

#: litellm arguments that choose where a call goes; only the checked ``api_base`` is passed
_ENDPOINT_KEYS = ("api_base", "base_url", "custom_llm_provider")

#: error kinds after which the gateway retries and then falls back to the next model
TRANSIENT_KINDS = frozenset({"timeout", "connection", "server", "rate_limited", "malformed"})


@dataclasses.dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    #: raw JSON text as the model produced it (may be invalid: the agent validates it)
    arguments: str

    def as_message_part(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclasses.dataclass(frozen=True)
class Completion:
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    finish_reason: str = ""
    #: cost litellm computed from its price map, or None when it does not know the model
    provider_cost: float | None = None

    def assistant_message(self) -> dict[str, Any]:
        """The assistant turn in OpenAI chat format, to append to a conversation."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            message["tool_calls"] = [t.as_message_part() for t in self.tool_calls]
        return message

    def response_text(self) -> str:
        """Text for records: the content, or the tool calls as JSON."""
        if self.tool_calls:
            calls = [{"name": t.name, "arguments": t.arguments} for t in self.tool_calls]
            return json.dumps({"content": self.content, "tool_calls": calls})
        return self.content


class BackendError(Exception):
    """A failed model call; ``kind`` classifies it, ``transient`` says retry/fallback helps."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_KINDS


class Backend(Protocol):
    def complete(
        self,
        entry: ModelEntry,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        params: Mapping[str, Any],
    ) -> Completion: ...

    def count_tokens(
        self,
        entry: ModelEntry,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> int: ...

    def price_per_token(self, entry: ModelEntry) -> tuple[float, float] | None: ...


def load_litellm() -> ModuleType:
    """Import litellm configured for offline use, or explain how to install it."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm  # noqa: PLC0415  (lazy: optional and slow to import)
    except ImportError:
        raise ConfigurationError(
            "The LLM gateway needs the 'litellm' package: pip install 'ipwb[llm]'"
        ) from None
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    # litellm logs every call at INFO on stdout handlers of its own; inside Odoo (whose root
    # logger is at INFO) that floods the server log and breaks the CLI's JSON on stdout.
    # The gateway records calls itself, so only litellm's warnings are worth keeping.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return litellm


class LiteLLMBackend:
    """Calls models through ``litellm.completion`` (retries are the gateway's job).

    Before each call the endpoint is checked with the outbound policy: an entry's
    ``api_base`` must be allow-listed; without one, the provider's built-in endpoint (as
    litellm reports it) may be any public host but not a local one (``ollama/…`` defaults to
    ``localhost:11434``: give it an allow-listed base URL). Residual risk, documented: litellm
    connects with its own HTTP client, which resolves the name again, so a host name whose DNS
    changes between the check and the connection (DNS rebinding) is not pinned here as it is
    for webhooks; allow-list LLM endpoints by names you control, or by IP address.
    """

    def __init__(self, outbound: OutboundPolicy | None = None) -> None:
        self._litellm = load_litellm()
        self.outbound = outbound if outbound is not None else OutboundPolicy()

    def check_endpoint(self, entry: ModelEntry) -> None:
        """Raise :class:`BackendError` ``refused`` when the policy refuses the endpoint."""
        try:
            if entry.api_base:
                self.outbound.check_url(entry.api_base)
                return
            try:
                default_base = self._litellm.get_llm_provider(model=entry.model)[3]
            except Exception:
                default_base = None  # unknown provider: litellm itself will refuse the call
            if default_base:
                self.outbound.check_url(str(default_base), allow_public=True)
        except (OutboundRefused, IntegrationError) as exc:
            raise BackendError("refused", f"{entry.name}: {exc}") from None

    def complete(
        self,
        entry: ModelEntry,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        params: Mapping[str, Any],
    ) -> Completion:
        self.check_endpoint(entry)
        kwargs: dict[str, Any] = {**entry.params, **params}
        for key in _ENDPOINT_KEYS:  # the endpoint is the entry's, checked above
            kwargs.pop(key, None)
        kwargs.update(model=entry.model, messages=list(messages), timeout=entry.timeout)
        # The gateway retries and falls back itself, so it can record every attempt.
        kwargs.update(num_retries=0, max_retries=0)
        if entry.api_base:
            kwargs["api_base"] = entry.api_base
        if entry.api_key:
            kwargs["api_key"] = entry.api_key
        if tools:
            kwargs["tools"] = list(tools)
            # Tools are always plain functions here; this skips litellm's MCP-gateway probe,
            # which would import the optional 'mcp' package (litellm passes it internally too).
            kwargs["_skip_mcp_handler"] = True
        try:
            response = self._litellm.completion(**kwargs)
        except Exception as exc:
            raise self._classify(exc, entry) from None
        return self._to_completion(response, entry)

    def count_tokens(
        self,
        entry: ModelEntry,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> int:
        try:
            return int(self._litellm.token_counter(model=entry.model, messages=list(messages), tools=tools))
        except Exception:
            # Unknown tokenizer: ~4 characters a token is the usual rough estimate.
            return len(json.dumps(list(messages), default=str)) // 4 + 1

    def price_per_token(self, entry: ModelEntry) -> tuple[float, float] | None:
        try:
            info = self._litellm.get_model_info(entry.model)
        except Exception:
            return None
        price_in, price_out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
        if price_in is None and price_out is None:
            return None
        return float(price_in or 0.0), float(price_out or 0.0)

    # -- conversions -----------------------------------------------------------------------
    def _to_completion(self, response: Any, entry: ModelEntry) -> Completion:
        try:
            choice = response.choices[0]
            message = choice.message
            calls = tuple(
                ToolCall(id=str(c.id), name=str(c.function.name), arguments=str(c.function.arguments or ""))
                for c in (message.tool_calls or [])
            )
            usage = getattr(response, "usage", None)
            tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
            tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        except (AttributeError, IndexError, TypeError) as exc:
            raise BackendError("malformed", f"{entry.name}: unexpected response shape ({exc})") from None
        return Completion(
            content=str(message.content or ""),
            tool_calls=calls,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            model=str(getattr(response, "model", "") or entry.model),
            finish_reason=str(choice.finish_reason or ""),
            provider_cost=self._provider_cost(response),
        )

    def _provider_cost(self, response: Any) -> float | None:
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is not None:
            return float(cost)
        try:
            return float(self._litellm.completion_cost(completion_response=response))
        except Exception:  # ModelNotMappedError and friends: price unknown
            return None

    def _classify(self, exc: Exception, entry: ModelEntry) -> BackendError:
        lt = self._litellm
        status = getattr(exc, "status_code", None)
        kinds: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
            (lt.Timeout, "timeout"),
            (lt.RateLimitError, "rate_limited"),
            (lt.APIConnectionError, "connection"),
            ((lt.InternalServerError, lt.ServiceUnavailableError, lt.BadGatewayError), "server"),
            ((lt.AuthenticationError, lt.PermissionDeniedError), "auth"),
            ((lt.BadRequestError, lt.NotFoundError, lt.UnprocessableEntityError), "client"),
        )
        kind = next((k for types, k in kinds if isinstance(exc, types)), "")
        if not kind:
            kind = "server" if isinstance(status, int) and status >= 500 else "client"
        return BackendError(kind, f"{entry.name}: {_first_line(scrub(str(exc), entry))}", status)


def scrub(text: str, entry: ModelEntry) -> str:
    """Remove the entry's API key from ``text`` (provider errors sometimes echo it)."""
    if entry.api_key and len(entry.api_key) >= 4:
        text = text.replace(entry.api_key, "***")
    return text


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0][:500] if lines else "unknown error"
