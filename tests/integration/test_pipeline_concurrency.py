"""Two runs of one pipeline triggered at once, from two real Odoo processes (issue #20 §2).

Each trigger is an `odoo-bin shell` calling "Run now" as the administrator; a file barrier
lines both up, and each holds its transaction open a moment after queuing, so that the two
inserts overlap. The pipeline's concurrency policy decides:

- ``refuse``: exactly one run is queued, the other trigger gets the translated refusal (the
  unique index settles the race the check alone cannot see);
- ``queue``: both are queued, and two workers started at once execute them one after the
  other (the warehouse shows the first step finished before the second began).
"""

from __future__ import annotations

import pathlib
import subprocess

import psycopg2
import pytest

from .conftest import OdooDatabases
from .test_pipeline_worker import (
    SETUP,
    WORKER,
    _odoo_dsn,
    _result,
    _shell,
    warehouse_table,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

BARRIER = """
import json, os, time
from odoo.exceptions import UserError
barrier = {barrier!r}
open(os.path.join(barrier, str(os.getpid())), "w").close()
deadline = time.monotonic() + 120
while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
    time.sleep(0.02)
"""

TRIGGER = (
    BARRIER
    + """
pipeline = env["ipwb.pipeline"].search([("code", "=", "it_pipeline")])
try:
    action = pipeline.with_user(env.ref("base.user_admin")).action_run_now()
    time.sleep(1.5)  # keep this transaction open: the other trigger's insert overlaps it
    env.cr.commit()
    result = {{"queued": action["res_id"]}}
except UserError as exc:
    env.cr.rollback()
    result = {{"refused": str(exc)}}
print("IPWB-RESULT:" + json.dumps(result))
"""
)


def _both(processes: list[subprocess.Popen[str]]) -> list[dict]:
    results = []
    for process in processes:
        assert process.stdout is not None
        output = process.stdout.read()
        process.wait(timeout=240)
        process.stdout.close()
        results.append(_result(output))
    return results


def _setup(odoo_databases: OdooDatabases, database: str, policy: str, steps: list, targets: list) -> None:
    script = SETUP.format(steps=steps, runs=0, settings={}, targets=targets, concurrency=policy)
    done = odoo_databases.run_script(database, script)
    assert done.ok, done.explain()


def _trigger_twice(odoo_databases: OdooDatabases, database: str, barrier: pathlib.Path) -> list[dict]:
    barrier.mkdir()
    script = TRIGGER.format(barrier=str(barrier))
    return _both([_shell(odoo_databases, database, script) for _ in range(2)])


def test_refuse_policy_two_triggers_at_once_queue_exactly_one(
    odoo_databases: OdooDatabases, pipeline_template: str, pg_admin_dsn: str, tmp_path: pathlib.Path
) -> None:
    database = odoo_databases.copy(pipeline_template, "ipwb_it_plcr")
    _setup(odoo_databases, database, "refuse", [("work", "SELECT 1", [])], [])
    results = _trigger_twice(odoo_databases, database, tmp_path / "barrier")
    queued = [r["queued"] for r in results if "queued" in r]
    refused = [r["refused"] for r in results if "refused" in r]
    assert len(queued) == 1 and len(refused) == 1, results
    assert "already has a run queued or running" in refused[0]
    assert "Traceback" not in refused[0] and "duplicate key" not in refused[0]
    with psycopg2.connect(_odoo_dsn(odoo_databases, pg_admin_dsn, database)) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, state, concurrency FROM ipwb_pipeline_run")
        assert cur.fetchall() == [(queued[0], "queued", "refuse")]


def test_queue_policy_two_triggers_and_two_workers_run_one_at_a_time(
    odoo_databases: OdooDatabases,
    pipeline_template: str,
    pg_admin_dsn: str,
    tmp_path: pathlib.Path,
    warehouse_table: str,  # noqa: F811
) -> None:
    database = odoo_databases.copy(pipeline_template, "ipwb_it_plcq")
    sql = (
        f"INSERT INTO {warehouse_table} (tag, pid, at) VALUES (1, pg_backend_pid(), clock_timestamp()); "
        "SELECT pg_sleep(2); "
        f"INSERT INTO {warehouse_table} (tag, pid, at) VALUES (2, pg_backend_pid(), clock_timestamp())"
    )
    _setup(odoo_databases, database, "queue", [("work", sql, [])], [warehouse_table])
    results = _trigger_twice(odoo_databases, database, tmp_path / "triggers")
    assert all("queued" in r for r in results), results

    barrier = tmp_path / "workers"
    barrier.mkdir()
    worker = BARRIER.format(barrier=str(barrier)) + WORKER
    done = [r["done"] for r in _both([_shell(odoo_databases, database, worker) for _ in range(2)])]
    assert sum(done) == 2, done

    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = odoo_databases.options["ipwb_warehouse_db"]
    with psycopg2.connect(**params) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT tag FROM {warehouse_table} ORDER BY at")
        marks = [row[0] for row in cur.fetchall()]
    assert marks == [1, 2, 1, 2], f"the runs overlapped: start/end marks in time order {marks}"
    with psycopg2.connect(_odoo_dsn(odoo_databases, pg_admin_dsn, database)) as conn, conn.cursor() as cur:
        cur.execute("SELECT state, concurrency FROM ipwb_pipeline_run ORDER BY id")
        assert cur.fetchall() == [("succeeded", "queue")] * 2
