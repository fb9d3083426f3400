"""A minimal JSON-RPC client for a running workbench (Odoo's web controllers).

Used by the benchmarks that go through Odoo like the web client does (``ipwb bench catalog``,
``ipwb bench sql --odoo-url``): log in with ``/web/session/authenticate`` (the session cookie
is kept), then call model methods through ``/web/dataset/call_kw/<model>/<method>``.
Standard library only.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError


class OdooJsonRpc:
    """A logged-in JSON-RPC session (cookie kept), enough to call model methods.

    A URL that is not http(s) and a refused login are :class:`ConfigurationError`; a server
    that does not answer, or answers with an error, is an :class:`IntegrationError`.
    """

    def __init__(self, url: str, timeout_s: float = 600.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"The workbench URL must be http(s)://…, not {url!r}")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self._id = 0

    def _post(self, path: str, params: dict[str, Any]) -> Any:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id})
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url + path, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read().decode())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise IntegrationError(f"The workbench at {self.url} did not answer {path}: {exc}") from None
        if answer.get("error"):
            error = answer["error"]
            message = (error.get("data") or {}).get("message") or error.get("message")
            raise IntegrationError(f"The workbench at {self.url} refused {path}: {message}")
        return answer.get("result")

    def authenticate(self, db: str, login: str, password: str) -> int:
        """Log in; returns the user id."""
        result = self._post("/web/session/authenticate", {"db": db, "login": login, "password": password})
        uid = (result or {}).get("uid")
        if not uid:
            raise ConfigurationError(
                f"The workbench at {self.url} refused the login {login!r} on database {db!r}"
            )
        return int(uid)

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``model.method(*args, **kwargs)`` as the logged-in user."""
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )
