"""A running workbench for the security suite: one odoo-bin server and JSON-RPC clients.

The server runs on a copy of the database setup/test.sh installed every ipwb addon into
(``createdb -T``, filestore included), on 127.0.0.1 and a free port, with no cron thread.
Each client is one browser-like session: it logs in through ``/web/session/authenticate``
and calls models through ``/web/dataset/call_kw`` as the web client does.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
from typing import Any

import requests

#: what an RPC error is, as Odoo serialises it: ``data.name`` is the exception's class path
ACCESS_ERROR = "odoo.exceptions.AccessError"
USER_ERROR = "odoo.exceptions.UserError"
VALIDATION_ERROR = "odoo.exceptions.ValidationError"
#: the refusals a user may get for an operation he is not allowed to do (never a crash)
REFUSALS = frozenset({ACCESS_ERROR, USER_ERROR, VALIDATION_ERROR, "odoo.exceptions.MissingError"})
SESSION_EXPIRED = "odoo.http.SessionExpiredException"

_CSRF = re.compile(r"""csrf_token\s*:\s*["']([0-9a-f]+o[0-9]*)["']""")


class RpcError(Exception):
    """A JSON-RPC error answer: ``name`` is the server exception's class, e.g. AccessError."""

    def __init__(self, name: str, message: str, payload: dict[str, Any]) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.payload = payload


class Client:
    """One user's session on the workbench (cookies kept like a browser)."""

    def __init__(self, base_url: str, database: str, label: str) -> None:
        self.base_url = base_url
        self.database = database
        self.label = label
        self.http = requests.Session()
        self.uid: int | None = None
        self._ids = 0

    def _post_json(self, path: str, params: dict[str, Any]) -> Any:
        self._ids += 1
        body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": self._ids}
        answer = self.http.post(self.base_url + path, json=body, timeout=120)
        answer.raise_for_status()
        data = answer.json()
        if "error" in data:
            error = data["error"]
            details = error.get("data") or {}
            raise RpcError(details.get("name") or str(error.get("code")), details.get("message", ""), error)
        return data.get("result")

    def login(self, login: str, password: str) -> Client:
        params = {"db": self.database, "login": login, "password": password}
        info = self._post_json("/web/session/authenticate", params)
        self.uid = info["uid"]
        assert self.uid, f"{login} could not log in"
        return self

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self._post_json(f"/web/dataset/call_kw/{model}/{method}", params)

    def error_of(self, model: str, method: str, *args: Any, **kwargs: Any) -> RpcError | None:
        """The RPC error the call answers with, or None when it succeeds."""
        try:
            self.call(model, method, *args, **kwargs)
        except RpcError as exc:
            return exc
        return None

    def csrf_token(self) -> str:
        """The CSRF token the web client page embeds (as Odoo's own forms use it)."""
        page = self.http.get(self.base_url + "/odoo", timeout=60)
        found = _CSRF.search(page.text)
        assert found, f"no CSRF token in the web client page of {self.label} (HTTP {page.status_code})"
        return found.group(1)


@dataclasses.dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    database: str
    log_path: pathlib.Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(odoo_dir: str, config_path: str, database: str, log_path: pathlib.Path) -> Server:
    """odoo-bin on 127.0.0.1 (free port), threaded (workers=0), no cron thread, one database."""
    port = free_port()
    command = [sys.executable, os.path.join(odoo_dir, "odoo-bin"), "-c", config_path, "-d", database]
    command += [f"--db-filter=^{database}$", "--http-interface=127.0.0.1", f"--http-port={port}"]
    command += ["--workers=0", "--max-cron-threads=0", "--log-level=warn", f"--logfile={log_path}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = Server(process, port, database, log_path)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"odoo-bin exited with {process.returncode}:\n{server.log_tail()}")
        try:
            answer = requests.get(server.base_url + "/web/login", timeout=10)
            if answer.status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"odoo-bin did not answer on port {port} within 180 s:\n{server.log_tail()}")
