"""One simulated user's JSON-RPC session for ``ipwb bench load``: a persistent HTTP connection
(re-opened by itself when the server closes it, as Odoo's prefork workers do after each answer)
and the ``session_id`` cookie of its own login.

Standard library only, so thousands of calls cost the load generator as little CPU as possible
(the generator shares the machine with the server it measures).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError


class UserSession:
    """A logged-in user of a running workbench; :meth:`call` is one model method call.

    >>> UserSession("ftp://x")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: The workbench URL must be http://host:port, not 'ftp://x'
    """

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ConfigurationError(f"The workbench URL must be http://host:port, not {url!r}")
        self.url = url.rstrip("/")
        self._host, self._port = parsed.hostname, parsed.port or 80
        self._timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._cookie = ""
        self._id = 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _post(self, path: str, params: dict[str, Any]) -> Any:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id}).encode()
        headers = {"Content-Type": "application/json"}
        if self._cookie:
            headers["Cookie"] = self._cookie
        for _attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)
            try:
                self._conn.request("POST", path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # only a kept-alive connection the server had already closed is retried (once, on a
                # new one): a fresh connection dropped mid-request is an error of the server's
                self.close()
                if not reused:
                    raise IntegrationError(f"{path}: connection lost: {exc}") from None
                continue
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise IntegrationError(f"{path}: {type(exc).__name__}: {exc}") from None
            if response.will_close:
                self.close()
            break
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session_id="):
                self._cookie = value.split(";", 1)[0]
        if response.status != 200:
            raise IntegrationError(f"{path}: HTTP {response.status}")
        try:
            answer = json.loads(data)
        except ValueError:
            raise IntegrationError(f"{path}: not a JSON answer") from None
        if answer.get("error"):
            error = answer["error"]
            message = (error.get("data") or {}).get("message") or error.get("message")
            raise IntegrationError(f"{path}: {message}")
        return answer.get("result")

    def login(self, db: str, login: str, password: str) -> int:
        """Log in (a session of its own); returns the user id."""
        # a login hashes the password: on a busy machine it may wait long for a worker and a CPU
        self.close()
        self._conn = http.client.HTTPConnection(self._host, self._port, timeout=max(600.0, self._timeout_s))
        try:
            result = self._post("/web/session/authenticate", {"db": db, "login": login, "password": password})
        finally:
            self.close()  # the calls that follow wait the normal timeout
        uid = (result or {}).get("uid")
        if not uid:
            raise ConfigurationError(f"The workbench refused the login {login!r} on database {db!r}")
        return int(uid)

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``model.method(*args, **kwargs)`` as the logged-in user, like the web client's ``orm.call``."""
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )
