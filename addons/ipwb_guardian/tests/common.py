# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Test helpers: a warehouse schema with planted defects, a loopback webhook receiver."""

import http.server
import json
import threading

from odoo.addons.ipwb_catalog.tests.common import WarehouseSchema

DEFECTS = """
CREATE TABLE {schema}.customers (customer_id int, email text, region text);
INSERT INTO {schema}.customers VALUES
  (1, 'a@x.ph', 'north'), (2, NULL, 'south'), (3, 'c@x.ph', 'east'), (3, 'd@x.ph', 'east'),
  (4, NULL, 'north'), (5, 'e@x.ph', 'mars');
CREATE TABLE {schema}.orders (order_id int, customer_id int, ordered_at timestamptz);
INSERT INTO {schema}.orders VALUES
  (1, 1, now() - interval '50 hours'), (2, 2, now() - interval '49 hours'),
  (3, 77, now() - interval '48 hours');
GRANT USAGE ON SCHEMA {schema} TO ipwb_wh_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO ipwb_wh_reader;
"""


def defect_schema():
    """A throwaway warehouse schema holding customers/orders with planted defects."""
    wh = WarehouseSchema("ipwb_grd")
    wh.execute(DEFECTS)
    return wh


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 recording the JSON bodies POSTed to it."""

    def __init__(self, status=200):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"null"))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-key"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
