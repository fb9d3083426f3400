"""An agent run paused on an approval in one Odoo process and resumed in another.

Process A (``odoo-bin shell``) queues a run as its requester and works the agent queue
once: the model proposes a webhook call that needs approval and a pipeline trigger, and
the run waits with nothing executed. Process B — a new OS process, so a new registry,
graph and checkpoint pool — approves as a user of the approver group and works the queue:
the run resumes from the checkpoint in schema ``ipwb_agent_state``, each tool runs exactly
once (the loopback webhook receiver counts its ``Idempotency-Key`` s, the pipeline runs are
counted by their agent call key), and the Langfuse export of both processes forms one
trace under the run's root span (a loopback OTLP/HTTP receiver decodes the spans).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg2
import pytest

from ipwb.llm.agents.checkpoint import SCHEMA
from ipwb.llm.langfuse_sink import run_trace
from ipwb.testing.openai_peer import OpenAIPeer

from ..llm.otlp import Collector, exported_spans
from .conftest import OdooDatabases

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

RESULT_MARK = "IPWB-RESULT:"


def _result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])  # type: ignore[no-any-return]
    raise AssertionError(f"script printed no result:\n{output[-3000:]}")


class Receiver:
    """An n8n-like webhook on loopback recording each call's Idempotency-Key."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.keys.append(self.headers.get("Idempotency-Key") or "")
                body = b'{"accepted": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/pay"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.fixture(scope="module")
def genie_template(odoo_databases: OdooDatabases, base_template: str) -> str:
    name = odoo_databases.copy(base_template, "ipwb_it_genietpl")
    run = odoo_databases.run(name, install=["ipwb_genie"])
    assert run.ok, run.explain()
    return name


#: one pass of the agent worker as the cron runs it (committed), then the Langfuse export
#: flushed so the receiver has every span before the process exits
WORK = """env.cr.commit()
env["ipwb.agent.run"]._cron_process_runs()
env.cr.commit()
run.invalidate_recordset()
from odoo.addons.ipwb_genie.services import gateway
for sink in gateway._shared.values():
    if sink is not None and hasattr(sink, "flush"):
        sink.flush()
"""

SETUP = """
import json, os
params = env["ir.config_parameter"]
params.set_param("ipwb.outbound_allowed_hosts", {allowed!r})
params.set_param("ipwb_genie.rate_limit_per_minute", "0")
params.set_param("ipwb_genie.cache_ttl", "0")
params.set_param("ipwb_genie.langfuse_public_key", "pk-lf-it")
params.set_param("ipwb_genie.langfuse_secret_key", "sk-lf-it")
params.set_param("ipwb_genie.langfuse_host", {collector!r})
env["ipwb.llm.model"].search([]).action_archive()
env["ipwb.llm.model"].create({{"name": "Peer", "litellm_model": "openai/peer", "api_base": {peer!r},
                              "api_key": "sk-it", "timeout": 20, "max_retries": 0}})
def user(login, group):
    groups = [(4, env.ref("base.group_user").id), (4, env.ref(group).id)]
    return env["res.users"].create({{"name": login, "login": login, "groups_id": groups}})
requester = user("it_requester", "ipwb_catalog.group_ipwb_data_engineer")
approver = user("it_approver", "ipwb_catalog.group_ipwb_ai_orchestrator")
pipeline = env["ipwb.pipeline"].create({{"name": "IT refresh", "code": "it_refresh",
                                         "owner_id": requester.id}})
env["ipwb.pipeline.step"].create({{"pipeline_id": pipeline.id, "name": "noop", "kind": "sql",
    "config": json.dumps({{"sql": "SELECT 1", "targets": []}})}})
pipeline.action_validate()
schema = json.dumps({{"type": "object", "properties": {{"amount": {{"type": "number"}}}}}})
pay = env["ipwb.agent.tool"].create({{"name": "pay_bill", "description": "Pay a bill", "kind": "n8n",
    "webhook_url": {hook!r}, "parameters_schema": schema, "needs_approval": True}})
refresh = env["ipwb.agent.tool"].create({{"name": "refresh", "description": "Refresh the data",
    "kind": "pipeline", "pipeline_id": pipeline.id}})
agent = env["ipwb.agent"].create({{"name": "Payer", "system_prompt": "Pay, then refresh.",
    "tool_ids": [(6, 0, (pay | refresh).ids)],
    "approver_group_id": env.ref("ipwb_catalog.group_ipwb_ai_orchestrator").id}})
env.cr.commit()
run = agent.with_user(requester).run_agent("Pay the bill of 12.50 and refresh")
{work}print("IPWB-RESULT:" + json.dumps({{"run": run.id, "approver": approver.id, "state": run.state,
      "thread": run.thread_id, "pending": run.pending_tool, "pid": os.getpid(),
      "error": run.error or ""}}))
"""

RESUME = """
import json, os
run = env["ipwb.agent.run"].browse({run})
run.with_user(env["res.users"].browse({approver})).action_approve()
{work}pipeline_runs = env["ipwb.pipeline.run"].search([("pipeline_id.code", "=", "it_refresh")])
print("IPWB-RESULT:" + json.dumps({{
    "state": run.state, "answer": run.answer or "", "error": run.error or "", "pid": os.getpid(),
    "steps": [(s.kind, s.tool or "") for s in run.step_ids.sorted("index")],
    "pipeline_runs": [(r.agent_call_key, r.requested_by_id.login) for r in pipeline_runs]}}))
"""


def test_a_run_paused_in_one_process_is_resumed_in_another(
    odoo_databases: OdooDatabases,
    genie_template: str,
    pg_admin_dsn: str,
    receiver: Receiver,
    otlp: Collector,
) -> None:
    database = odoo_databases.copy(genie_template, "ipwb_it_agent")
    with OpenAIPeer() as peer:
        peer.tool_calls(("pay_bill", {"amount": 12.5}), ("refresh", {}))
        setup = odoo_databases.run_script(
            database,
            SETUP.format(
                allowed=f"{receiver.url},{otlp.url}",
                collector=otlp.url,
                peer=peer.base_url,
                hook=receiver.url,
                work=WORK,
            ),
        )
        assert setup.ok, setup.explain()
        paused = _result(setup.output)
        assert paused["state"] == "waiting_approval", paused
        assert paused["pending"] == "pay_bill"
        assert receiver.keys == [], "nothing ran before the approval"

        peer.reply("Paid 12.50 and started the refresh.")
        resume = odoo_databases.run_script(database, RESUME.format(**paused, work=WORK))
        assert resume.ok, resume.explain()
        done = _result(resume.output)
        requests = list(peer.requests)
    assert done["pid"] != paused["pid"], "resumed by another OS process"
    assert done["state"] == "done", done
    assert done["answer"] == "Paid 12.50 and started the refresh."
    kinds = [kind for kind, _tool in done["steps"]]
    assert kinds == ["model", "approval_wait", "approved", "tool", "tool", "model", "final"], done["steps"]

    # each tool ran exactly once, keyed by its call id
    tool_results = {m["tool_call_id"] for m in requests[1].messages if m.get("role") == "tool"}
    assert len(receiver.keys) == 1 and receiver.keys[0] in tool_results, receiver.keys
    assert len(done["pipeline_runs"]) == 1, done["pipeline_runs"]
    key, requested_by = done["pipeline_runs"][0]
    assert requested_by == "it_requester", "started with the requester's rights"
    thread, _sep, call = key.partition(":")
    assert thread == paused["thread"] and call in tool_results and call != receiver.keys[0]

    # the checkpoints live in their own schema of the Odoo database
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = database
    with psycopg2.connect(**params) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name LIKE 'checkpoint%%'"
        )
        assert cur.fetchall() == [(SCHEMA,)]
        cur.execute(f"SELECT count(*) FROM {SCHEMA}.checkpoints WHERE thread_id = %s", (paused["thread"],))
        assert cur.fetchone()[0] > 0

    # one Langfuse trace across both processes, every call and step under the run's root span
    spans = exported_spans(otlp)
    trace_id, root_id = run_trace(paused["thread"])
    assert {s.trace_id.hex() for s in spans} == {trace_id}
    roots = [s for s in spans if s.span_id.hex() == root_id]
    assert [r.name for r in roots] == ["run:Payer"]
    assert {s.parent_span_id.hex() for s in spans if s is not roots[0]} == {root_id}
    assert [s.name for s in spans].count("agent:Payer") == 2, "both model calls"
