"""Odoo servers as real processes for the several-servers tests: per-server odoo.conf,
start, readiness, SIGKILL, and a small JSON-RPC client that keeps its session cookie."""

from __future__ import annotations

import configparser
import dataclasses
import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Any

import requests

from .conftest import odoo_runner


def write_config(base_config: str, path: pathlib.Path, **options: object) -> pathlib.Path:
    """A copy of the test odoo.conf with ``options`` overridden (data_dir, ports, workers…)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(base_config)
    for key, value in options.items():
        parser["options"][key] = str(value)
    with path.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    return path


@dataclasses.dataclass
class OdooServer:
    name: str
    config: pathlib.Path
    log_path: pathlib.Path
    port: int | None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> OdooServer:
        command = [sys.executable, os.path.join(odoo_runner.odoo_dir(), "odoo-bin"), "-c", str(self.config)]
        log = self.log_path.open("wb")
        # own process group: a prefork server's workers die with it
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, database: str, timeout: float = 300) -> None:
        """/web/login answers 200 once the registry of ``database`` is loaded."""
        assert self.port is not None and self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}\n{self.log_tail()}")
            try:
                answer = requests.get(f"http://127.0.0.1:{self.port}/web/login?db={database}", timeout=60)
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise AssertionError(f"{self.name} not ready within {timeout} s\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole server (no graceful shutdown: requests in flight are cut)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


class RpcError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class Client:
    """JSON-RPC as the web client speaks it, through one base URL, cookie kept by hand."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sid: str | None = None

    def _cookies(self) -> dict[str, str]:
        return {"session_id": self.sid} if self.sid else {}

    def rpc(self, path: str, params: dict[str, Any]) -> tuple[Any, str]:
        answer = requests.post(
            self.base_url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1},
            cookies=self._cookies(),
            timeout=180,
        )
        answer.raise_for_status()
        if "session_id" in answer.cookies:
            self.sid = answer.cookies["session_id"]
        body = answer.json()
        backend = answer.headers.get("X-Ipwb-Backend", "")
        if "error" in body:
            data = body["error"].get("data") or {}
            raise RpcError(str(data.get("name")), str(data.get("message")))
        return body.get("result"), backend

    def login(self, database: str, login: str, password: str) -> int:
        result, _backend = self.rpc(
            "/web/session/authenticate", {"db": database, "login": login, "password": password}
        )
        return int(result["uid"])

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> tuple[Any, str]:
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def uid(self) -> tuple[int | None, str]:
        """The session's user, or None when the server does not know the session."""
        try:
            info, backend = self.rpc("/web/session/get_session_info", {})
        except RpcError as error:
            if error.name == "odoo.http.SessionExpiredException":
                return None, ""
            raise
        return info.get("uid"), backend

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base_url + path, cookies=self._cookies(), timeout=180)
