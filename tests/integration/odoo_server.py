"""An Odoo HTTP server as a subprocess, and a JSON-RPC client for it (deploy tests)."""

from __future__ import annotations

import configparser
import json
import os
import pathlib
import subprocess
import sys
import time
from typing import Any

import requests
import websocket

from .waiting import stop_process


def write_config(path: pathlib.Path, base: pathlib.Path, options: dict[str, str]) -> pathlib.Path:
    """The repository's odoo.conf with ``options`` overriding it, mode 600 (it holds passwords)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(base, encoding="utf-8")
    for key, value in options.items():
        parser.set("options", key, value)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        parser.write(handle)
    return path


class OdooServer:
    """``odoo-bin -c CONF`` (threaded: HTTP, one cron thread, the bus on first websocket)."""

    def __init__(self, odoo_dir: str, config: pathlib.Path, port: int, log: pathlib.Path) -> None:
        self.command = [sys.executable, os.path.join(odoo_dir, "odoo-bin"), "-c", str(config)]
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 300) -> OdooServer:
        with open(self.log, "wb") as handle:
            self.process = subprocess.Popen(self.command, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo stopped while starting:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/web/health", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"Odoo did not answer /web/health:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None


class JsonRpc:
    """A logged-in browser session, as the web client talks to Odoo."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, route: str, params: dict[str, Any]) -> Any:
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        response = self.http.post(f"{self.url}{route}", json=payload, timeout=300)
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise AssertionError(json.dumps(body["error"])[:3000])
        return body["result"]

    def login(self, db: str, login: str, password: str) -> int:
        result = self.call("/web/session/authenticate", {"db": db, "login": login, "password": password})
        return int(result["uid"])

    def call_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        return self.call(f"/web/dataset/call_kw/{model}/{method}", params)

    def websocket(self) -> websocket.WebSocket:
        host = self.url.removeprefix("http://")
        return websocket.create_connection(
            f"ws://{host}/websocket",
            cookie=f"session_id={self.http.cookies['session_id']}",
            origin=self.url,
            timeout=5,
        )
