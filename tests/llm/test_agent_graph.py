"""Agents on LangGraph (InMemorySaver) against the OpenAI peer: validation, permissions,
approval by interrupt, budgets, refusals, traces."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from ipwb.errors import ConfigurationError, IpwbError, WarehouseError
from ipwb.llm.agents import AgentRunner, AgentSpec, ToolOutcome, ToolSpec
from ipwb.llm.agents.custom import load_graph_factory
from ipwb.llm.agents.graph import AgentRuntime, AgentState
from ipwb.llm.gateway import Gateway
from ipwb.llm.records import MemorySink, TraceStep
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
FINANCE = {"ipwb.group_finance_manager"}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []

    def __call__(self, tool: ToolSpec, arguments: dict[str, Any], call_id: str) -> ToolOutcome:
        self.calls.append((tool.name, arguments, call_id))
        if tool.name == "lookup_partner":
            return ToolOutcome({"partner": "Acme", "id": 7}, touched=(("res.partner", 7),))
        return ToolOutcome({"move_id": 42}, touched=(("account.move", 42),))

    @property
    def names(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, args) for name, args, _ in self.calls]


def runner_for(
    gateway: Gateway,
    handler: Any,
    *,
    spec: AgentSpec = SPEC,
    groups: set[str] | None = None,
    saver: InMemorySaver | None = None,
    **kwargs: Any,
) -> AgentRunner:
    return AgentRunner(
        spec, gateway, handler, checkpointer=saver or InMemorySaver(), user_groups=groups or set(), **kwargs
    )


def new_id() -> str:
    return uuid.uuid4().hex


def test_tool_call_validated_executed_then_final_answer(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    gateway = make_gateway(
        peer, model(peer, "local-a", input_price_per_1k=0.01, output_price_per_1k=0.02), sink=sink
    )
    handler = Recorder()
    runner = runner_for(gateway, handler, groups=FINANCE)
    peer.tool_call("lookup_partner", {"tin": "ABC"})  # violates the pattern
    peer.tool_call("lookup_partner", {"tin": "123-456"})
    peer.reply("The partner is Acme.")
    run = runner.start("Who has TIN 123-456?", user="alice", run_id=new_id())

    assert run.status == "done" and run.answer == "The partner is Acme."
    assert handler.names == [("lookup_partner", {"tin": "123-456"})]
    # the call id reaches the handler: the idempotency key of tools that call out
    assert handler.calls[0][2] == peer.requests[2].messages[-2]["tool_calls"][0]["id"] == "call_2"
    # the validation error went back to the model as the tool result
    second = peer.requests[1].messages
    assert second[-1]["role"] == "tool" and "does not match" in second[-1]["content"]
    offered = [t["function"]["name"] for t in peer.requests[0].body["tools"]]
    assert offered == ["lookup_partner", "post_journal_entry"]  # admin-only tool hidden
    kinds = [s.kind for s in sink.steps]
    assert kinds == ["model", "tool_error", "model", "tool", "model", "final"]
    assert [s.index for s in sink.steps] == list(range(6))
    assert [s.kind for s in run.steps] == kinds, "the checkpoint holds the same trace"
    tool_step = sink.steps[3]
    assert tool_step.touched == (("res.partner", 7),) and json.loads(tool_step.output)["id"] == 7
    assert [c.feature for c in sink.calls] == ["agent:bookkeeper"] * 3
    assert run.cost_usd > 0 and sink.total_cost == pytest.approx(run.cost_usd)


def test_approval_interrupts_before_anything_runs_then_resumes(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    handler = Recorder()
    saver = InMemorySaver()
    runner = runner_for(make_gateway(peer, sink=sink), handler, groups=FINANCE, saver=saver)
    # one batch: a free lookup and a posting that needs approval: neither runs before the decision
    peer.tool_calls(("lookup_partner", {"tin": "1"}), ("post_journal_entry", {"amount": 1500}))
    run_id = new_id()
    run = runner.start("Book 1500 for TIN 1", user="alice", run_id=run_id)
    assert run.status == "waiting_approval"
    assert [(p["tool"], p["arguments"]) for p in run.pending] == [("post_journal_entry", {"amount": 1500})]
    assert "post_journal_entry(amount=1500)" in run.pending[0]["summary"]
    assert handler.calls == [] and len(peer.requests) == 1

    # another runner (new graph, same store) resumes it
    peer.reply("Posted as move 42.")
    other = runner_for(make_gateway(peer, sink=sink), handler, groups=FINANCE, saver=saver)
    done = other.resume(run_id, approved=True, approver="bob")
    assert done.status == "done" and done.answer == "Posted as move 42."
    assert handler.names == [("lookup_partner", {"tin": "1"}), ("post_journal_entry", {"amount": 1500})]
    assert [m["role"] for m in peer.requests[1].messages[-2:]] == ["tool", "tool"]
    assert [s.kind for s in done.steps] == [
        "model",
        "approval_wait",
        "approved",
        "tool",
        "tool",
        "model",
        "final",
    ]
    assert [s.kind for s in sink.steps] == [s.kind for s in done.steps]
    with pytest.raises(IpwbError, match="not waiting"):
        other.resume(run_id, approved=True, approver="bob")


def test_approval_rejected_tells_the_model(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = runner_for(make_gateway(peer), handler, groups=FINANCE)
    peer.tool_call("post_journal_entry", {"amount": 99})
    run_id = new_id()
    runner.start("Book 99", user="alice", run_id=run_id)
    peer.reply("Understood, not posted.")
    done = runner.resume(run_id, approved=False, approver="bob", reason="wrong period")
    assert done.status == "done" and handler.calls == []
    rejected = peer.requests[1].messages[-1]
    assert rejected["role"] == "tool" and "rejected by bob: wrong period" in rejected["content"]


def test_tool_without_group_is_refused_even_if_called(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = runner_for(make_gateway(peer), handler)  # no groups at all
    peer.tool_call("post_journal_entry", {"amount": 1})
    peer.reply("I cannot do that.")
    run = runner.start("Book 1", user="eve", run_id=new_id())
    assert run.status == "done" and handler.calls == []
    assert "not permitted" in peer.requests[1].messages[-1]["content"]


def test_arguments_not_json_are_refused(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = runner_for(make_gateway(peer), handler)
    peer.tool_call("lookup_partner", "{tin: 1")
    peer.reply("Sorry.")
    run = runner.start("tin 1?", user="u", run_id=new_id())
    assert run.status == "done" and handler.calls == []
    assert "not valid JSON" in peer.requests[1].messages[-1]["content"]
    assert [s.kind for s in run.steps] == ["model", "tool_error", "model", "final"]


def test_tool_failure_goes_back_to_the_model(peer: OpenAIPeer) -> None:
    def failing(tool: ToolSpec, arguments: dict[str, Any], call_id: str) -> ToolOutcome:
        raise WarehouseError("warehouse is down")

    runner = runner_for(make_gateway(peer), failing)
    peer.tool_call("lookup_partner", {"tin": "1"})
    peer.reply("Sorry, the warehouse is down.")
    run = runner.start("tin 1?", user="u", run_id=new_id())
    assert run.status == "done"
    assert "warehouse is down" in peer.requests[1].messages[-1]["content"]


def test_step_limit(peer: OpenAIPeer) -> None:
    spec = AgentSpec("loopy", "x", (LOOKUP,), max_steps=2)
    runner = runner_for(make_gateway(peer), Recorder(), spec=spec)
    peer.tool_call("lookup_partner", {"tin": "1"})
    peer.tool_call("lookup_partner", {"tin": "2"})
    run = runner.start("loop", user="u", run_id=new_id())
    assert run.status == "step_limit" and len(peer.requests) == 2
    assert run.steps[-1].kind == "step_limit"


def test_budget_exhausted_mid_run(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    priced = model(peer, "metered", input_price_per_1k=0.01, output_price_per_1k=1.0)
    gateway = make_gateway(peer, priced, sink=sink, max_cost_per_session=0.02)
    handler = Recorder()
    runner = runner_for(gateway, handler, budget=gateway.new_session())
    # first turn fits the budget (prompt estimate well under $0.02) but costs $0.03+
    peer.tool_call("lookup_partner", {"tin": "1"}, completion_tokens=30)
    run = runner.start("tin 1?", user="u", run_id=new_id())
    assert run.status == "refused" and "session budget" in run.error
    assert handler.names == [("lookup_partner", {"tin": "1"})]  # the first turn's tool still ran
    assert len(peer.requests) == 1  # the second turn never reached the model
    assert run.steps[-1].kind == "refused"
    assert sink.calls[-1].error_kind == "refused:budget"


@pytest.mark.parametrize("script", ["malformed", "error"])
def test_peer_garbage_fails_the_run_and_runs_nothing(peer: OpenAIPeer, script: str) -> None:
    handler = Recorder()
    runner = runner_for(make_gateway(peer), handler)
    getattr(peer, script)()
    run = runner.start("tin 1?", user="u", run_id=new_id())
    assert run.status == "failed" and run.error
    assert handler.calls == [] and [s.kind for s in run.steps] == ["failed"]


def test_peer_timeout_fails_the_run(peer: OpenAIPeer) -> None:
    handler = Recorder()
    runner = runner_for(make_gateway(peer, model(peer, "slow", timeout=1)), handler)
    peer.hang()
    run = runner.start("tin 1?", user="u", run_id=new_id())
    assert run.status == "failed" and handler.calls == []


def test_same_run_cannot_start_twice_and_bad_decision_refused(peer: OpenAIPeer) -> None:
    runner = runner_for(make_gateway(peer), Recorder(), groups=FINANCE)
    peer.tool_call("post_journal_entry", {"amount": 5})
    run_id = new_id()
    runner.start("Book 5", user="alice", run_id=run_id)
    with pytest.raises(IpwbError, match="already started"):
        runner.start("again", user="alice", run_id=run_id)
    assert runner.view(run_id).status == "waiting_approval"


def test_recursion_limit_follows_max_steps() -> None:
    assert AgentSpec("a", "b", max_steps=8).recursion_limit == 37


def test_invalid_tool_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="invalid argument schema"):
        ToolSpec("bad", "bad", parameters={"type": "no-such-type"})


def echo_graph(runtime: AgentRuntime) -> StateGraph[AgentState]:
    """A graph of one's own: one node answering with the user's message, tools unused."""

    def echo(state: AgentState) -> dict[str, Any]:
        text = str(state["messages"][-1].content)
        step = TraceStep(
            state.get("run_id", ""), 0, "final", state.get("user", ""), runtime.spec.name, output=text
        )
        return {"status": "done", "answer": text, "steps": [step.as_dict()]}

    graph = StateGraph(AgentState)
    graph.add_node("echo", echo)
    graph.add_edge(START, "echo")
    graph.add_edge("echo", END)
    return graph


def test_bring_your_own_graph(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    factory = load_graph_factory("tests.llm.test_agent_graph:echo_graph")
    runner = runner_for(make_gateway(peer, sink=sink), Recorder(), graph_factory=factory)
    run = runner.start("hello graph", user="u", run_id=new_id())
    assert (run.status, run.answer) == ("done", "hello graph")
    assert [s.kind for s in sink.steps] == ["final"] and peer.requests == []
    for bad, error in [
        ("tests.llm.no_such_module:f", "cannot import"),
        ("tests.llm.test_agent_graph:nothing", "is not a function"),
        ("not an entry point", "must be 'package.module:function'"),
    ]:
        with pytest.raises(ConfigurationError, match=error):
            load_graph_factory(bad)
    with pytest.raises(ConfigurationError, match="uncompiled StateGraph"):
        runner_for(make_gateway(peer), Recorder(), graph_factory=lambda runtime: "nope")
