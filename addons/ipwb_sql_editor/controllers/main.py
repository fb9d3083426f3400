# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Export of a full result as CSV or XLSX, streamed from the engine to the browser.

Rows go from the warehouse's server-side cursor into a spooled temporary file (memory
bounded by one batch; large files spill to disk) and the file is sent as the response
body in chunks: the result is never rendered in the browser nor held in memory whole.
"""

import io
import json
import tempfile

from odoo.addons.ipwb_catalog import rpc_args
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.http import content_disposition, request

_MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: bytes kept in memory before the export spills to a temporary file
_SPOOL_BYTES = 4 * 1024 * 1024


class IpwbSqlExportController(http.Controller):
    @http.route("/ipwb_sql_editor/export/<string:fmt>", type="http", auth="user", methods=["POST"])
    def export(self, fmt, sql="", connection_id=None, params=None, filename=None, **_kwargs):
        if fmt not in _MIMETYPES:
            return request.make_response("Unknown export format", status=404)
        service = request.env["ipwb.sql.service"]
        env = request.env
        # form fields are text: a connection id is ASCII digits (its range is checked by
        # _get_connection); a UserError from the checks answers 400 with its message
        if connection_id and not (connection_id.isascii() and connection_id.isdigit()):
            return request.make_response("connection_id must be a number", status=400)
        connection = service._get_connection(int(connection_id) if connection_id else None)
        sql = rpc_args.sql_text(env, sql)
        filename = rpc_args.text(env, filename, env._("The file name"), rpc_args.MAX_NAME)
        try:
            values = json.loads(params) if params else {}
        except (ValueError, RecursionError):
            return request.make_response("params must be a JSON object", status=400)
        if not isinstance(values, dict):
            return request.make_response("params must be a JSON object", status=400)
        values = rpc_args.sql_params(env, values)
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - closed by the response
        if fmt == "csv":
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
            result, outcome = service._export(connection, sql, values, fmt, text)
            text.detach()
        else:
            result, outcome = service._export(connection, sql, values, fmt, spool)
        if outcome is None:
            spool.close()
            # a 4xx response (not an exception) keeps the history entry of the failure
            # shaped like Odoo's serialised errors, which the web client's download() reads
            message = result["error"]["message"]
            body = json.dumps(
                {
                    "code": 422,
                    "message": message,
                    "data": {"name": "ipwb.export", "message": message, "arguments": [message], "debug": ""},
                    "status": result["status"],
                    "error": result["error"],
                }
            )
            return request.make_response(body, headers=[("Content-Type", "application/json")], status=422)
        size = spool.tell()
        spool.seek(0)
        name = f"{_safe_name(filename)}.{fmt}"
        headers = [
            ("Content-Type", _MIMETYPES[fmt]),
            ("Content-Disposition", content_disposition(name)),
            ("Content-Length", str(size)),
            ("X-Ipwb-Rows", str(outcome.rows)),
            ("X-Ipwb-Truncated", "1" if outcome.truncated else "0"),
        ]
        body = wrap_file(request.httprequest.environ, spool, buffer_size=64 * 1024)
        return http.Response(body, status=200, headers=headers, direct_passthrough=True)


def _safe_name(name):
    cleaned = "".join(ch for ch in (name or "") if ch.isalnum() or ch in "-_ ").strip()
    return cleaned[:80] or "query"
