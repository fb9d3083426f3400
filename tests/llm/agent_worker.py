"""A process driving one step of an agent run on the Postgres checkpointer (used by
test_agent_postgres.py to pause in one process and resume in another).

``python -m tests.llm.agent_worker DSN PEER_URL start|resume RUN_ID [OTLP_URL]``; every tool
run is logged into ``tool_log`` of the database, keyed by the call id. With ``OTLP_URL`` the
model calls and steps are exported to that Langfuse-compatible endpoint (OpenTelemetry)."""

from __future__ import annotations

import json
import sys
from typing import Any

import psycopg

from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.agents import AgentRunner, AgentSpec, ToolOutcome, ToolSpec
from ipwb.llm.agents.checkpoint import CheckpointStore
from ipwb.llm.config import GatewayConfig
from ipwb.llm.gateway import Gateway
from ipwb.llm.langfuse_sink import langfuse_sink

TOOLS = (
    ToolSpec("lookup", "Look a partner up", {"type": "object", "properties": {"tin": {"type": "string"}}}),
    ToolSpec("pay", "Pay an amount", {"type": "object", "properties": {"amount": {"type": "number"}}}, True),
)
SPEC = AgentSpec("payer", "You pay bills.", TOOLS, max_steps=4)


def main(dsn: str, peer_url: str, action: str, run_id: str, otlp_url: str = "") -> None:
    def handler(tool: ToolSpec, arguments: dict[str, Any], call_id: str) -> ToolOutcome:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO tool_log (call_id, tool, arguments) VALUES (%s, %s, %s)",
                (call_id, tool.name, json.dumps(arguments)),
            )
        return ToolOutcome({"ok": True})

    entry = {
        "name": "peer",
        "model": "openai/peer",
        "api_base": peer_url,
        "api_key": "sk-x",
        "max_retries": 0,
    }
    sink = None
    if otlp_url:
        policy = OutboundPolicy.from_entries([otlp_url])  # the collector is on loopback
        sink = langfuse_sink("pk-lf-worker", "sk-lf-worker", otlp_url, policy=policy)
    gateway = Gateway(
        GatewayConfig.from_data({"models": [entry], "retry_backoff": 0}),
        sinks=[sink] if sink else (),
        outbound=OutboundPolicy.from_entries([peer_url]),
    )
    store = CheckpointStore(dsn)
    try:
        runner = AgentRunner(SPEC, gateway, handler, checkpointer=store.saver())
        if action == "start":
            view = runner.start("Pay the bill of TIN 1", user="alice", run_id=run_id)
        else:
            view = runner.resume(run_id, approved=True, approver="bob")
        print(json.dumps({"status": view.status, "answer": view.answer, "pending": list(view.pending)}))
    finally:
        store.close()
        if sink:
            sink.flush()
            sink.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:6])
