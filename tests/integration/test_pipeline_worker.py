"""Pipeline run workers as real Odoo processes.

- two `odoo-bin shell` workers drain the same queue concurrently: every run executes once
  (claims use SELECT … FOR UPDATE SKIP LOCKED and are committed before execution);
- a cron worker (`odoo-bin` with one cron thread) is SIGKILLed in the middle of a
  `pg_sleep` step; the next worker pass sees the stale heartbeat and fails the run;
- an n8n webhook step calls a real n8n (npm, cached per machine by setup/n8n.sh) on loopback.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import psycopg2
import pytest

from .conftest import ROOT, OdooDatabases, odoo_runner
from .waiting import RUN_PIPELINE_ONCE, stop_process, wait_for, wait_until_served

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

RESULT_MARK = "IPWB-RESULT:"


def _result(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise AssertionError(f"script printed no result:\n{output[-3000:]}")


@pytest.fixture
def warehouse_table(odoo_databases: OdooDatabases, pg_admin_dsn: str) -> Iterator[str]:
    """A silver table owned by the writer role, dropped afterwards."""
    table = f"silver.ipwb_it_{uuid.uuid4().hex[:8]}"
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = odoo_databases.options["ipwb_warehouse_db"]
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (tag int, pid int, at timestamptz DEFAULT now())")
        cur.execute(f"ALTER TABLE {table} OWNER TO ipwb_wh_owner")
    try:
        yield table
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()


def _odoo_dsn(odoo_databases: OdooDatabases, pg_admin_dsn: str, database: str) -> str:
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = database
    return psycopg2.extensions.make_dsn(**params)


def _shell(odoo_databases: OdooDatabases, database: str, script: str) -> subprocess.Popen[str]:
    command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin"), "shell"]
    command += ["-c", odoo_databases.config_path, "-d", database, "--no-http", "--log-level=warn"]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdin is not None
    process.stdin.write(script)
    process.stdin.close()
    return process


SETUP = """
import json
# a run uses its owner's rights, never the superuser's (the shell's OdooBot): a real owner
pipeline = env["ipwb.pipeline"].create({{"name": "IT", "code": "it_pipeline",
                                         "owner_id": env.ref("base.user_admin").id,
                                         "concurrency": {concurrency!r}}})
steps = {steps!r}
made = {{}}
for seq, (name, sql, deps) in enumerate(steps, 1):
    made[name] = env["ipwb.pipeline.step"].create({{
        "pipeline_id": pipeline.id, "name": name, "kind": "sql", "sequence": seq,
        "config": json.dumps({{"sql": sql, "targets": {targets!r}}}),
        "depends_on_ids": [(6, 0, [made[d].id for d in deps])]}})
pipeline.action_validate()
runs = env["ipwb.pipeline.run"].create([
    {{"pipeline_id": pipeline.id, "params": json.dumps({{"tag": i}})}} for i in range({runs})])
params = env["ir.config_parameter"]
for key, value in {settings!r}.items():
    params.set_param(key, value)
env.cr.commit()
print("IPWB-RESULT:" + json.dumps({{"runs": runs.ids}}))
"""

WORKER = """
import json
done = env["ipwb.pipeline.run"]._cron_process_runs()
env.cr.commit()
print("IPWB-RESULT:" + json.dumps({"done": done}))
"""


def test_two_workers_never_execute_a_run_twice(
    odoo_databases: OdooDatabases, pipeline_template: str, warehouse_table: str, pg_admin_dsn: str
) -> None:
    database = odoo_databases.copy(pipeline_template, "ipwb_it_plq")
    sql = f"INSERT INTO {warehouse_table} (tag, pid) VALUES (%(tag)s, pg_backend_pid()); SELECT pg_sleep(0.4)"
    # parallel: both workers take runs of this one pipeline (a queue pipeline runs one at a time)
    script = SETUP.format(
        steps=[("work", sql, [])], runs=12, settings={}, targets=[warehouse_table], concurrency="parallel"
    )
    setup = odoo_databases.run_script(database, script)
    assert setup.ok, setup.explain()
    runs = _result(setup.output)["runs"]

    workers = [_shell(odoo_databases, database, WORKER) for _ in range(2)]
    outputs = []
    for worker in workers:
        assert worker.stdout is not None
        outputs.append(worker.stdout.read())
        worker.wait(timeout=180)
        worker.stdout.close()
    done = [_result(output)["done"] for output in outputs]
    assert sum(done) == len(runs), outputs
    assert all(count > 0 for count in done), f"both workers should have claimed runs: {done}"

    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = odoo_databases.options["ipwb_warehouse_db"]
    with psycopg2.connect(**params) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT tag, count(*) FROM {warehouse_table} GROUP BY tag ORDER BY tag")
        executed = cur.fetchall()
    assert executed == [(tag, 1) for tag in range(len(runs))], "each run executed exactly once"
    with psycopg2.connect(_odoo_dsn(odoo_databases, pg_admin_dsn, database)) as conn, conn.cursor() as cur:
        cur.execute("SELECT state, count(*), count(DISTINCT worker) FROM ipwb_pipeline_run GROUP BY state")
        states = cur.fetchall()
    assert states == [("succeeded", len(runs), 2)], states


def test_killed_worker_run_is_detected_and_failed(
    odoo_databases: OdooDatabases, pipeline_template: str, pg_admin_dsn: str
) -> None:
    database = odoo_databases.copy(pipeline_template, "ipwb_it_plk")
    steps = [("sleepy", "SELECT pg_sleep(30)", []), ("after", "SELECT 1", ["sleepy"])]
    settings = {
        "ipwb_pipeline.heartbeat_seconds": "1",
        "ipwb_pipeline.stale_after_seconds": "4",
        "ipwb_pipeline.max_run_attempts": "1",
    }
    script = SETUP.format(steps=steps, runs=1, settings=settings, targets=[], concurrency="queue")
    setup = odoo_databases.run_script(database, script)
    assert setup.ok, setup.explain()
    (run_id,) = _result(setup.output)["runs"]

    command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin")]
    command += ["-c", odoo_databases.config_path, "-d", database, "--no-http", "--max-cron-threads=1"]
    command += ["--log-level=warn"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    odoo_dsn = _odoo_dsn(odoo_databases, pg_admin_dsn, database)
    notify_dsn = _odoo_dsn(odoo_databases, pg_admin_dsn, "postgres")

    def wake() -> None:
        with psycopg2.connect(notify_dsn) as conn, conn.cursor() as cur:
            cur.execute("NOTIFY cron_trigger, %s", (database,))  # wake the cron thread up

    def started() -> str | None:
        with psycopg2.connect(odoo_dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT state FROM ipwb_pipeline_step_run WHERE run_id = %s AND step_name = 'sleepy'",
                (run_id,),
            )
            state = cur.fetchone()[0]
        return state if state == "running" or server.poll() is not None else None

    try:
        wake()
        state = wait_for(started, 90, step_s=1, wake=wake)
        assert state == "running", f"the worker never started the step ({state})"
        with psycopg2.connect(odoo_dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT heartbeat FROM ipwb_pipeline_run WHERE id = %s", (run_id,))
            first_beat = cur.fetchone()[0]
        time.sleep(2.5)
        with psycopg2.connect(odoo_dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT heartbeat, state FROM ipwb_pipeline_run WHERE id = %s", (run_id,))
            beat, run_state = cur.fetchone()
        assert run_state == "running" and beat > first_beat, "the heartbeat thread refreshes a long step"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()

    time.sleep(5)  # past stale_after_seconds
    recover = odoo_databases.run_script(
        database,
        "import json\n"
        "recovered = env['ipwb.pipeline.run']._recover_stale_runs()\n"
        "env.cr.commit()\n"
        "print('IPWB-RESULT:' + json.dumps({'recovered': recovered.ids}))\n",
    )
    assert _result(recover.output)["recovered"] == [run_id], recover.output[-3000:]
    with psycopg2.connect(odoo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT state, error FROM ipwb_pipeline_run WHERE id = %s", (run_id,))
        run_state, error = cur.fetchone()
        cur.execute(
            "SELECT step_name, state FROM ipwb_pipeline_step_run WHERE run_id = %s ORDER BY sequence",
            (run_id,),
        )
        steps_state = cur.fetchall()
    assert run_state == "failed"
    assert "stopped responding" in error
    assert steps_state == [("sleepy", "failed"), ("after", "skipped")]


N8N_WORKFLOW = [
    {
        "id": "ipwbHook00000001",
        "name": "ipwb pipeline hook",
        "active": True,
        "nodes": [
            {
                "parameters": {
                    "httpMethod": "POST",
                    "path": "ipwb-ready",
                    "responseMode": "onReceived",
                    "options": {},
                },
                "id": "5f0a6f4e-1f6b-4a43-9d7e-0b7d0c1a0001",
                "name": "Webhook",
                "type": "n8n-nodes-base.webhook",
                "typeVersion": 2,
                "position": [0, 0],
                "webhookId": "5f0a6f4e-1f6b-4a43-9d7e-0b7d0c1a0002",
            }
        ],
        "connections": {},
        "settings": {},
    }
]


@pytest.fixture
def n8n_webhook(tmp_path: pathlib.Path) -> Iterator[str]:
    """A real n8n (npm, cached per machine by setup/n8n.sh) on 127.0.0.1 with one webhook."""
    found = subprocess.run(
        ["bash", str(ROOT / "setup" / "n8n.sh"), "bin"], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        message = "n8n is not installed on this machine: run `setup/n8n.sh install` once (large npm package)"
        if os.environ.get("IPWB_REQUIRE_N8N") == "1":
            pytest.fail(message)  # setup/test.sh installed it: its absence is a failure, not a skip
        pytest.skip(message)
    n8n = found.stdout.strip()
    env = {
        **os.environ,
        "N8N_USER_FOLDER": str(tmp_path),
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
    }
    workflow = tmp_path / "workflow.json"
    workflow.write_text(json.dumps(N8N_WORKFLOW))
    for args in (["import:workflow", f"--input={workflow}"], ["publish:workflow", "--id=ipwbHook00000001"]):
        done = subprocess.run([n8n, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env["N8N_PORT"] = str(port)
    server = subprocess.Popen([n8n, "start"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/webhook/ipwb-ready"
    try:
        wait_until_served(url, timeout_s=90, what="n8n", data=b"{}")
        yield url
    finally:
        stop_process(server, 20)


N8N_RUN = """
import json
# n8n listens on loopback: on the outbound allow-list explicitly (loopback is refused otherwise)
env["ir.config_parameter"].set_param("ipwb.outbound_allowed_hosts", {url!r})
pipeline = env["ipwb.pipeline"].create({{"name": "n8n", "code": "it_n8n",
                                         "owner_id": env.ref("base.user_admin").id}})
env["ipwb.pipeline.step"].create({{"pipeline_id": pipeline.id, "name": "notify", "kind": "n8n_webhook",
    "config": json.dumps({{"url": {url!r}, "payload": {{"table": "gold.sales"}}, "timeout_s": 10}})}})
{run_once}print("IPWB-RESULT:" + json.dumps({{"state": run.state, "response": run.step_run_ids.response,
                                   "log": run.step_run_ids.log, "error": run.error or ""}}))
"""


def test_webhook_step_calls_a_real_n8n(
    odoo_databases: OdooDatabases, pipeline_template: str, n8n_webhook: str
) -> None:
    database = odoo_databases.copy(pipeline_template, "ipwb_it_pln8n")
    done = odoo_databases.run_script(database, N8N_RUN.format(url=n8n_webhook, run_once=RUN_PIPELINE_ONCE))
    result = _result(done.output)
    assert result["state"] == "succeeded", result
    assert json.loads(result["response"]) == {"message": "Workflow was started"}
    assert result["log"].startswith("HTTP 200")
