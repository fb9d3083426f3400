"""Cost of a call and estimate of a prompt, in USD.

A configured price override wins (a self-hosted model litellm does not know, or a
negotiated rate); otherwise litellm's price map. An unknown price costs 0 but is marked
``"unknown"`` in the record so the ledger can flag it instead of silently trusting it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ipwb.llm.backend import Backend, Completion
from ipwb.llm.config import ModelEntry


def call_cost(entry: ModelEntry, completion: Completion) -> tuple[float, str]:
    """(cost, source) of a finished call; source is "override", "litellm" or "unknown"."""
    if entry.has_price_override:
        cost = (
            completion.tokens_in * (entry.input_price_per_1k or 0.0)
            + completion.tokens_out * (entry.output_price_per_1k or 0.0)
        ) / 1000.0
        return cost, "override"
    if completion.provider_cost is not None:
        return completion.provider_cost, "litellm"
    return 0.0, "unknown"


def input_price_per_token(entry: ModelEntry, backend: Backend) -> float | None:
    if entry.has_price_override:
        return (entry.input_price_per_1k or 0.0) / 1000.0
    prices = backend.price_per_token(entry)
    return prices[0] if prices else None


def estimate_prompt_cost(
    entry: ModelEntry,
    backend: Backend,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
) -> float:
    """Cost of sending the prompt alone (the answer's length is unknown before the call).

    A model without any known price is treated as free: budgets cannot be enforced on
    what cannot be priced, and the call records say so (``cost_source="unknown"``).
    """
    price = input_price_per_token(entry, backend)
    if not price:
        return 0.0
    return backend.count_tokens(entry, messages, tools) * price
