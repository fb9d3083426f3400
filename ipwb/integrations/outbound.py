"""The outbound policy: which hosts a server-side HTTP call may reach.

Every HTTP call the workbench makes on a user's behalf (n8n webhook steps and agent tools,
chat alerts, Langfuse export, LLM endpoints) is checked here first, because the URL is often
chosen by a user who must not be able to make the *server* talk to itself or its network
(server-side request forgery). The rule:

* only ``http``/``https``, no credentials in the URL, a port in 1–65535, and a host that is a
  name or a canonical IP address (``127.1``, ``2130706433``, ``0x7f.1``, ``017700000001`` are
  refused: resolvers disagree on what they mean);
* **default deny**: the host must be on the allow-list an administrator maintains (plus the
  service URLs an administrator configured, which the Odoo side adds implicitly). An entry is a
  host name (``n8n.example.com``, ``*.example.com`` for its sub-domains), an IP address or a
  CIDR network (``10.1.2.0/24``), each optionally with a port (``n8n.local:5678``,
  ``[fd00::5]:80``), or a full URL (its host and port);
* the name is resolved **once** and *every* address is checked: an address is acceptable when
  the host name is allow-listed or the address is inside an allow-listed IP/CIDR entry;
  cloud-metadata, unspecified, multicast and broadcast addresses are refused unless that exact
  address is allow-listed, whatever the name. IPv4-mapped, NAT64 and 6to4 IPv6 forms are judged
  as the IPv4 address they carry;
* the caller then connects to the vetted address (:func:`ipwb.integrations.outbound_http.fetch`),
  so a second DNS answer cannot redirect the request (DNS rebinding), and each redirect is
  checked again.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Callable, Iterable, Sequence

from ipwb.errors import ConfigurationError, IntegrationError, OutboundRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolver(host, port)`` → the addresses the name resolves to (textual)
Resolver = Callable[[str, int], Sequence[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
#: well-known instance-metadata endpoints (AWS, GCP, Azure, OpenStack, ECS, Alibaba, Oracle)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.169.253",
        "169.254.170.2",
        "169.254.169.123",
        "100.100.100.200",
        "192.0.0.192",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "fd00:ec2::123",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of ``host`` (IPv4 and IPv6), as the operating system resolves them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise IntegrationError(f"cannot resolve host {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def canonical_address(address: IPAddress) -> IPAddress:
    """The address a packet really goes to: IPv4 for IPv4-mapped, NAT64 and 6to4 forms.

    >>> str(canonical_address(ipaddress.ip_address("::ffff:127.0.0.1")))
    '127.0.0.1'
    >>> str(canonical_address(ipaddress.ip_address("64:ff9b::a9fe:a9fe")))
    '169.254.169.254'
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def address_kind(address: IPAddress) -> str:
    """``public`` or why the address is not (``loopback``, ``private``, ``metadata``, …)."""
    address = canonical_address(address)
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("broadcast", address == ipaddress.IPv4Address("255.255.255.255")),
        ("carrier-grade NAT", address in ipaddress.ip_network("100.64.0.0/10")),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), "public")


#: kinds refused unless the exact address is allow-listed, whatever the host name
_HARD_KINDS = frozenset({"cloud metadata", "unspecified", "multicast", "broadcast"})


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _check_name(name: str, where: str) -> str:
    """A host name in normal form (lower case, no trailing dot), or refuse it."""
    name = name.lower().rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise OutboundRefused(f"{where}: {name!r} is not a valid host name")
    if _NUMERIC_LABEL.match(labels[-1]):
        raise OutboundRefused(
            f"{where}: {name!r} is an unusual spelling of an IP address; write it as a dotted "
            "IPv4 address or a bracketed IPv6 address"
        )
    return name


@dataclasses.dataclass(frozen=True)
class AllowEntry:
    """One allow-list entry: a host name (``wildcard``: its sub-domains) or an IP network,
    and an optional port."""

    name: str = ""
    wildcard: bool = False
    network: IPNetwork | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowEntry:
        raw = text.strip().lower()
        where = f"outbound allow-list entry {text.strip()!r}"
        if "://" in raw:
            try:
                parts = urllib.parse.urlsplit(raw)
                host, port = parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme)
            except ValueError:
                raise ConfigurationError(f"{where} is not a valid URL") from None
        elif raw.startswith("["):
            host, bracket, rest = raw[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                raise ConfigurationError(f"{where}: expected [IPv6] or [IPv6]:port")
            port = _port(rest[1:], where) if rest else None
        elif raw.count(":") == 1:
            host, _, port_text = raw.partition(":")
            port = _port(port_text, where)
        else:
            host, port = raw, None
        try:
            network: IPNetwork | None = ipaddress.ip_network(host, strict=False)
        except ValueError:
            network = None
        if network is not None:
            if network.prefixlen == 0:
                raise ConfigurationError(f"{where} would allow every address")
            return cls(network=network, port=port)
        wildcard = host.startswith("*.")
        try:
            name = _check_name(host[2:] if wildcard else host, where)
        except OutboundRefused as exc:
            raise ConfigurationError(str(exc)) from None
        return cls(name=name, wildcard=wildcard, port=port)

    def _port_ok(self, port: int) -> bool:
        return self.port is None or self.port == port

    def matches_name(self, host: str, port: int) -> bool:
        if not self.name or not self._port_ok(port):
            return False
        return host.endswith("." + self.name) if self.wildcard else host == self.name

    def matches_address(self, address: IPAddress, port: int, *, exact: bool = False) -> bool:
        if self.network is None or not self._port_ok(port):
            return False
        if address.version != self.network.version or address not in self.network:
            return False
        return not exact or self.network.num_addresses == 1

    def __str__(self) -> str:
        if self.name:
            host = ("*." if self.wildcard else "") + self.name
        elif self.network is not None and self.network.num_addresses == 1:
            host = str(self.network.network_address)
        else:
            host = str(self.network)
        if self.port is None:
            return host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(f"{where}: {text!r} is not a port number")
    return int(text)


@dataclasses.dataclass(frozen=True)
class ResolvedTarget:
    """A URL the policy accepted, with the addresses to connect to (in resolver order)."""

    url: str
    scheme: str
    host: str
    port: int
    #: path and query string, as sent on the request line
    target: str
    addresses: tuple[str, ...]

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@dataclasses.dataclass(frozen=True)
class OutboundPolicy:
    """The allow-list and the checks; ``resolver`` is injectable for tests."""

    allowed: tuple[AllowEntry, ...] = ()
    resolver: Resolver = system_resolver

    @classmethod
    def from_entries(cls, entries: Iterable[str], resolver: Resolver = system_resolver) -> OutboundPolicy:
        """Parse entries (blank lines and ``#`` comments skipped); every bad entry is reported."""
        parsed, problems = [], []
        for raw in entries:
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                parsed.append(AllowEntry.parse(text))
            except ConfigurationError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(tuple(dict.fromkeys(parsed)), resolver)

    @staticmethod
    def split(text: str | None) -> list[str]:
        """Entries of a setting written one per line or comma/space separated."""
        lines = [line.split("#", 1)[0] for line in (text or "").splitlines()]
        return [item for line in lines for item in re.split(r"[\s,]+", line) if item]

    def with_entries(self, entries: Iterable[str]) -> OutboundPolicy:
        more = OutboundPolicy.from_entries(entries, self.resolver).allowed
        return dataclasses.replace(self, allowed=tuple(dict.fromkeys(self.allowed + more)))

    def check_url(self, url: str, *, allow_public: bool = False) -> ResolvedTarget:
        """Accept ``url`` and return where to connect, or raise :class:`OutboundRefused`.

        ``allow_public`` accepts non-listed hosts whose every address is public (used only for
        an LLM provider's built-in endpoint, which no user chose).
        """
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise OutboundRefused(f"{_shown(url)}: not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise OutboundRefused(f"{_shown(url)}: only http:// and https:// URLs may be called")
        if "@" in parts.netloc:
            raise OutboundRefused(f"{_shown(url)}: a URL may not carry a user name or password")
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
            raise OutboundRefused(f"{_shown(url)}: the URL contains spaces or control characters")
        raw_host = parts.hostname or ""
        if not raw_host:
            raise OutboundRefused(f"{_shown(url)}: the URL has no host")
        if port == 0:
            raise OutboundRefused(f"{_shown(url)}: port 0 cannot be called")
        port = port or DEFAULT_PORTS[scheme]
        literal = _parse_ip(raw_host)
        if literal is not None and isinstance(literal, ipaddress.IPv6Address) and literal.scope_id:
            raise OutboundRefused(f"{_shown(url)}: scoped IPv6 addresses cannot be called")
        if literal is None and ":" in raw_host:
            raise OutboundRefused(f"{_shown(url)}: {raw_host!r} is not a valid IPv6 address")
        host = str(literal) if literal is not None else _check_name(raw_host, _shown(url))
        addresses = [host] if literal is not None else list(self.resolver(host, port))
        if not addresses:
            raise IntegrationError(f"cannot resolve host {host}: no address")
        name_ok = literal is None and any(e.matches_name(host, port) for e in self.allowed)
        for text in addresses:
            address = _parse_ip(text.split("%", 1)[0])
            if address is None:
                raise OutboundRefused(f"{host} resolved to {text!r}, which is not an IP address")
            self._check_address(
                host, port, canonical_address(address), text, name_ok=name_ok, allow_public=allow_public
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return ResolvedTarget(url, scheme, host, port, target, tuple(addresses))

    def _check_address(
        self, host: str, port: int, address: IPAddress, shown: str, *, name_ok: bool, allow_public: bool
    ) -> None:
        kind = address_kind(address)
        where = host if host == shown else f"{host} ({shown})"
        if kind in _HARD_KINDS:
            if not any(e.matches_address(address, port, exact=True) for e in self.allowed):
                raise OutboundRefused(
                    f"{where}:{port} is a {kind} address; it is refused unless that exact address "
                    "is on the outbound allow-list"
                )
            return
        if name_ok or any(e.matches_address(address, port) for e in self.allowed):
            return
        if kind != "public":
            raise OutboundRefused(
                f"{where}:{port} is a {kind} address, refused unless allow-listed (an administrator "
                "maintains the outbound allow-list)"
            )
        if not allow_public:
            raise OutboundRefused(
                f"{where}:{port} is not on the outbound allow-list (an administrator maintains it)"
            )


def _shown(url: str) -> str:
    """The URL without its path and query (a webhook path often embeds a secret key)."""
    try:
        parts = urllib.parse.urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "URL"
    return f"{parts.scheme}://{netloc}" if parts.scheme and netloc else "URL"
