"""Outbound policy and pinned fetch: SSRF refusals, allow-list, redirects, DNS rebinding, size cap.

All network traffic goes to a loopback server on 127.0.0.1; other addresses only ever reach
the policy (which refuses them before any connection) or an injected resolver.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ipwb.errors import ConfigurationError, IntegrationError, OutboundRefused
from ipwb.guardian.alerts import post_webhook
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.integrations.outbound_http import fetch
from ipwb.integrations.webhook import call_webhook, post_chat_message


class Peer:
    """Loopback HTTP server: ``/big`` answers 100 kB, ``/to?u=URL`` redirects (302), others echo."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                peer.seen.append(
                    {"method": self.command, "path": self.path, "host": self.headers["Host"], "body": body}
                )
                if self.path.startswith("/to?u="):
                    self.send_response(302)
                    self.send_header("Location", self.path[len("/to?u=") :])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = b"x" * 100_000 if self.path == "/big" else json.dumps({"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def peer() -> Iterator[Peer]:
    p = Peer()
    yield p
    p.server.shutdown()
    p.server.server_close()


def fixed(mapping: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return mapping[host]

    return resolve


NOTHING = OutboundPolicy()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8069/web/login", "loopback"),
        ("http://10.0.0.8/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://100.64.1.1/", "carrier-grade NAT"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://0.0.0.0:8069/", "unspecified"),
        ("http://[::1]:8069/", "loopback"),
        ("http://[::ffff:127.0.0.1]:8069/", "loopback"),
        ("http://[::ffff:a9fe:a9fe]/", "cloud metadata"),
        ("http://[64:ff9b::7f00:1]/", "loopback"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::5]/", "private"),
        ("http://[::]/", "unspecified"),
        ("http://2130706433:8069/", "spelling of an IP address"),
        ("http://0x7f.1:8069/", "spelling of an IP address"),
        ("http://127.1:8069/", "spelling of an IP address"),
        ("http://017700000001/", "spelling of an IP address"),
        ("http://0x7f000001/", "spelling of an IP address"),
        ("http://127.000.000.001/", "spelling of an IP address"),
        ("ftp://127.0.0.1/", "only http"),
        ("file:///etc/passwd", "only http"),
        ("gopher://127.0.0.1:6379/_x", "only http"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://example.com@127.0.0.1/", "user name or password"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("http://127.0.0.1:0/", "port 0"),
        ("http:///nohost", "no host"),
        ("http://exa mple.com/", "spaces or control"),
        ("http://[fe80::1%25eth0]/", "scoped"),
    ],
)
def test_special_addresses_and_odd_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(OutboundRefused, match=reason):
        NOTHING.check_url(url)


def test_refusal_names_the_host_never_the_path_or_password() -> None:
    with pytest.raises(OutboundRefused) as caught:
        NOTHING.check_url("http://u:hunter2@127.0.0.1/hooks/secret-key")
    assert "hunter2" not in str(caught.value) and "secret-key" not in str(caught.value)


def test_default_deny_for_public_hosts_and_names() -> None:
    policy = OutboundPolicy(resolver=fixed({"hooks.example.com": ["93.184.216.34"]}))
    with pytest.raises(OutboundRefused, match="not on the outbound allow-list"):
        policy.check_url("https://hooks.example.com/x")
    # an LLM provider's built-in public endpoint is the only exception
    assert policy.check_url("https://hooks.example.com/x", allow_public=True).addresses == ("93.184.216.34",)


def test_name_resolving_to_loopback_is_refused_unless_listed() -> None:
    resolver = fixed({"evil.example.com": ["93.184.216.34", "127.0.0.1"], "localhost": ["127.0.0.1", "::1"]})
    with pytest.raises(OutboundRefused, match=r"evil.example.com \(127.0.0.1\):80 is a loopback"):
        OutboundPolicy(resolver=resolver).check_url("http://evil.example.com/", allow_public=True)
    listed = OutboundPolicy.from_entries(["localhost:8069"], resolver)
    assert listed.check_url("http://localhost:8069/x").addresses == ("127.0.0.1", "::1")
    with pytest.raises(OutboundRefused, match="loopback"):
        listed.check_url("http://localhost:8070/x")  # the entry names a port


def test_metadata_needs_the_exact_address_even_for_a_listed_name_or_network() -> None:
    resolver = fixed({"n8n.internal": ["169.254.169.254"]})
    policy = OutboundPolicy.from_entries(["n8n.internal", "169.254.0.0/16"], resolver)
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        policy.check_url("http://n8n.internal/")
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        policy.check_url("http://169.254.169.254/")
    assert policy.check_url("http://169.254.1.1/").addresses == ("169.254.1.1",)
    exact = OutboundPolicy.from_entries(["169.254.169.254"])
    assert exact.check_url("http://169.254.169.254/").host == "169.254.169.254"


def test_allow_list_entries() -> None:
    resolver = fixed(
        {"a.example.com": ["10.0.0.5"], "example.com": ["10.0.0.6"], "b.other.org": ["10.9.9.9"]}
    )
    policy = OutboundPolicy.from_entries(
        OutboundPolicy.split(
            "*.example.com  # n8n\n10.9.0.0/16:8080, [fd00::5]:80\nhttps://chat.example.org/hooks/x"
        ),
        resolver,
    )
    assert [str(e) for e in policy.allowed] == [
        "*.example.com",
        "10.9.0.0/16:8080",
        "[fd00::5]:80",
        "chat.example.org:443",
    ]
    assert policy.check_url("http://a.example.com/").port == 80
    with pytest.raises(OutboundRefused, match="private"):
        policy.check_url("http://example.com/")  # *.example.com: sub-domains only
    assert policy.check_url("http://b.other.org:8080/").addresses == ("10.9.9.9",)
    with pytest.raises(OutboundRefused):
        policy.check_url("http://b.other.org:8081/")
    assert policy.check_url("http://[fd00::5]/").host == "fd00::5"
    # the IPv4-mapped form of an allow-listed IPv4 address is that address
    assert OutboundPolicy.from_entries(["127.0.0.1"]).check_url("http://[::ffff:127.0.0.1]:1/").port == 1
    for bad in ["0.0.0.0/0", "::/0", "127.1", "2130706433", "host:port", "[::1", "exa mple", "http://[x"]:
        with pytest.raises(ConfigurationError):
            OutboundPolicy.from_entries([bad])


def test_allow_listed_loopback_peer_is_reached(peer: Peer) -> None:
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{peer.port}"])
    answer = fetch(policy, peer.url + "/hello?x=1")
    assert (answer.status, json.loads(answer.body), answer.truncated) == (200, {"path": "/hello?x=1"}, False)
    with pytest.raises(OutboundRefused, match="loopback"):
        fetch(NOTHING, peer.url + "/hello")
    assert len(peer.seen) == 1


def test_redirect_to_a_non_listed_address_is_refused(peer: Peer) -> None:
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{peer.port}"])
    with pytest.raises(OutboundRefused, match=r"redirect from 127\.0\.0\.1 refused.*cloud metadata"):
        fetch(policy, peer.url + "/to?u=http://169.254.169.254/latest/meta-data/")
    with pytest.raises(OutboundRefused, match=r"redirect.*loopback"):
        fetch(policy, peer.url + "/to?u=http://127.0.0.1:8069/web/login")
    # an allowed hop is followed, and a POST becomes a GET after a 302
    answer = fetch(policy, peer.url + "/to?u=/landed", method="POST", body=b"{}")
    assert (answer.status, answer.redirects, json.loads(answer.body)) == (200, 1, {"path": "/landed"})
    assert [s["method"] for s in peer.seen][-2:] == ["POST", "GET"]
    with pytest.raises(IntegrationError, match="more than 5 redirects"):
        fetch(policy, peer.url + "/to?u=/to?u=/to?u=/to?u=/to?u=/to?u=/to?u=/x")


def test_dns_rebinding_connects_to_the_vetted_address(peer: Peer) -> None:
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    policy = OutboundPolicy.from_entries([f"127.0.0.1:{peer.port}"], rebinding)
    answer = fetch(policy, f"http://rebind.test:{peer.port}/pinned")
    assert answer.status == 200
    assert calls == ["rebind.test"], "resolved once: the connection used the vetted address"
    assert peer.seen[-1]["host"] == f"rebind.test:{peer.port}"
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        fetch(policy, f"http://rebind.test:{peer.port}/pinned")  # the second answer is checked anew


def test_size_cap(peer: Peer) -> None:
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{peer.port}"])
    answer = fetch(policy, peer.url + "/big", max_bytes=1000)
    assert (len(answer.body), answer.truncated) == (1000, True)
    hook = call_webhook(peer.url + "/big", {}, policy=policy, max_bytes=4096)
    assert (len(hook.body), hook.truncated) == (4096, True)


def test_webhooks_and_alerts_go_through_the_policy(peer: Peer) -> None:
    for send in (
        lambda p: call_webhook(peer.url + "/n8n", {"a": 1}, policy=p),
        lambda p: post_chat_message(peer.url + "/hooks/k", "hi", policy=p),
        lambda p: post_webhook(peer.url + "/hooks/k", "hi", policy=p),
    ):
        with pytest.raises(OutboundRefused, match="loopback"):
            send(NOTHING)
    assert peer.seen == []
    policy = OutboundPolicy.from_entries([peer.url])
    assert call_webhook(peer.url + "/n8n", {"a": 1}, policy=policy, retries=3).attempts == 1
    assert post_chat_message(peer.url + "/hooks/k", "hi", policy=policy).status == 200
    assert post_webhook(peer.url + "/hooks/k", "hi", policy=policy) == 200
    assert [json.loads(s["body"]) for s in peer.seen] == [{"a": 1}, {"text": "hi"}, {"text": "hi"}]
