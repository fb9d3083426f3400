"""The Postgres checkpointer: its tables in their own schema, and a run paused on an
approval in one process resumed in another (new graph, new pool), each tool run once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from langfuse import Langfuse

from ipwb.errors import ConfigurationError
from ipwb.llm.agents.checkpoint import SCHEMA, CheckpointStore, install
from ipwb.llm.langfuse_sink import run_trace
from ipwb.testing.openai_peer import OpenAIPeer

from .otlp import Collector, exported_spans

ROOT = Path(__file__).resolve().parents[2]


def drive(dsn: str, peer: OpenAIPeer, action: str, run_id: str, otlp_url: str = "") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.llm.agent_worker", dsn, peer.base_url, action, run_id, otlp_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def tables(dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name LIKE 'checkpoint%%'"
        ).fetchall()
    return {(r[0], r[1]) for r in rows}


def test_install_is_idempotent_and_uses_its_own_schema(scratch_db: str) -> None:
    install(scratch_db)
    install(scratch_db)
    expected = {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"}
    assert tables(scratch_db) == {(SCHEMA, name) for name in expected}
    with psycopg.connect(scratch_db) as conn:
        versions = [r[0] for r in conn.execute(f"SELECT v FROM {SCHEMA}.checkpoint_migrations ORDER BY v")]
    assert versions == list(range(10))
    with pytest.raises(ConfigurationError, match="Invalid checkpoint schema"):
        install(scratch_db, "bad name")


def test_pause_in_one_process_resume_in_another(scratch_db: str, peer: OpenAIPeer) -> None:
    install(scratch_db)
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE tool_log (call_id text, tool text, arguments text)")
    peer.tool_calls(("lookup", {"tin": "1"}), ("pay", {"amount": 12.5}))
    first = drive(scratch_db, peer, "start", "run-1")
    assert first["status"] == "waiting_approval"
    assert [c["tool"] for c in first["pending"]] == ["pay"]

    peer.reply("Paid 12.50.")
    second = drive(scratch_db, peer, "resume", "run-1")
    assert second == {"status": "done", "answer": "Paid 12.50.", "pending": []}
    with psycopg.connect(scratch_db) as conn:
        log = conn.execute("SELECT call_id, tool, arguments FROM tool_log ORDER BY tool").fetchall()
    calls = peer.requests[0]  # the first model turn proposed both calls
    assert len(peer.requests) == 2 and calls.model == "peer"
    assert [(t, json.loads(a)) for _, t, a in log] == [("lookup", {"tin": "1"}), ("pay", {"amount": 12.5})]
    assert len({c for c, _, _ in log}) == 2, "each tool ran exactly once, under its own call id"
    assert {s for s, _ in tables(scratch_db)} == {SCHEMA}, "nothing in public"

    # retention: a finished run's checkpoints go with delete_thread
    store = CheckpointStore(scratch_db)
    try:
        store.delete_thread("run-1")
    finally:
        store.close()
    with psycopg.connect(scratch_db) as conn:
        left = conn.execute(f"SELECT count(*) FROM {SCHEMA}.checkpoints WHERE thread_id = 'run-1'").fetchone()
    assert left == (0,)


def test_a_resumed_run_continues_its_trace(scratch_db: str, peer: OpenAIPeer, otlp: Collector) -> None:
    """Two processes drive one run: their spans form one trace (id derived from the thread
    id, as Langfuse's own seed), under the run's root span, which the first one sent.
    Model calls are generations named after the feature (``agent:<name>``), steps after
    their tool or kind."""
    install(scratch_db)
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE tool_log (call_id text, tool text, arguments text)")
    run_id = "run-traced"
    peer.tool_calls(("lookup", {"tin": "1"}), ("pay", {"amount": 3}))
    assert drive(scratch_db, peer, "start", run_id, otlp.url)["status"] == "waiting_approval"
    first = exported_spans(otlp)
    peer.reply("Paid 3.")
    assert drive(scratch_db, peer, "resume", run_id, otlp.url)["status"] == "done"
    spans = exported_spans(otlp)
    later = spans[len(first) :]
    assert first and later, "both processes exported spans"

    trace_id, root_id = run_trace(run_id)
    assert trace_id == Langfuse.create_trace_id(seed=run_id)
    assert {s.trace_id.hex() for s in spans} == {trace_id}, "one trace across the resume"
    roots = [s for s in spans if s.span_id.hex() == root_id]
    assert [r.name for r in roots] == ["run:payer"], "one root span, sent by the first process"
    assert roots[0] in first
    assert root_id not in {s.span_id.hex() for s in later}
    children = [s for s in spans if s is not roots[0]]
    assert {s.parent_span_id.hex() for s in children} == {root_id}, "every call and step under the run"
    names = [s.name for s in later]
    assert names.count("agent:payer") == 1, "the resumed model call"  # generations are named by feature
    assert {"model", "lookup", "pay", "final"} <= set(names), "steps are named by tool or kind"
    assert [s.name for s in first].count("agent:payer") == 1, "the first model call"
