"""Several Odoo servers on one database, behind a round-robin proxy (README › Deploy ›
Several servers).

Two web servers (one threaded, one prefork) and one cron server, each with its OWN data
directory (no shared disk), sessions in the database (addon ipwb_session_db) and
attachments in the database (``ir_attachment.location=db``):

- a user who logged in stays logged in whichever server answers; logout is seen by both;
- an attachment (and Odoo's compiled assets) written by one server is read by the other;
- a pipeline started on a web server runs exactly once, on the cron server;
- SIGKILLing a web server in the middle of a request loses nothing committed: the proxy
  retries the request on the other server, which commits it once.

A control run with Odoo's file store shows the failure the database store prevents.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from ipwb.deploy import attachments

from .conftest import OdooDatabases, odoo_runner
from .odoo_servers import Client, OdooServer, RpcError, write_config
from .rr_proxy import RoundRobinProxy

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

# this suite's loopback ports (18400-18499)
PROXY_PORT, WEB_A_PORT, WEB_B_PORT = 18400, 18401, 18402
CONTROL_PORTS = (18411, 18412)
PASSWORD = secrets.token_urlsafe(18)  # the throwaway admin password of these databases
RESULT_MARK = "IPWB-RESULT:"
LOCATION_QUERY = "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'"
FILE_STORED = (
    "SELECT id, store_fname FROM ir_attachment WHERE type = 'binary' AND store_fname IS NOT NULL ORDER BY id"
)


def _result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise AssertionError(f"script printed no result:\n{output[-3000:]}")


def _shell(odoo_databases: OdooDatabases, database: str, script: str, **env: str) -> str:
    command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin"), "shell"]
    command += ["-c", odoo_databases.config_path, "-d", database, "--no-http", "--log-level=warn"]
    done = subprocess.run(
        command,
        input=script,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **env},
    )
    return done.stdout + done.stderr


def _dsn(pg_admin_dsn: str, database: str) -> str:
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = database
    return psycopg2.extensions.make_dsn(**params)


def _sessions(dsn: str, sid: str | None) -> int:
    return int(_query(dsn, "SELECT count(*) FROM ipwb_http_session WHERE sid = %s", (sid,))[0][0])


def _query(dsn: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall() if cur.description else []
    conn.close()
    return rows


SETUP = """
import json
admin = env.ref("base.user_admin")
admin.password = os.environ["IPWB_IT_PASSWORD"]
pipeline = env["ipwb.pipeline"].create({"name": "Several servers", "code": "it_several",
                                        "owner_id": admin.id})
env["ipwb.pipeline.step"].create({"pipeline_id": pipeline.id, "name": "mark", "kind": "sql",
    "config": json.dumps({"sql": os.environ["IPWB_IT_SQL"], "targets": [os.environ["IPWB_IT_TABLE"]]})})
pipeline.action_validate()
env.cr.commit()
print("IPWB-RESULT:" + json.dumps({"pipeline": pipeline.id}))
"""


@pytest.fixture(scope="module")
def warehouse_table(odoo_databases: OdooDatabases, pg_admin_dsn: str) -> Iterator[str]:
    table = f"silver.ipwb_it_{uuid.uuid4().hex[:8]}"
    dsn = _dsn(pg_admin_dsn, odoo_databases.options["ipwb_warehouse_db"])
    _query(dsn, f"CREATE TABLE {table} (pid int, at timestamptz DEFAULT now())")
    _query(dsn, f"ALTER TABLE {table} OWNER TO ipwb_wh_owner")
    try:
        yield table
    finally:
        _query(dsn, f"DROP TABLE IF EXISTS {table}")


@pytest.fixture(scope="module")
def several_db(
    odoo_databases: OdooDatabases, base_template: str, warehouse_table: str, pg_admin_dsn: str
) -> dict[str, Any]:
    """The database `migrate` would leave: addons installed, attachments moved to the database."""
    database = odoo_databases.copy(base_template, "ipwb_it_multi")
    run = odoo_databases.run(database, install=["ipwb_pipeline"])
    assert run.ok, run.explain()
    sql = f"INSERT INTO {warehouse_table} (pid) VALUES (pg_backend_pid())"
    output = _shell(
        odoo_databases,
        database,
        "import os\n" + SETUP + attachments.MIGRATE_SCRIPT,
        IPWB_IT_PASSWORD=PASSWORD,
        IPWB_IT_SQL=sql,
        IPWB_IT_TABLE=warehouse_table,
        IPWB_ATTACHMENT_LOCATION="db",
    )
    moved = re.search(r"^IPWB-ATTACHMENTS-MOVED:(\d+)$", output, re.MULTILINE)
    assert moved, output[-3000:]
    dsn = _dsn(pg_admin_dsn, database)
    ((in_files, in_db),) = _query(
        dsn,
        "SELECT count(*) FILTER (WHERE store_fname IS NOT NULL), count(*) FILTER (WHERE db_datas IS NOT NULL)"
        " FROM ir_attachment WHERE type = 'binary'",
    )
    assert int(moved.group(1)) > 0 and in_files == 0 and in_db >= int(moved.group(1))
    assert _query(dsn, LOCATION_QUERY) == [("db",)]
    return {"database": database, "pipeline": _result(output)["pipeline"], "dsn": dsn}


def _web_config(
    odoo_databases: OdooDatabases, tmp: pathlib.Path, name: str, database: str, port: int, **extra: object
) -> pathlib.Path:
    data_dir = tmp / f"data-{name}"  # never shared between servers
    data_dir.mkdir()
    return write_config(
        odoo_databases.config_path,
        tmp / f"{name}.conf",
        db_name=database,
        dbfilter=f"^{database}$",
        data_dir=data_dir,
        http_interface="127.0.0.1",
        http_port=port,
        gevent_port=port + 50,
        max_cron_threads=0,
        log_level="warn",
        **extra,
    )


def test_control_file_sessions_do_not_cross_servers(
    odoo_databases: OdooDatabases, several_db: dict[str, Any], tmp_path: pathlib.Path
) -> None:
    """Without the database store (Odoo's default), each server only knows its own sessions."""
    database = several_db["database"]
    servers = [
        OdooServer(
            name, _web_config(odoo_databases, tmp_path, name, database, port), tmp_path / f"{name}.log", port
        )
        for name, port in zip(("file_a", "file_b"), CONTROL_PORTS, strict=True)
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(database)
        on_a = Client(f"http://127.0.0.1:{CONTROL_PORTS[0]}")
        assert on_a.login(database, "admin", PASSWORD)
        assert on_a.uid()[0], "the session works on the server that logged in"
        on_b = Client(f"http://127.0.0.1:{CONTROL_PORTS[1]}")
        on_b.sid = on_a.sid
        assert on_b.uid()[0] is None, "a file session must not be known to another server"
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def cluster(
    odoo_databases: OdooDatabases, several_db: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("several")
    database = several_db["database"]
    shared = {"server_wide_modules": "base,web,ipwb_session_db", "ipwb_session_store": "db"}
    web_a = OdooServer(
        "web_a",
        _web_config(odoo_databases, tmp, "web_a", database, WEB_A_PORT, workers=0, **shared),
        tmp / "web_a.log",
        WEB_A_PORT,
    )
    web_b = OdooServer(  # prefork, as the image's `serve` runs
        "web_b",
        _web_config(odoo_databases, tmp, "web_b", database, WEB_B_PORT, workers=2, **shared),
        tmp / "web_b.log",
        WEB_B_PORT,
    )
    cron_conf = _web_config(
        odoo_databases, tmp, "cron", database, 18420, workers=0, http_enable=False, **shared
    )
    write_config(str(cron_conf), cron_conf, max_cron_threads=1)
    cron = OdooServer("cron", cron_conf, tmp / "cron.log", None)
    servers = [web_a, web_b, cron]
    try:
        for server in servers:
            server.start()
        web_a.wait_ready(database)
        web_b.wait_ready(database)
        with RoundRobinProxy(PROXY_PORT, {"web_a": WEB_A_PORT, "web_b": WEB_B_PORT}) as proxy:
            yield {"proxy": proxy, "web_a": web_a, "web_b": web_b, "cron": cron, "tmp": tmp, **several_db}
    finally:
        for server in servers:
            server.stop()


def _login(cluster: dict[str, Any]) -> Client:
    client = Client(cluster["proxy"].url)
    assert client.login(cluster["database"], "admin", PASSWORD)
    return client


def test_login_holds_on_every_server(cluster: dict[str, Any]) -> None:
    client = _login(cluster)
    answers = [client.uid() for _ in range(4)]
    assert all(uid for uid, _backend in answers), answers
    assert {backend for _uid, backend in answers} == {"web_a", "web_b"}, answers
    assert _sessions(cluster["dsn"], client.sid) == 1
    on_disk = [p for p in cluster["tmp"].glob("data-*/sessions/*/*") if p.name == client.sid]
    assert on_disk == [], "no session file is written by any server"

    for server in ("web_a", "web_b", "cron"):
        assert client.sid not in cluster[server].log_path.read_text(errors="replace"), "no key in logs"

    logged_in = client.sid
    client.rpc("/web/session/destroy", {})  # logout rotates and deletes the old key everywhere
    client.sid = logged_in
    assert [client.uid()[0] for _ in range(2)] == [None, None]
    assert _sessions(cluster["dsn"], logged_in) == 0


def test_expired_and_forged_sessions_are_refused(cluster: dict[str, Any]) -> None:
    client = _login(cluster)
    _query(
        cluster["dsn"],
        "UPDATE ipwb_http_session SET updated_at = now() - interval '8 days' WHERE sid = %s",
        (client.sid,),
    )
    assert [client.uid()[0] for _ in range(2)] == [None, None], "idle past the 7-day lifetime"
    for forged in ("..%2F..%2Fetc%2Fpasswd", "x" * 84, "a" * 83 + "'"):
        client.sid = forged
        assert client.uid()[0] is None
    assert _sessions(cluster["dsn"], "x" * 84) == 0


def test_attachment_written_by_one_server_is_read_by_the_other(cluster: dict[str, Any]) -> None:
    client = _login(cluster)
    content = secrets.token_bytes(48 * 1024)
    attachment_id, written_by = client.call(
        "ir.attachment", "create", {"name": "several.bin", "datas": base64.b64encode(content).decode()}
    )
    readers = set()
    for _ in range(2):
        answer = client.get(f"/web/content/{attachment_id}?download=true")
        assert answer.status_code == 200 and answer.content == content
        readers.add(answer.headers["X-Ipwb-Backend"])
    assert readers == {"web_a", "web_b"} and written_by in readers
    assert _query(
        cluster["dsn"],
        "SELECT store_fname IS NULL, db_datas IS NOT NULL FROM ir_attachment WHERE id = %s",
        (attachment_id,),
    ) == [(True, True)]

    # Odoo's compiled assets are attachments too: a bundle built by one server is served by both
    page = client.get("/web").text
    bundle = re.search(r'href="(/web/assets/[^"]+\.css)"', page)
    assert bundle, page[:2000]
    bodies = {}
    for _ in range(2):
        answer = client.get(bundle.group(1))
        assert answer.status_code == 200
        bodies[answer.headers["X-Ipwb-Backend"]] = answer.content
    assert set(bodies) == {"web_a", "web_b"} and len(bodies["web_a"]) > 1000
    assert bodies["web_a"] == bodies["web_b"]


def test_pipeline_started_on_a_web_server_runs_once_on_the_cron_server(
    cluster: dict[str, Any], odoo_databases: OdooDatabases, warehouse_table: str, pg_admin_dsn: str
) -> None:
    client = _login(cluster)
    _action, started_on = client.call("ipwb.pipeline", "action_run_now", [cluster["pipeline"]])
    assert started_on in {"web_a", "web_b"}
    deadline = time.monotonic() + 240
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        rows = _query(
            cluster["dsn"],
            "SELECT state, worker FROM ipwb_pipeline_run WHERE pipeline_id = %s",
            (cluster["pipeline"],),
        )
        if rows and rows[0][0] in {"succeeded", "failed"}:
            break
        time.sleep(1)
    assert len(rows) == 1 and rows[0][0] == "succeeded", (rows, cluster["cron"].log_tail())
    worker_pid = int(rows[0][1].split(":")[1])
    assert worker_pid == cluster["cron"].pid, "the cron server ran it, not a web server"
    warehouse = _dsn(pg_admin_dsn, odoo_databases.options["ipwb_warehouse_db"])
    assert _query(warehouse, f"SELECT count(*) FROM {warehouse_table}") == [(1,)], "executed exactly once"


def _waiting_inserts(dsn: str, database: str) -> int:
    ((count,),) = _query(
        dsn,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
        " AND query ILIKE 'INSERT INTO \"res_partner\"%%'",
        (database,),
    )
    return int(count)


def _wait_for(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_a_web_server_mid_request_loses_nothing_committed(cluster: dict[str, Any]) -> None:
    """Runs last: it kills web_a for good."""
    proxy, dsn, database = cluster["proxy"], cluster["dsn"], cluster["database"]
    client = _login(cluster)
    committed = {}
    for index in range(6):
        name = f"committed-{uuid.uuid4().hex[:8]}-{index}"
        partner_id, _backend = client.call("res.partner", "create", {"name": name})
        committed[partner_id] = name
    content = secrets.token_bytes(4096)
    attachment_id, _backend = client.call(
        "ir.attachment", "create", {"name": "before-kill.bin", "datas": base64.b64encode(content).decode()}
    )

    # web_a's request stops inside its transaction: its INSERT waits for this table lock
    blocker = psycopg2.connect(dsn)
    outcome: dict[str, Any] = {}
    marker = f"in-flight-{uuid.uuid4().hex}"
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE res_partner IN EXCLUSIVE MODE")

        def in_flight() -> None:
            try:
                outcome["id"], outcome["backend"] = client.call("res.partner", "create", {"name": marker})
            except (RpcError, OSError) as error:
                outcome["error"] = repr(error)

        proxy.send_next_to("web_a")
        request = threading.Thread(target=in_flight)
        request.start()
        _wait_for(lambda: _waiting_inserts(dsn, database) == 1, "web_a's INSERT to wait on the lock")
        cluster["web_a"].kill()
        _wait_for(lambda: _waiting_inserts(dsn, database) == 2, "the retried INSERT on web_b")
        blocker.commit()  # release: web_a's orphaned transaction rolls back, web_b's commits
        request.join(timeout=180)
    finally:
        blocker.close()

    assert outcome.get("backend") == "web_b", outcome
    attempts = [(a.backend, a.error) for a in proxy.log if a.path.endswith("/res.partner/create")][-2:]
    assert attempts[0][0] == "web_a" and attempts[0][1], attempts
    assert attempts[1] == ("web_b", ""), attempts
    rows = _query(dsn, "SELECT id FROM res_partner WHERE name = %s", (marker,))
    assert rows == [(outcome["id"],)], "the interrupted request committed exactly once"
    stored = dict(_query(dsn, "SELECT id, name FROM res_partner WHERE id = ANY(%s)", (list(committed),)))
    assert stored == committed, "every acknowledged write is intact"

    # the survivor serves everything the killed server had: session, attachment, records
    uids = [client.uid()[0] for _ in range(3)]
    assert uids[0] and len(set(uids)) == 1, uids
    answer = client.get(f"/web/content/{attachment_id}?download=true")
    assert answer.status_code == 200 and answer.content == content
    names, _backend = client.call("res.partner", "read", list(committed), ["name"])
    assert {row["id"]: row["name"] for row in names} == committed


REFUSALS = """
import json
from odoo.exceptions import AccessError, UserError
from odoo.addons.ipwb_session_db.storage import apply_attachment_location
outcome = {}
for who, location in (("admin", "s3"), ("public", "db"), ("admin", "db")):
    user_env = env if who == "admin" else env(user=env.ref("base.public_user"))
    try:
        outcome[who + ":" + location] = apply_attachment_location(user_env, location)
    except (AccessError, UserError) as error:
        outcome[who + ":" + location] = [type(error).__name__, str(error)]
env.cr.commit()  # whatever a refusal left would now be visible
print("IPWB-RESULT:" + json.dumps(outcome))
"""


def test_moving_attachments_refuses_and_changes_nothing(
    odoo_databases: OdooDatabases, base_template: str, pg_admin_dsn: str
) -> None:
    database = odoo_databases.copy(base_template, "ipwb_it_attref")
    dsn = _dsn(pg_admin_dsn, database)
    stored = _query(dsn, FILE_STORED)
    ((lost_id, lost_file),) = _query(  # a file no other attachment shares
        dsn,
        "SELECT min(id), store_fname FROM ir_attachment WHERE type = 'binary' AND store_fname IS NOT NULL"
        " GROUP BY store_fname HAVING count(*) = 1 ORDER BY 1 LIMIT 1",
    )
    (odoo_databases.filestore(database) / lost_file).unlink()  # a filestore restored incompletely

    outcome = _result(_shell(odoo_databases, database, REFUSALS))
    assert outcome["admin:s3"][0] == "UserError" and "s3" in outcome["admin:s3"][1]
    assert outcome["public:db"][0] == "AccessError"
    kind, message = outcome["admin:db"]
    assert kind == "UserError" and f"ids {lost_id}" in message and "1 attachment(s)" in message
    assert _query(dsn, LOCATION_QUERY) == []
    assert _query(dsn, FILE_STORED) == stored, "nothing moved"


def test_a_misconfigured_store_stops_the_server(
    odoo_databases: OdooDatabases, tmp_path: pathlib.Path
) -> None:
    """Odoo ignores a failing server-wide module; a server silently left on the file store
    would split sessions, so the addon stops it with the reason."""
    config = write_config(
        odoo_databases.config_path,
        tmp_path / "bad.conf",
        server_wide_modules="base,web,ipwb_session_db",
        ipwb_session_store="redis",
        data_dir=tmp_path,
    )
    command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin"), "-c", str(config)]
    done = subprocess.run(
        [*command, "--no-http", "--stop-after-init"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode != 0
    assert "ipwb_session_store must be one of file, db (got 'redis')" in done.stdout + done.stderr
