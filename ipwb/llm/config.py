"""Gateway configuration as plain data.

The Odoo side stores models in records and settings; the CLI reads YAML/JSON. Both hand
the gateway a list of dicts, parsed here into frozen dataclasses so that a typo in a key is
reported once, clearly, instead of surfacing as an obscure provider error at call time.
API keys are kept out of ``repr`` so a logged config never leaks them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ipwb.errors import ConfigurationError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 1


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One model the gateway may call.

    ``model`` is a litellm model string: ``"openai/gpt-4o-mini"`` for a hosted provider, or
    ``"openai/<served-name>"`` plus ``api_base`` for a self-hosted OpenAI-compatible server.
    Prices per 1k tokens override litellm's price map (needed for models it does not know,
    e.g. a local server, where a price of 0 is a legitimate answer).
    """

    name: str
    model: str
    api_base: str | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    #: names of the entries tried after this one; empty → the other entries in list order
    fallbacks: tuple[str, ...] = ()
    input_price_per_1k: float | None = None
    output_price_per_1k: float | None = None
    #: extra litellm keyword arguments (temperature defaults, headers, …)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name or not self.model:
            raise ConfigurationError("An LLM model entry needs both a 'name' and a litellm 'model' string")
        if self.timeout <= 0:
            raise ConfigurationError(f"LLM model {self.name!r}: timeout must be positive, got {self.timeout}")
        if self.max_retries < 0:
            raise ConfigurationError(f"LLM model {self.name!r}: max_retries must be >= 0")
        for label, price in (("input", self.input_price_per_1k), ("output", self.output_price_per_1k)):
            if price is not None and price < 0:
                raise ConfigurationError(f"LLM model {self.name!r}: {label} price must be >= 0")

    @property
    def has_price_override(self) -> bool:
        return self.input_price_per_1k is not None or self.output_price_per_1k is not None


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """Token bucket per user: ``capacity`` calls at once, refilled at ``per_minute``."""

    capacity: int = 20
    per_minute: float = 20.0


@dataclasses.dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway needs; ``models`` order is the default fallback order."""

    models: tuple[ModelEntry, ...] = ()
    rate_limit: RateLimit | None = None
    cache_ttl: float = 3600.0
    cache_size: int = 512
    max_cost_per_call: float | None = None
    max_cost_per_session: float | None = None
    #: seconds before the first retry, doubled for each further retry
    retry_backoff: float = 0.5

    def __post_init__(self) -> None:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigurationError(f"LLM model names must be unique; repeated: {', '.join(duplicates)}")
        for entry in self.models:
            unknown = [f for f in entry.fallbacks if f not in names]
            if unknown:
                raise ConfigurationError(
                    f"LLM model {entry.name!r} falls back to unknown model(s): {', '.join(unknown)}"
                )

    def entry(self, name: str) -> ModelEntry:
        for candidate in self.models:
            if candidate.name == name:
                return candidate
        raise ConfigurationError(f"Unknown LLM model {name!r}; configured: {', '.join(self.names) or 'none'}")

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def chain(self, first: str | None = None) -> list[ModelEntry]:
        """Entries to try, in order, starting at ``first`` (default: the first configured)."""
        if not self.models:
            return []
        head = self.entry(first) if first else self.models[0]
        if head.fallbacks:
            rest = [self.entry(n) for n in head.fallbacks if n != head.name]
        else:
            rest = [m for m in self.models if m.name != head.name]
        return [head, *rest]

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> GatewayConfig:
        """Parse ``{"models": [...], "rate_limit": {...}, ...}`` or a bare list of model dicts."""
        if data is None:
            return cls()
        if isinstance(data, Mapping):
            top = dict(data)
            raw_models = top.pop("models", []) or []
        else:
            top, raw_models = {}, list(data)
        models = tuple(_model_from_data(i, m) for i, m in enumerate(raw_models))
        rate = top.pop("rate_limit", None)
        known = {f.name for f in dataclasses.fields(cls)} - {"models", "rate_limit"}
        unknown = sorted(set(top) - known)
        if unknown:
            raise ConfigurationError(f"Unknown LLM gateway setting(s): {', '.join(unknown)}")
        rate_limit = RateLimit(**_only(rate, RateLimit, "rate_limit")) if rate else None
        return cls(models=models, rate_limit=rate_limit, **top)


def provider_of(model: str) -> str:
    """The provider prefix of a litellm model string (``""`` when litellm infers it).

    >>> provider_of("openai/gpt-4o-mini"), provider_of("gpt-4o")
    ('openai', '')
    """
    head, slash, _rest = model.strip().partition("/")
    return head.lower() if slash else ""


def endpoint_changed(old_model: str, old_base: str | None, new_model: str, new_base: str | None) -> bool:
    """Whether a model's calls (and its API key) would go somewhere else after the change:
    another base URL, or another provider (an inferred provider counts as changed unless
    the model string is unchanged).

    >>> endpoint_changed("openai/a", None, "openai/b", None)
    False
    >>> endpoint_changed("openai/a", None, "anthropic/a", None), endpoint_changed("a", None, "b", None)
    (True, True)
    >>> endpoint_changed("openai/a", "https://x/v1", "openai/a", "https://y/v1")
    True
    """
    if (old_base or "").strip() != (new_base or "").strip():
        return True
    if old_model.strip() == new_model.strip():
        return False
    old, new = provider_of(old_model), provider_of(new_model)
    return not old or old != new


def _only(data: Mapping[str, Any], kind: type, where: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"LLM {where} must be a mapping, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigurationError(f"Unknown key(s) in LLM {where}: {', '.join(unknown)}")
    return dict(data)


def _model_from_data(index: int, data: Mapping[str, Any]) -> ModelEntry:
    fields = _only(data, ModelEntry, f"model entry #{index + 1}")
    fields.setdefault("model", "")
    fields.setdefault("name", fields["model"])
    if "fallbacks" in fields:
        fields["fallbacks"] = tuple(fields["fallbacks"] or ())
    for key in ("timeout", "input_price_per_1k", "output_price_per_1k"):
        if fields.get(key) is not None:
            fields[key] = float(fields[key])
    return ModelEntry(**fields)
