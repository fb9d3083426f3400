"""PostgreSQL restarted under a running workbench (issue #20 §2), on a private cluster.

One Odoo server (HTTP and one cron thread) runs against the private cluster of
:mod:`.restartable_pg` — never the shared one. While a pipeline step is in the middle of
writing a gold table, and while an editor query runs, the cluster is restarted (``pg_ctl
-m fast``: every session terminated). Then:

- the run ends failed-and-retried: its interrupted attempt is recorded with the reason, the
  run is queued again and succeeds; the gold table holds the rows of exactly one complete
  attempt (the interrupted transaction left nothing);
- the editor's call answers a clear, translated error, no traceback;
- the same Odoo server serves the next requests, without a restart.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import psycopg2
import pytest

from ipwb.integrations.odoo_rpc import OdooJsonRpc

from .conftest import ROOT, OdooDatabases, odoo_runner
from .restartable_pg import FaultCluster
from .test_pipeline_worker import _result
from .waiting import stop_process, wait_for, wait_until_served

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

PG_PORT = int(os.environ.get("IPWB_FAULTS_PG_PORT", "18750"))
HTTP_PORT = int(os.environ.get("IPWB_FAULTS_HTTP_PORT", "18751"))
PG_DIR = os.environ.get("IPWB_FAULTS_PG_DIR", "/var/tmp/ipwb-faults-pg")
WAREHOUSE = "ipwb_faults_wh"
GOLD = "gold.it_restart"
ROWS = 5000


class Workbench:
    def __init__(self, cluster: FaultCluster, databases: OdooDatabases, database: str) -> None:
        self.cluster = cluster
        self.databases = databases
        self.database = database
        self.url = f"http://127.0.0.1:{HTTP_PORT}"

    def odoo(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.cluster.admin_dsn(self.database))
        conn.autocommit = True
        return conn

    def warehouse(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.cluster.admin_dsn(WAREHOUSE))
        conn.autocommit = True
        return conn

    def wake_cron(self) -> None:
        try:
            with psycopg2.connect(self.cluster.admin_dsn("postgres")) as conn, conn.cursor() as cur:
                cur.execute("NOTIFY cron_trigger, %s", (self.database,))
        except psycopg2.OperationalError:
            pass  # the cluster is restarting


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    base_conf = os.environ.get("IPWB_TEST_ODOO_CONF")
    if not base_conf:
        pytest.skip("no Odoo test configuration (run through setup/test.sh)")
    cluster = FaultCluster(PG_DIR, PG_PORT)
    cluster.start()
    work = tmp_path_factory.mktemp("pgrestart")
    try:
        cluster.provision(WAREHOUSE)
        conf = str(work / "odoo.conf")
        overrides = cluster.odoo_overrides(WAREHOUSE, str(work / "data"), HTTP_PORT)
        done = subprocess.run(
            [sys.executable, str(ROOT / "setup" / "write_odoo_conf.py"), base_conf, conf, *overrides],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        databases = OdooDatabases(cluster.admin_dsn("postgres"), conf)
        database = databases.create_empty("ipwb_it_pgr")
        run = databases.run(database, install=["ipwb_pipeline", "ipwb_sql_editor"])
        assert run.ok, run.explain()
        prepared = databases.run_script(database, PREPARE)
        assert prepared.ok, prepared.explain()
        with psycopg2.connect(cluster.admin_dsn(WAREHOUSE)) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {GOLD} (n int)")
            cur.execute(f"ALTER TABLE {GOLD} OWNER TO ipwb_wh_owner")
        yield Workbench(cluster, databases, database)
    finally:
        cluster.destroy()


@pytest.fixture
def server(workbench: Workbench) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin")]
    command += ["-c", workbench.databases.config_path, "-d", workbench.database]
    command += ["--max-cron-threads=1", "--log-level=warn", f"--http-port={HTTP_PORT}"]
    log = open(pathlib.Path(workbench.databases.options["data_dir"]).parent / "server.log", "a")  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_served(f"{workbench.url}/web/login", timeout_s=120, what="Odoo")
        yield process
    finally:
        stop_process(process)
        log.close()


PREPARE = """
params = env["ir.config_parameter"]
for key, value in {"ipwb_pipeline.heartbeat_seconds": "1", "ipwb_pipeline.stale_after_seconds": "20",
                   "ipwb_pipeline.max_run_attempts": "2"}.items():
    params.set_param(key, value)
admin = env.ref("base.user_admin")
admin.write({"password": "admin", "groups_id": [(4, env.ref("ipwb_catalog.group_ipwb_admin").id)]})
env.cr.commit()
"""

SETUP = """
import json
admin = env.ref("base.user_admin")
pipeline = env["ipwb.pipeline"].create({{"name": "restart", "code": "it_restart", "owner_id": admin.id}})
env["ipwb.pipeline.step"].create({{"pipeline_id": pipeline.id, "name": "build", "kind": "sql",
    "config": json.dumps({{"sql": {sql!r}, "targets": [{gold!r}]}})}})
pipeline.action_validate()
run = env["ipwb.pipeline.run"].create({{"pipeline_id": pipeline.id}})
run._trigger_worker()  # a cron trigger: the worker cron is due now, not at its next interval
env.cr.commit()
print("IPWB-RESULT:" + json.dumps({{"run": run.id}}))
"""


def _safe(query, workbench: Workbench, *args):
    try:
        with workbench.odoo() as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    except psycopg2.OperationalError:
        return None


def test_restart_mid_step_fails_and_retries_the_run_without_half_written_gold(
    workbench: Workbench, server: subprocess.Popen[str]
) -> None:
    sql = f"INSERT INTO {GOLD} SELECT g FROM generate_series(1, {ROWS}) g; SELECT pg_sleep(6)"
    setup = workbench.databases.run_script(workbench.database, SETUP.format(sql=sql, gold=GOLD))
    assert setup.ok, setup.explain()
    run_id = _result(setup.output)["run"]
    state_sql = "SELECT state FROM ipwb_pipeline_step_run WHERE run_id = %s"
    started = wait_for(
        lambda: (_safe(state_sql, workbench, run_id) or [("?",)])[0][0] == "running",
        90,
        wake=workbench.wake_cron,
    )
    assert started, "the worker never started the step"
    time.sleep(1.5)  # the INSERT is done, the transaction still open (pg_sleep)
    workbench.cluster.restart("fast")

    def finished():
        rows = _safe(
            "SELECT state, attempt, log, error FROM ipwb_pipeline_run WHERE id = %s", workbench, run_id
        )
        return rows[0] if rows and rows[0][0] in ("succeeded", "failed", "cancelled") else None

    final = wait_for(finished, 150, step_s=1, wake=workbench.wake_cron)
    assert final, f"the run is still {_safe('SELECT state FROM ipwb_pipeline_run', workbench)} (stuck)"
    state, attempt, log, error = final
    assert state == "succeeded" and attempt == 2, (state, attempt, log, error)
    assert "retrying the run" in log, log
    with workbench.warehouse() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT n) FROM {GOLD}")
        assert cur.fetchone() == (ROWS, ROWS), "gold holds exactly one complete attempt"
    assert server.poll() is None, "Odoo kept running"


def _call(opener, url: str, model: str, method: str, *args) -> dict:
    body = json.dumps(
        {"jsonrpc": "2.0", "method": "call", "id": 1,
         "params": {"model": model, "method": method, "args": list(args), "kwargs": {}}}
    ).encode()  # fmt: skip
    request = urllib.request.Request(
        f"{url}/web/dataset/call_kw/{model}/{method}", data=body, headers={"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=120) as answer:
        return json.loads(answer.read().decode())


def test_restart_during_an_editor_query_answers_a_clear_error_and_odoo_serves_again(
    workbench: Workbench, server: subprocess.Popen[str]
) -> None:
    rpc = OdooJsonRpc(workbench.url, timeout_s=120)
    rpc.authenticate(workbench.database, "admin", "admin")
    first = _call(rpc._opener, workbench.url, "ipwb.sql.service", "run", None, "SELECT 1 AS one")
    assert first["result"]["status"] == "success", first

    answers: list[dict] = []
    call = threading.Thread(
        target=lambda: answers.append(
            _call(rpc._opener, workbench.url, "ipwb.sql.service", "run", None, "SELECT pg_sleep(8)")
        )
    )
    call.start()
    time.sleep(2.5)
    workbench.cluster.restart("fast")
    call.join(timeout=120)
    (answer,) = answers
    if "error" in answer:
        # Odoo's request cursor dies with PostgreSQL and its close fails, replacing whatever the
        # service raised: the answer is the connection error itself, which the editor turns into
        # its translated message (CONNECTION_LOST in sql_editor_action.js), never a result
        data = answer["error"]["data"]
        assert data["name"] in ("psycopg2.OperationalError", "psycopg2.InterfaceError"), data
        js = ROOT / "addons/ipwb_sql_editor/static/src/sql_editor/sql_editor_action.js"
        assert f'"{data["name"]}"' in js.read_text()
    else:
        message = answer["result"]["error"]["message"]
        assert answer["result"]["status"] != "success", answer
        assert "Traceback" not in message and "psycopg2" not in message, message

    again = _call(rpc._opener, workbench.url, "ipwb.sql.service", "run", None, "SELECT 2 AS two")
    assert again.get("result", {}).get("status") == "success", again
    assert again["result"]["rows"] == [[2]]
    assert server.poll() is None
