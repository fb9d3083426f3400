"""Fixtures for the LLM tests: a scripted OpenAI-compatible peer on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.config import GatewayConfig
from ipwb.llm.gateway import Gateway
from ipwb.llm.records import MemorySink
from ipwb.testing.openai_peer import OpenAIPeer


@pytest.fixture
def peer() -> Iterator[OpenAIPeer]:
    with OpenAIPeer() as server:
        yield server


def model(peer: OpenAIPeer, name: str, **overrides: Any) -> dict[str, Any]:
    """A model entry pointing at the peer (``openai/<name>`` + api_base)."""
    entry: dict[str, Any] = {
        "name": name,
        "model": f"openai/{name}",
        "api_base": peer.base_url,
        "api_key": "sk-test-secret-123",
        "timeout": 5,
        "max_retries": 0,
    }
    entry.update(overrides)
    return entry


def make_gateway(
    peer: OpenAIPeer, *entries: dict[str, Any], sink: MemorySink | None = None, **settings: Any
) -> Gateway:
    models = list(entries) or [model(peer, "local-a")]
    config = GatewayConfig.from_data({"models": models, "retry_backoff": 0, **settings})
    return Gateway(config, sinks=[sink] if sink else [], outbound=peer_policy(peer))


def peer_policy(peer: OpenAIPeer) -> OutboundPolicy:
    """The peer listens on loopback, which the outbound policy refuses unless allow-listed."""
    return OutboundPolicy.from_entries([peer.base_url])
