# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests.common import TransactionCase

from ipwb.warehouse.connection import connect


class RecordingServer:
    """A loopback HTTP server recording JSON requests (webhooks, chat alerts)."""

    def __init__(self, status=200, body='{"ok": true}'):
        self.requests = []
        self.status = status
        self.body = body
        #: extra answer headers (e.g. a redirect's Location)
        self.headers = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                outer.requests.append({"path": self.path, "json": json.loads(raw or "null")})
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                for key, value in outer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(outer.body.encode())

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class PipelineCase(TransactionCase):
    """Pipelines on the embedded warehouse; each test gets its own warehouse table name."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Pipeline = cls.env["ipwb.pipeline"]
        cls.Run = cls.env["ipwb.pipeline.run"]

    def setUp(self):
        super().setUp()
        self.table = f"silver.ipwb_pl_{uuid.uuid4().hex[:10]}"
        self.addCleanup(self._drop_table)

    def _writer(self):
        return self.env["ipwb.pipeline.step.run"]._writer_config()

    def wh(self, statement, fetch=False):
        conn = connect(self._writer())
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
                rows = cursor.fetchall() if fetch else None
            conn.commit()
        finally:
            conn.close()
        return rows

    def _drop_table(self):
        self.wh(f"DROP TABLE IF EXISTS {self.table}")

    def make_pipeline(self, steps, **values):
        """steps: list of (name, kind, config dict, deps list, extra values)."""
        code = values.pop("code", f"pl_{uuid.uuid4().hex[:8]}")
        # runs use the owner's rights and never the superuser's: tests (run as OdooBot) give
        # their pipelines a real owner, the administrator, unless they name another
        values.setdefault("owner_id", self.env.ref("base.user_admin").id)
        pipeline = self.Pipeline.create({"name": code, "code": code, **values})
        by_name = {}
        for sequence, (name, kind, config, deps, *extra) in enumerate(steps, 1):
            by_name[name] = self.env["ipwb.pipeline.step"].create(
                {
                    "pipeline_id": pipeline.id,
                    "name": name,
                    "kind": kind,
                    "config": json.dumps(config),
                    "sequence": sequence,
                    "depends_on_ids": [(6, 0, [by_name[d].id for d in deps])],
                    **(extra[0] if extra else {}),
                }
            )
        return pipeline

    def run_now(self, pipeline):
        if pipeline.state == "draft":
            pipeline.action_validate()
        pipeline.action_run_now()
        run = self.Run.search([("pipeline_id", "=", pipeline.id)], order="id desc", limit=1)
        self.assertEqual(run.state, "queued", "Run now only queues: nothing runs in the request")
        self.Run._cron_process_runs()
        run.invalidate_recordset()
        return run

    def allow_outbound(self, *urls):
        """Put loopback test servers on the outbound allow-list (everything else is refused)."""
        self.env["ir.config_parameter"].set_param("ipwb.outbound_allowed_hosts", ", ".join(urls))

    def steps_of(self, run):
        return {s.step_name: s for s in run.step_run_ids}
