"""One HTTP request through the outbound policy, connected to the vetted address.

Why not urllib or requests: both resolve the host name again when they connect, so a name
that answered with a public address to the check could answer ``127.0.0.1`` to the
connection (DNS rebinding), and both follow redirects without asking. Here the policy
resolves once (:meth:`OutboundPolicy.check_url`), the connection goes to one of those
addresses (TLS still verifies the certificate of the *name*, sent as SNI and ``Host``), every
redirect is checked the same way (at most :data:`MAX_REDIRECTS`), and at most ``max_bytes``
of the answer are read.
"""

from __future__ import annotations

import dataclasses
import http.client
import socket
import ssl
import time
import urllib.parse
from collections.abc import Mapping

from ipwb.errors import IntegrationError, OutboundRefused
from ipwb.integrations.outbound import OutboundPolicy, ResolvedTarget

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 65536
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: headers kept when a redirect leaves the origin (credentials are not)
_CROSS_ORIGIN_HEADERS = frozenset({"user-agent", "accept"})


@dataclasses.dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    #: at most ``max_bytes`` of the body
    body: bytes
    truncated: bool
    #: the URL that answered (after redirects)
    url: str
    redirects: int = 0

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to ``address`` while speaking to ``host`` (the ``Host`` header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to ``address`` with SNI and certificate check for ``host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _open(
    target: ResolvedTarget, timeout_s: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    """A connection to the first vetted address that accepts one."""
    last: OSError | None = None
    for address in target.addresses:
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            tls = context or ssl.create_default_context()
            connection = _PinnedHTTPSConnection(target.host, target.port, address, timeout_s, tls)
        else:
            connection = _PinnedHTTPConnection(target.host, target.port, address, timeout_s)
        try:
            connection.connect()
        except OSError as exc:
            connection.close()
            last = exc
            continue
        return connection
    raise IntegrationError(f"cannot reach {target.host}:{target.port}: {last}")


def fetch(
    policy: OutboundPolicy,
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    tls_context: ssl.SSLContext | None = None,
) -> HttpAnswer:
    """Send one request (following checked redirects) and return the answer, whatever its
    status. Raises :class:`OutboundRefused` (policy) or :class:`IntegrationError` (network,
    timeout, too many redirects)."""
    if method not in ("GET", "POST", "PUT", "HEAD"):
        raise OutboundRefused(f"HTTP method {method!r} is not supported")
    sent = dict(headers or {})
    deadline = time.monotonic() + timeout_s * (max_redirects + 1)
    target = policy.check_url(url)
    origin = target.origin
    for hop in range(max_redirects + 1):
        if time.monotonic() > deadline:
            raise IntegrationError(f"{target.host}: no answer within the time limit")
        connection = _open(target, timeout_s, tls_context)
        try:
            connection.request(method, target.target, body=body, headers=sent)
            response = connection.getresponse()
            status = response.status
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            data = b"" if method == "HEAD" else response.read(max_bytes + 1)
        except TimeoutError:
            # connected, but the answer is slower than the timeout: not "cannot reach"
            raise IntegrationError(
                f"{target.host}:{target.port}: no answer within the time limit ({timeout_s:g} s)"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise IntegrationError(f"cannot reach {target.host}:{target.port}: {exc}") from None
        finally:
            connection.close()
        location = answer_headers.get("location")
        if status not in _REDIRECTS or not location:
            return HttpAnswer(
                status, answer_headers, data[:max_bytes], len(data) > max_bytes, target.url, hop
            )
        if hop == max_redirects:
            raise IntegrationError(f"{target.host}: more than {max_redirects} redirects")
        next_url = urllib.parse.urljoin(target.url, location)
        try:
            target = policy.check_url(next_url)
        except OutboundRefused as exc:
            raise OutboundRefused(f"redirect from {target.host} refused: {exc}") from None
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, body = ("HEAD" if method == "HEAD" else "GET"), None
            sent = {k: v for k, v in sent.items() if k.lower() not in ("content-type", "content-length")}
        if target.origin != origin:
            sent = {k: v for k, v in sent.items() if k.lower() in _CROSS_ORIGIN_HEADERS}
            origin = target.origin
    raise AssertionError("unreachable")  # pragma: no cover
