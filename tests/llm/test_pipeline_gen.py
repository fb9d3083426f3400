"""Pipeline spec generation (validated by ipwb.specs, repaired) and DQ insights."""

from __future__ import annotations

import pytest

from ipwb.errors import SpecError
from ipwb.llm.errors import NoModelConfigured
from ipwb.llm.gateway import Gateway
from ipwb.llm.pipeline_gen import EXAMPLE_PIPELINE, generate_pipeline, require_valid, summarise_scorecard
from ipwb.llm.records import MemorySink
from ipwb.testing.openai_peer import OpenAIPeer

from .conftest import make_gateway

INVALID = "```yaml\nname: vendor_spend\nsteps: []\n```"


def test_invalid_spec_is_repaired_with_the_validator_problems(peer: OpenAIPeer) -> None:
    peer.reply(INVALID)
    peer.reply(f"```yaml\n{EXAMPLE_PIPELINE}```")
    draft = generate_pipeline("Build vendor spend daily", make_gateway(peer), user="de")
    assert draft.ok and draft.attempts == 2
    assert draft.spec is not None and draft.spec.name == "example_vendor_bills"
    repair = peer.requests[1].messages[-1]["content"]
    assert "missing required key 'owner'" in repair and "generated.yaml:" in repair


def test_attempts_are_bounded_and_problems_returned(peer: OpenAIPeer) -> None:
    peer.reply(INVALID)
    peer.reply(INVALID)
    draft = generate_pipeline("x", make_gateway(peer), user="de", max_attempts=2)
    assert not draft.ok and len(peer.requests) == 2
    assert any("owner" in p for p in draft.problems)
    with pytest.raises(SpecError):
        require_valid(draft)


SCORECARD = {
    "table": "gold.vat_summary_2550m",
    "score": 71.5,
    "checks": [
        {"name": "not_null_tin", "dimension": "completeness", "status": "fail", "failed_rows": 12},
        {"name": "unique_period", "dimension": "uniqueness", "status": "pass"},
        {"name": "fresh", "dimension": "timeliness", "passed": False, "message": "3 days late"},
    ],
}


def test_dq_insights_send_only_failures(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    peer.reply("- 12 rows lack a TIN: fix partner master data")
    insight = summarise_scorecard(SCORECARD, make_gateway(peer, sink=sink), user="fm")
    assert insight.called_model and insight.text.startswith("- 12 rows")
    assert [f["name"] for f in insight.failures] == ["not_null_tin", "fresh"]
    prompt = peer.requests[0].messages[-1]["content"]
    assert "not_null_tin" in prompt and "unique_period" not in prompt
    assert sink.calls[0].feature == "dq_insights"


def test_clean_scorecard_costs_nothing() -> None:
    clean = {"table": "t", "checks": [{"name": "a", "status": "pass"}]}
    insight = summarise_scorecard(clean, Gateway.from_data(None), user="fm")
    assert not insight.called_model and insight.failures == ()


def test_generation_without_model_says_so() -> None:
    with pytest.raises(NoModelConfigured, match="No LLM model configured"):
        generate_pipeline("x", Gateway.from_data(None), user="de")
