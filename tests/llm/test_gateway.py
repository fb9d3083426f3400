"""Gateway through the real litellm → HTTP path against the scripted OpenAI peer."""

from __future__ import annotations

import pytest

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.config import GatewayConfig
from ipwb.llm.errors import BudgetExceeded, ModelCallFailed, NoModelConfigured, RateLimited
from ipwb.llm.gateway import Gateway
from ipwb.llm.records import MemorySink
from ipwb.testing.openai_peer import OpenAIPeer

from .conftest import make_gateway, model, peer_policy

HELLO = [{"role": "user", "content": "Say hello"}]


def test_plain_call_records_tokens_and_override_cost(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(
        peer,
        model(peer, "local-a", input_price_per_1k=0.5, output_price_per_1k=1.5),
        sink=sink,
    )
    peer.reply("hello there", prompt_tokens=1000, completion_tokens=200)
    result = gw.complete(HELLO, user="alice", feature="test")
    assert result.content == "hello there"
    assert result.model_name == "local-a"
    assert result.cost_usd == pytest.approx(0.5 + 0.3)
    assert peer.requests[0].model == "local-a"
    assert peer.requests[0].headers["Authorization"] == "Bearer sk-test-secret-123"
    [record] = sink.calls
    assert (record.user, record.feature, record.tokens_in, record.tokens_out) == ("alice", "test", 1000, 200)
    assert record.cost_usd == pytest.approx(0.8) and record.cost_source == "override"
    assert record.prompt == HELLO and record.response == "hello there" and record.ok


def test_known_model_is_priced_by_litellm(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, model(peer, "mini", model="gpt-4o-mini"), sink=sink)
    peer.reply("ok", prompt_tokens=1000, completion_tokens=0)
    result = gw.complete(HELLO, user="u", feature="f")
    assert result.cost_usd > 0
    assert sink.calls[0].cost_source == "litellm"


def test_unknown_model_without_override_costs_zero_marked_unknown(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, sink=sink)
    peer.reply("ok")
    assert gw.complete(HELLO, user="u", feature="f").cost_usd == 0.0
    assert sink.calls[0].cost_source == "unknown"


def test_fallback_on_http_500_to_second_model(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, model(peer, "first"), model(peer, "second"), sink=sink)
    peer.error(500)
    peer.reply("from the second")
    result = gw.complete(HELLO, user="u", feature="f")
    assert result.content == "from the second"
    assert result.model_name == "second"
    assert [r.model for r in peer.requests] == ["first", "second"]
    assert [(c.model_name, c.error_kind) for c in sink.calls] == [("first", "server"), ("second", "")]
    assert result.attempts == 2


def test_fallback_on_timeout_to_second_model(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, model(peer, "slow", timeout=0.3), model(peer, "fast"), sink=sink)
    peer.hang()
    peer.reply("fast answer")
    result = gw.complete(HELLO, user="u", feature="f")
    assert result.content == "fast answer"
    assert sink.calls[0].error_kind == "timeout"
    assert [r.model for r in peer.requests] == ["slow", "fast"]


def test_retries_are_counted_before_falling_back(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, model(peer, "flaky", max_retries=2), model(peer, "backup"), sink=sink)
    peer.error(503)
    peer.malformed()
    peer.reply("third time lucky")
    result = gw.complete(HELLO, user="u", feature="f")
    assert result.model_name == "flaky"
    assert [r.attempt for r in result.records] == [1, 2, 3]
    assert [c.error_kind for c in sink.calls] == ["server", "server", ""]
    assert [r.model for r in peer.requests] == ["flaky"] * 3


def test_all_models_failing_raises_with_every_error(peer: OpenAIPeer) -> None:
    gw = make_gateway(peer, model(peer, "a"), model(peer, "b"))
    peer.error(500)
    peer.error(502)
    with pytest.raises(ModelCallFailed) as exc:
        gw.complete(HELLO, user="u", feature="f")
    assert len(exc.value.errors) == 2
    assert "sk-test-secret-123" not in str(exc.value)


def test_client_error_does_not_fall_back(peer: OpenAIPeer) -> None:
    gw = make_gateway(peer, model(peer, "a"), model(peer, "b"))
    peer.error(400)
    with pytest.raises(ModelCallFailed):
        gw.complete(HELLO, user="u", feature="f")
    assert len(peer.requests) == 1


def test_explicit_fallback_order(peer: OpenAIPeer) -> None:
    gw = make_gateway(peer, model(peer, "a", fallbacks=["c"]), model(peer, "b"), model(peer, "c"))
    peer.error(500)
    peer.reply("c answered")
    assert gw.complete(HELLO, user="u", feature="f").model_name == "c"
    assert [r.model for r in peer.requests] == ["a", "c"]


def test_cache_hit_does_not_call_the_server(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, sink=sink)
    peer.reply("cached answer")
    first = gw.complete(HELLO, user="u", feature="f")
    second = gw.complete(HELLO, user="v", feature="f")
    assert (first.cached, second.cached) == (False, True)
    assert second.content == "cached answer" and second.cost_usd == 0.0
    assert len(peer.requests) == 1
    assert sink.calls[-1].cached and sink.calls[-1].user == "v"
    peer.reply("different prompt, new call")
    gw.complete([{"role": "user", "content": "Something else"}], user="u", feature="f")
    assert len(peer.requests) == 2


def test_rate_limit_refuses_without_calling_the_server(peer: OpenAIPeer) -> None:
    now = [0.0]
    sink = MemorySink()
    config = GatewayConfig.from_data(
        {"models": [model(peer, "local-a")], "rate_limit": {"capacity": 2, "per_minute": 6}}
    )
    gw = Gateway(config, sinks=[sink], clock=lambda: now[0], outbound=peer_policy(peer))
    for i in range(3):
        peer.reply(f"answer {i}")
    gw.complete([{"role": "user", "content": "q1"}], user="bob", feature="f")
    gw.complete([{"role": "user", "content": "q2"}], user="bob", feature="f")
    with pytest.raises(RateLimited) as exc:
        gw.complete([{"role": "user", "content": "q3"}], user="bob", feature="f")
    assert exc.value.retry_after == pytest.approx(10.0)
    assert len(peer.requests) == 2
    assert sink.calls[-1].error_kind == "refused:rate_limited"
    gw.complete([{"role": "user", "content": "q3"}], user="carol", feature="f")  # other user: own bucket
    now[0] = 10.0
    peer.reply("after refill")
    gw.complete([{"role": "user", "content": "q4"}], user="bob", feature="f")
    assert len(peer.requests) == 4


def test_no_model_configured_message() -> None:
    gw = Gateway(GatewayConfig.from_data({"models": []}))
    with pytest.raises(NoModelConfigured) as exc:
        gw.complete(HELLO, user="u", feature="nl2sql")
    assert isinstance(exc.value, ConfigurationError) and isinstance(exc.value, IpwbError)
    assert str(exc.value).startswith("No LLM model configured")


def test_budget_per_call_refuses_before_calling(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(
        peer, model(peer, "pricey", input_price_per_1k=1000.0), sink=sink, max_cost_per_call=0.01
    )
    with pytest.raises(BudgetExceeded) as exc:
        gw.complete(HELLO, user="u", feature="f")
    assert exc.value.scope == "per-call" and exc.value.estimate > 0.01
    assert "budget" in str(exc.value)
    assert peer.requests == []
    assert sink.calls[0].error_kind == "refused:budget"


def test_session_budget_accumulates_then_refuses(peer: OpenAIPeer) -> None:
    gw = make_gateway(
        peer,
        model(peer, "metered", input_price_per_1k=0.001, output_price_per_1k=1.0),
        max_cost_per_session=1.5,
    )
    session = gw.new_session("chat-1")
    peer.reply("long answer", prompt_tokens=10, completion_tokens=1000)
    gw.complete(HELLO, user="u", feature="f", session=session)
    assert session.spent == pytest.approx(1.0 + 0.00001)
    peer.reply("another long answer", prompt_tokens=10, completion_tokens=1000)
    gw.complete([{"role": "user", "content": "more"}], user="u", feature="f", session=session)
    with pytest.raises(BudgetExceeded) as exc:
        gw.complete([{"role": "user", "content": "even more"}], user="u", feature="f", session=session)
    assert exc.value.scope == "session"
    assert len(peer.requests) == 2


def test_api_key_never_in_repr_or_records(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gw = make_gateway(peer, sink=sink)
    peer.reply("hi")
    gw.complete(HELLO, user="u", feature="f")
    assert "sk-test-secret-123" not in repr(gw.config)
    assert "sk-test-secret-123" not in repr(sink.calls)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"models": [{"name": "a"}]}, "litellm 'model'"),
        ({"models": [{"model": "openai/a", "colour": 1}]}, "colour"),
        ({"models": [{"model": "openai/a"}, {"model": "openai/a"}]}, "unique"),
        ({"models": [{"model": "openai/a", "fallbacks": ["zzz"]}]}, "zzz"),
        ({"models": [], "bogus": 1}, "bogus"),
    ],
)
def test_config_errors_are_clear(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        GatewayConfig.from_data(data)


def test_api_base_must_be_allow_listed(peer: OpenAIPeer) -> None:
    """An endpoint not on the outbound allow-list is never called (the key never leaves)."""
    sink = MemorySink()
    config = GatewayConfig.from_data({"models": [model(peer, "local-a")], "retry_backoff": 0})
    for outbound in (None, OutboundPolicy.from_entries(["127.0.0.2"])):
        gw = Gateway(config, sinks=[sink], outbound=outbound)
        with pytest.raises(ModelCallFailed, match=r"local-a: 127\.0\.0\.1:\d+ is a loopback address"):
            gw.complete(HELLO, user="u", feature="f")
    assert peer.requests == []
    assert [c.error_kind for c in sink.calls] == ["refused", "refused"]


@pytest.mark.parametrize(
    ("api_base", "reason"),
    [
        ("http://169.254.169.254/latest", "cloud metadata"),
        ("http://[::ffff:127.0.0.1]:8069/v1", "loopback"),
        ("http://2130706433:8069/v1", "spelling of an IP address"),
        ("http://admin:pw@127.0.0.1/v1", "user name or password"),
    ],
)
def test_hostile_api_bases_are_refused(peer: OpenAIPeer, api_base: str, reason: str) -> None:
    gw = make_gateway(peer, model(peer, "evil", api_base=api_base))
    with pytest.raises(ModelCallFailed, match=reason):
        gw.complete(HELLO, user="u", feature="f")


def test_local_provider_default_endpoint_needs_an_allow_listed_base(peer: OpenAIPeer) -> None:
    """``ollama/…`` without a base URL would call localhost:11434: refused by the policy."""
    gw = make_gateway(peer, {"name": "llama", "model": "ollama/llama3", "timeout": 2, "max_retries": 0})
    with pytest.raises(ModelCallFailed, match=r"localhost \(.*\):11434 is a loopback address"):
        gw.complete(HELLO, user="u", feature="f")
    assert peer.requests == []
