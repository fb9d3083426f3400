"""An n8n webhook step against a failing n8n (issue #20 §2), run by a real Odoo worker process.

Three faults, each a loopback peer in this process: nothing listens on the port
(unreachable), the answer comes after the step's timeout (slow), and HTTP 500. In each case
the step retries with its policy's exponential backoff (2 retries, 0.5 s then 1 s), then the
run fails with the webhook's URL and what went wrong — never the secret part of the URL —
and a Mattermost-compatible alert reaches the loopback receiver configured as
``ipwb_pipeline.alert_webhook_url``.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import OdooDatabases
from .test_pipeline_worker import _result
from .waiting import RUN_PIPELINE_ONCE

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

SECRET = "s3cr3t-9f2c4e1b"
RETRIES = 2
BACKOFF_S = 0.5
TIMEOUT_S = 1.0


class Peer:
    """A loopback HTTP server answering POSTs with ``status`` after ``delay_s``; records them."""

    def __init__(self, status: int = 200, delay_s: float = 0.0) -> None:
        self.status = status
        self.delay_s = delay_s
        self.requests: list[tuple[float, str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                outer.requests.append((time.monotonic(), self.path, body))
                time.sleep(outer.delay_s)
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": false}')
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alerts() -> Iterator[Peer]:
    receiver = Peer(status=200)
    try:
        yield receiver
    finally:
        receiver.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


RUN = """
import json
params = env["ir.config_parameter"]
params.set_param("ipwb.outbound_allowed_hosts", {allowed!r})
params.set_param("ipwb_pipeline.alert_webhook_url", {alert!r})
pipeline = env["ipwb.pipeline"].create({{"name": "n8n fault", "code": "it_n8n_fault",
    "owner_id": env.ref("base.user_admin").id, "alert_channel": "#data-alerts"}})
env["ipwb.pipeline.step"].create({{"pipeline_id": pipeline.id, "name": "notify", "kind": "n8n_webhook",
    "retries": {retries}, "retry_backoff_s": {backoff},
    "config": json.dumps({{"url": {url!r}, "payload": {{"table": "gold.sales"}}, "timeout_s": {timeout}}})}})
{run_once}step = run.step_run_ids
print("IPWB-RESULT:" + json.dumps({{"state": run.state, "error": run.error or "", "log": run.log or "",
    "step_state": step.state, "attempt": step.attempt, "step_error": step.error or ""}}))
"""


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("unreachable", "cannot reach 127.0.0.1"),
        ("slow", "no answer within the time limit (1 s)"),
        ("http500", "HTTP 500 from"),
    ],
)
def test_n8n_fault_retries_then_fails_with_url_and_alerts(
    odoo_databases: OdooDatabases, pipeline_template: str, alerts: Peer, fault: str, expected: str
) -> None:
    peer = None
    if fault == "unreachable":
        base = f"http://127.0.0.1:{_closed_port()}"
    else:
        peer = Peer(status=500, delay_s=TIMEOUT_S + 1.5 if fault == "slow" else 0.0)
        base = peer.base
    url = f"{base}/webhook/{SECRET}/ready?token={SECRET}"
    database = odoo_databases.copy(pipeline_template, "ipwb_it_pln8f")
    script = RUN.format(
        allowed=f"{base}, {alerts.base}",
        alert=f"{alerts.base}/hooks/{SECRET}",
        retries=RETRIES,
        backoff=BACKOFF_S,
        url=url,
        timeout=TIMEOUT_S,
        run_once=RUN_PIPELINE_ONCE,
    )
    try:
        done = odoo_databases.run_script(database, script)
    finally:
        if peer:
            peer.close()
    result = _result(done.output)

    assert (result["state"], result["step_state"]) == ("failed", "failed"), result
    assert result["attempt"] == RETRIES + 1, result
    shown = f"{base}/webhook/…"
    for message in (result["error"], result["step_error"]):
        assert shown in message and expected in message, message
        assert "Webhook call failed" in message
    assert SECRET not in done.output, "the secret part of the URL leaked into the output"
    assert result["log"].count("will retry") == RETRIES, result["log"]
    if peer:
        times = [at for at, _path, _body in peer.requests]
        assert len(times) == RETRIES + 1, peer.requests
        waits = [later - earlier for earlier, later in itertools.pairwise(times)]
        # exponential backoff (0.5 s, then 1 s) on top of the attempt itself
        assert waits[0] >= BACKOFF_S and waits[1] >= 2 * BACKOFF_S, waits
        assert peer.requests[0][2]["table"] == "gold.sales"

    assert len(alerts.requests) == 1, alerts.requests
    _at, path, alert = alerts.requests[0]
    assert path == f"/hooks/{SECRET}"
    assert alert["channel"] == "data-alerts"
    assert "failed" in alert["text"] and shown in alert["text"] and expected in alert["text"]
    assert SECRET not in alert["text"]
