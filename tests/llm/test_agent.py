"""Agent loop through litellm and the OpenAI peer: validation, approval, traces, budget."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ipwb.errors import ConfigurationError, WarehouseError
from ipwb.llm.agent import AgentRun, AgentRunner, AgentSpec, ToolOutcome, ToolSpec
from ipwb.llm.records import MemorySink
from ipwb.testing.openai_peer import OpenAIPeer

from .conftest import make_gateway, model

LOOKUP = ToolSpec(
    name="lookup_partner",
    description="Find a partner by TIN",
    parameters={
        "type": "object",
        "properties": {"tin": {"type": "string", "pattern": "^[0-9-]+$"}},
        "required": ["tin"],
        "additionalProperties": False,
    },
)
POST = ToolSpec(
    name="post_journal_entry",
    description="Post a journal entry",
    parameters={"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]},
    needs_approval=True,
    group="ipwb.group_finance_manager",
)
SECRET = ToolSpec(name="drop_everything", description="admin only", group="base.group_system")
SPEC = AgentSpec("bookkeeper", "You help with bookkeeping.", (LOOKUP, POST, SECRET), max_steps=4)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, tool: ToolSpec, arguments: dict[str, Any]) -> ToolOutcome:
        self.calls.append((tool.name, arguments))
        if tool.name == "lookup_partner":
            return ToolOutcome({"partner": "Acme", "id": 7}, touched=(("res.partner", 7),))
        return ToolOutcome({"move_id": 42}, touched=(("account.move", 42),))


def test_tool_call_validated_executed_then_final_answer(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gateway = make_gateway(
        peer, model(peer, "local-a", input_price_per_1k=0.01, output_price_per_1k=0.02), sink=sink
    )
    handler = Recorder()
    runner = AgentRunner(SPEC, gateway, handler, user_groups={"ipwb.group_finance_manager"})
    peer.tool_call("lookup_partner", {"tin": "ABC"})  # violates the pattern
    peer.tool_call("lookup_partner", {"tin": "123-456"})
    peer.reply("The partner is Acme.")
    run = runner.start("Who has TIN 123-456?", user="alice")

    assert run.status == "done" and run.answer == "The partner is Acme."
    assert handler.calls == [("lookup_partner", {"tin": "123-456"})]
    # the validation error went back to the model as the tool result
    second = peer.requests[1].messages
    assert second[-1]["role"] == "tool" and "does not match" in second[-1]["content"]
    # offered tools: the admin-only tool is hidden from a user without the group
    offered = [t["function"]["name"] for t in peer.requests[0].body["tools"]]
    assert offered == ["lookup_partner", "post_journal_entry"]
    kinds = [s.kind for s in sink.steps]
    assert kinds == ["model", "tool_error", "model", "tool", "model", "final"]
    tool_step = sink.steps[3]
    assert tool_step.touched == (("res.partner", 7),) and json.loads(tool_step.output)["id"] == 7
    assert [c.feature for c in sink.calls] == ["agent:bookkeeper"] * 3
    assert run.cost_usd > 0 and sink.total_cost == pytest.approx(run.cost_usd)


def test_approval_wait_then_resume_approved(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    handler = Recorder()
    runner = AgentRunner(
        SPEC, make_gateway(peer, sink=sink), handler, user_groups={"ipwb.group_finance_manager"}
    )
    peer.tool_call("post_journal_entry", {"amount": 1500})
    run = runner.start("Book 1500", user="alice")
    assert run.status == "waiting_approval"
    assert run.pending is not None and run.pending["arguments"] == {"amount": 1500}
    assert handler.calls == []  # nothing ran
    assert len(peer.requests) == 1

    stored = json.loads(json.dumps(run.to_dict()))  # what the Odoo side persists
    restored = AgentRun.from_dict(stored)
    peer.reply("Posted as move 42.")
    done = runner.resume(restored, approved=True, approver="bob")
    assert done.status == "done" and done.answer == "Posted as move 42."
    assert handler.calls == [("post_journal_entry", {"amount": 1500})]
    assert peer.requests[1].messages[-1]["role"] == "tool"
    assert [s.kind for s in done.steps] == ["model", "approval_wait", "approved", "tool", "model", "final"]


def test_approval_rejected_tells_the_model(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = AgentRunner(SPEC, make_gateway(peer), handler, user_groups={"ipwb.group_finance_manager"})
    peer.tool_call("post_journal_entry", {"amount": 99})
    run = runner.start("Book 99", user="alice")
    peer.reply("Understood, not posted.")
    done = runner.resume(run, approved=False, approver="bob", reason="wrong period")
    assert done.status == "done" and handler.calls == []
    rejected = peer.requests[1].messages[-1]
    assert rejected["role"] == "tool" and "rejected by bob: wrong period" in rejected["content"]
    with pytest.raises(Exception, match="not waiting"):
        runner.resume(done, approved=True, approver="bob")


def test_tool_without_group_is_refused_even_if_called(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = AgentRunner(SPEC, make_gateway(peer), handler)  # no groups at all
    peer.tool_call("post_journal_entry", {"amount": 1})
    peer.reply("I cannot do that.")
    run = runner.start("Book 1", user="eve")
    assert run.status == "done" and handler.calls == []
    assert "not permitted" in peer.requests[1].messages[-1]["content"]


def test_tool_failure_goes_back_to_the_model(peer: OpenAIPeer) -> None:
    def failing(tool: ToolSpec, arguments: dict[str, Any]) -> ToolOutcome:
        raise WarehouseError("warehouse is down")

    runner = AgentRunner(SPEC, make_gateway(peer), failing)
    peer.tool_call("lookup_partner", {"tin": "1"})
    peer.reply("Sorry, the warehouse is down.")
    run = runner.start("tin 1?", user="u")
    assert run.status == "done"
    assert "warehouse is down" in peer.requests[1].messages[-1]["content"]


def test_step_limit(peer: OpenAIPeer) -> None:
    runner = AgentRunner(AgentSpec("loopy", "x", (LOOKUP,), max_steps=2), make_gateway(peer), Recorder())
    peer.tool_call("lookup_partner", {"tin": "1"})
    peer.tool_call("lookup_partner", {"tin": "2"})
    run = runner.start("loop", user="u")
    assert run.status == "step_limit" and len(peer.requests) == 2
    assert run.steps[-1].kind == "step_limit"


def test_budget_refusal_stops_the_run(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    priced = model(peer, "metered", input_price_per_1k=0.01, output_price_per_1k=1.0)
    gateway = make_gateway(peer, priced, sink=sink, max_cost_per_session=0.02)
    handler = Recorder()
    runner = AgentRunner(SPEC, gateway, handler, budget=gateway.new_session())
    # first turn fits the budget (prompt estimate well under $0.02) but costs $0.03+
    peer.tool_call("lookup_partner", {"tin": "1"}, completion_tokens=30)
    run = runner.start("tin 1?", user="u")
    assert run.status == "refused" and "session budget" in run.error
    assert handler.calls == [("lookup_partner", {"tin": "1"})]  # the first turn's tool still ran
    assert len(peer.requests) == 1  # the second turn never reached the model
    assert run.steps[-1].kind == "refused"
    assert sink.calls[-1].error_kind == "refused:budget"


def test_invalid_tool_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="invalid argument schema"):
        ToolSpec("bad", "bad", parameters={"type": "no-such-type"})
