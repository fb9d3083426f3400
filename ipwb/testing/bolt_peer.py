"""A protocol-faithful Bolt 5.4 server on 127.0.0.1 for tests of the Neo4j lineage mirror.

No Neo4j server can be run here, so the mirror is tested through the real ``neo4j`` driver
against this peer: the handshake (magic ``0x6060B017``, version 5.4 picked from the driver's
offered range), chunked framing, PackStream v1 and the messages the mirror's path uses —
HELLO, LOGON/LOGOFF, TELEMETRY, BEGIN, RUN, PULL, DISCARD, COMMIT, ROLLBACK, RESET, GOODBYE.
After a FAILURE every message but RESET/GOODBYE is IGNORED, as a server does. Statements
return no records. Committed transactions (query text + parameters) are recorded; a
rolled-back or reset one is not. The mirror's known MERGE statements are applied to a tiny
in-memory graph keyed like their ``MERGE`` patterns, so a test can assert idempotency.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import socket
import socketserver
import struct
import threading
from typing import Any

from ipwb.integrations.neo4j_lineage import COLUMN_EDGES_CYPHER, FILTER_EDGES_CYPHER, TABLE_EDGES_CYPHER

MAGIC = b"\x60\x60\xb0\x17"
VERSION = (5, 4)
SUCCESS, IGNORED, FAILURE = 0x70, 0x7E, 0x7F  # no RECORD: statements return no rows
MESSAGES = {0x01: "HELLO", 0x02: "GOODBYE", 0x0F: "RESET", 0x10: "RUN", 0x11: "BEGIN", 0x12: "COMMIT"}
MESSAGES |= {0x13: "ROLLBACK", 0x2F: "DISCARD", 0x3F: "PULL", 0x54: "TELEMETRY", 0x66: "ROUTE"}
MESSAGES |= {0x6A: "LOGON", 0x6B: "LOGOFF"}
UNAUTHORIZED = "Neo.ClientError.Security.Unauthorized"


# -- PackStream v1 ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Structure:
    """A PackStream structure: every Bolt message is one (``tag`` is its signature)."""

    tag: int
    fields: tuple[Any, ...] = ()


_INTS = ((0xC8, ">b"), (0xC9, ">h"), (0xCA, ">i"), (0xCB, ">q"))
_SIZES = (">B", ">H", ">I")
_SIZED = {0xCC: "bytes", 0xD0: "str", 0xD4: "list", 0xD8: "map"}  # + 0/1/2: 8/16/32-bit size
_TINY = {0x80: "str", 0x90: "list", 0xA0: "map", 0xB0: "struct"}  # size in the low nibble
_CONSTANTS = {0xC0: None, 0xC2: False, 0xC3: True}


def _header(size: int, tiny: int | None, base: int) -> bytes:
    if tiny is not None and size < 16:
        return bytes([tiny + size])
    for offset, fmt in enumerate(_SIZES):
        if size < 256 ** struct.calcsize(fmt):
            return bytes([base + offset]) + struct.pack(fmt, size)
    raise ValueError(f"too large for PackStream: {size}")


def pack(value: Any) -> bytes:  # noqa: PLR0911 - one return per PackStream type
    r"""Encode ``value`` as PackStream v1.

    >>> pack(None), pack(True), pack(-16), pack(-17), pack(200), pack("é")
    (b'\xc0', b'\xc3', b'\xf0', b'\xc8\xef', b'\xc9\x00\xc8', b'\x82\xc3\xa9')
    >>> pack(Structure(0x70, ({},)))
    b'\xb1p\xa0'
    """
    if value is None or isinstance(value, bool):
        return {None: b"\xc0", False: b"\xc2", True: b"\xc3"}[value]
    if isinstance(value, int):
        if -16 <= value < 128:
            return struct.pack(">b", value)
        for marker, fmt in _INTS:
            if -(2 ** (8 * struct.calcsize(fmt) - 1)) <= value < 2 ** (8 * struct.calcsize(fmt) - 1):
                return bytes([marker]) + struct.pack(fmt, value)
        raise ValueError(f"integer out of PackStream range: {value}")
    if isinstance(value, float):
        return b"\xc1" + struct.pack(">d", value)
    if isinstance(value, bytes | bytearray):
        return _header(len(value), None, 0xCC) + bytes(value)
    if isinstance(value, str):
        data = value.encode()
        return _header(len(data), 0x80, 0xD0) + data
    if isinstance(value, list | tuple):
        return _header(len(value), 0x90, 0xD4) + b"".join(map(pack, value))
    if isinstance(value, dict):
        items = (pack(str(key)) + pack(item) for key, item in value.items())
        return _header(len(value), 0xA0, 0xD8) + b"".join(items)
    if isinstance(value, Structure) and len(value.fields) < 16:
        return bytes([0xB0 + len(value.fields), value.tag]) + b"".join(map(pack, value.fields))
    raise TypeError(f"cannot pack {type(value).__name__}")


def unpack(data: bytes) -> Any:
    """Decode one PackStream v1 value that spans all of ``data``.

    >>> unpack(pack({"edges": [{"n": 2**40, "x": 1.5, "ok": False}], "s": "é" * 20}))["edges"]
    [{'n': 1099511627776, 'x': 1.5, 'ok': False}]
    """
    value, end = _unpack(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} trailing byte(s) after a PackStream value")
    return value


def _unpack(data: bytes, pos: int) -> tuple[Any, int]:
    marker = data[pos]
    pos += 1
    if marker < 0x80 or marker >= 0xF0:
        return marker - (0x100 if marker >= 0xF0 else 0), pos
    if marker in _CONSTANTS:
        return _CONSTANTS[marker], pos
    if marker == 0xC1:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    for int_marker, fmt in _INTS:
        if marker == int_marker:
            return struct.unpack_from(fmt, data, pos)[0], pos + struct.calcsize(fmt)
    if (marker & 0xF0) in _TINY:
        return _unpack_sized(data, pos, _TINY[marker & 0xF0], marker & 0x0F)
    for base, kind in _SIZED.items():
        if base <= marker <= base + 2:
            fmt = _SIZES[marker - base]
            size = struct.unpack_from(fmt, data, pos)[0]
            return _unpack_sized(data, pos + struct.calcsize(fmt), kind, size)
    raise ValueError(f"unknown PackStream marker 0x{marker:02X}")


def _unpack_sized(data: bytes, pos: int, kind: str, size: int) -> tuple[Any, int]:
    if kind in ("bytes", "str"):
        raw = data[pos : pos + size]
        if len(raw) != size:
            raise ValueError("truncated PackStream value")
        return (raw.decode() if kind == "str" else raw), pos + size
    tag, pos = (data[pos], pos + 1) if kind == "struct" else (0, pos)
    items: list[Any] = []
    for _ in range(size * (2 if kind == "map" else 1)):
        item, pos = _unpack(data, pos)
        items.append(item)
    if kind == "map":
        return dict(zip(items[::2], items[1::2], strict=True)), pos
    return (Structure(tag, tuple(items)) if kind == "struct" else items), pos


def frame(message: bytes, max_chunk: int = 0xFFFF) -> bytes:
    """Split a message into Bolt chunks (2-byte size + data) ended by a ``00 00`` marker.

    >>> frame(b"abc", max_chunk=2)
    b'\\x00\\x02ab\\x00\\x01c\\x00\\x00'
    """
    chunks = (message[i : i + max_chunk] for i in range(0, len(message), max_chunk))
    return b"".join(struct.pack(">H", len(chunk)) + chunk for chunk in chunks) + b"\x00\x00"


# -- recorded state --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Run:
    query: str
    parameters: dict[str, Any]
    extra: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Transaction:
    """A committed transaction; ``explicit`` is False for an auto-commit RUN."""

    runs: tuple[Run, ...]
    bookmark: str
    explicit: bool


@dataclasses.dataclass
class Graph:
    """Nodes keyed like the mirror's MERGE patterns; relationships → their SET properties."""

    nodes: set[tuple[str, ...]] = dataclasses.field(default_factory=set)
    rels: dict[tuple[Any, ...], dict[str, Any]] = dataclasses.field(default_factory=dict)
    constraints: set[str] = dataclasses.field(default_factory=set)

    def apply(self, run: Run) -> None:
        if run.query.startswith("CREATE CONSTRAINT"):
            self.constraints.add(run.query.split()[2])
        origin = run.parameters.get("origin")
        for e in run.parameters.get("edges", []) if run.query in _KNOWN else []:
            if run.query == TABLE_EDGES_CYPHER:
                self._rel("FEEDS", ("IpwbTable", e["source"]), ("IpwbTable", e["target"]), origin)
                continue
            source_table, target_table = ("IpwbTable", e["source_table"]), ("IpwbTable", e["target_table"])
            source = ("IpwbColumn", e["source_table"], e["source_column"])
            self.nodes |= {source_table, target_table}
            self._rel("COLUMN_OF", source, source_table)
            if run.query == FILTER_EDGES_CYPHER:
                self._rel("FILTERS", source, target_table, origin)
                continue
            target = ("IpwbColumn", e["target_table"], e["target_column"])
            self._rel("COLUMN_OF", target, target_table)
            self._rel("FLOWS_TO", source, target, origin, e["kind"])

    def _rel(self, kind: str, start: tuple[str, ...], end: tuple[str, ...], *props: Any) -> None:
        self.nodes |= {start, end}
        key = (kind, start, end, *props[1:])  # FLOWS_TO merges on {kind}; origin is SET
        self.rels.setdefault(key, {}).update({"origin": props[0]} if props else {})


_KNOWN = (TABLE_EDGES_CYPHER, COLUMN_EDGES_CYPHER, FILTER_EDGES_CYPHER)


# -- the server ------------------------------------------------------------------------------
class BoltPeer:
    """Threaded Bolt 5.4 server; use as a context manager and point the driver at :attr:`uri`."""

    def __init__(self, user: str = "neo4j", password: str | None = "peer-secret") -> None:  # noqa: S107
        self.user, self._password = user, password  # password None: any credentials accepted
        self.agent = "Neo4j/5.26.0"
        self.transactions: list[Transaction] = []  # committed only
        self.log: list[str] = []  # every message name received, in order (never credentials)
        self.user_agents: list[str] = []
        self.graph = Graph()
        self._fail: tuple[str, str, str] | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._open: set[socket.socket] = set()  # live connections, closed on exit
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> BoltPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for sock in self._open:  # wake handlers blocked on a client that never hung up
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    @property
    def uri(self) -> str:
        host, port = self._server.server_address[:2]
        return f"bolt://{host!s}:{port}"

    def fail_next_run(
        self,
        code: str = "Neo.ClientError.Statement.SyntaxError",
        message: str = "Invalid input",
        match: str = "",
    ) -> None:
        """Answer FAILURE to the next RUN whose query contains ``match``."""
        with self._lock:
            self._fail = (code, message, match)

    @property
    def runs(self) -> list[Run]:
        """Every committed RUN, in commit order."""
        with self._lock:
            return [run for tx in self.transactions for run in tx.runs]

    def _commit(self, runs: list[Run], explicit: bool) -> str:
        with self._lock:
            bookmark = f"ipwb-peer:{len(self.transactions) + 1}"
            self.transactions.append(Transaction(tuple(runs), bookmark, explicit))
            for run in runs:
                self.graph.apply(run)
            return bookmark

    def _take_failure(self, query: str) -> tuple[str, str] | None:
        with self._lock:
            if self._fail is None or self._fail[2] not in query:
                return None
            (code, message, _), self._fail = self._fail, None
            return code, message

    def _handler_class(self) -> type[socketserver.BaseRequestHandler]:
        peer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                with peer._lock:
                    peer._open.add(sock)
                try:
                    self._serve(sock)
                except (EOFError, OSError):
                    pass  # the client hung up (or the peer is shutting down)
                finally:
                    with peer._lock:
                        peer._open.discard(sock)

            def _serve(self, sock: socket.socket) -> None:
                hello = _recv_exact(sock, 20)
                if hello[:4] != MAGIC:
                    return  # not a Bolt client: close without an answer, as Neo4j does
                if not any(_offers(hello[i : i + 4]) for i in range(4, 20, 4)):
                    sock.sendall(b"\x00" * 4)  # no common version
                    return
                sock.sendall(bytes((0, 0, VERSION[1], VERSION[0])))
                _Session(peer, sock, f"bolt-{next(peer._ids)}").serve()

        return Handler


def _offers(slot: bytes) -> bool:
    """Whether a handshake slot (``00 <range> <minor> <major>``) includes :data:`VERSION`."""
    _, span, minor, major = slot
    return major == VERSION[0] and minor - span <= VERSION[1] <= minor


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("client closed the connection")
        data += chunk
    return data


class _Session:
    """One Bolt connection's state: authenticated?, open transaction, failed?"""

    def __init__(self, peer: BoltPeer, sock: socket.socket, cid: str) -> None:
        self.peer, self.sock, self.cid = peer, sock, cid
        self.authenticated = self.failed = False
        self.tx: list[Run] | None = None  # the open explicit transaction's RUNs
        self.autocommit: Run | None = None  # the auto-commit RUN whose result is streaming
        self.bookmark = ""

    def serve(self) -> None:
        while (message := self._read()) is not None:
            with self.peer._lock:
                self.peer.log.append(MESSAGES.get(message.tag, f"0x{message.tag:02X}"))
            if not self._dispatch(message):
                return

    def _read(self) -> Structure | None:
        data = b""
        while True:
            (size,) = struct.unpack(">H", _recv_exact(self.sock, 2))
            if size:
                data += _recv_exact(self.sock, size)
            elif data:  # end of message; an empty message is a NOOP keep-alive
                value = unpack(data)
                return value if isinstance(value, Structure) else None

    def _send(self, tag: int, *fields: Any) -> None:
        self.sock.sendall(frame(pack(Structure(tag, fields))))

    def _failure(self, code: str, message: str) -> None:
        self.failed = True
        self.tx = self.autocommit = None
        self._send(FAILURE, {"code": code, "message": message})

    def _dispatch(self, msg: Structure) -> bool:  # noqa: PLR0912 - one branch per message
        name = MESSAGES.get(msg.tag, "")
        if name == "GOODBYE":
            return False
        if name == "RESET":
            self.failed, self.tx, self.autocommit = False, None, None
        elif self.failed:
            self._send(IGNORED)
            return True
        if name == "HELLO":
            self.peer.user_agents.append(str(msg.fields[0].get("user_agent", "")))
            hints = {"telemetry.enabled": True}  # so the driver sends TELEMETRY (Bolt 5.4+)
            self._send(SUCCESS, {"server": self.peer.agent, "connection_id": self.cid, "hints": hints})
        elif name == "LOGON":
            auth, peer = msg.fields[0], self.peer
            expected = {"scheme": "basic", "principal": peer.user, "credentials": peer._password}
            if peer._password is not None and auth != expected:
                self._failure(UNAUTHORIZED, "The client is unauthorized due to authentication failure.")
                return False  # Neo4j closes the connection after a failed LOGON
            self.authenticated = True
            self._send(SUCCESS, {})
        elif name == "LOGOFF":
            self.authenticated = False
            self._send(SUCCESS, {})
        elif not self.authenticated and name not in ("RESET", ""):
            self._failure(UNAUTHORIZED, f"{name} before LOGON")
        elif name == "BEGIN":
            self.tx, self.bookmark = [], ""
            self._send(SUCCESS, {})
        elif name == "RUN":
            self._run(Run(str(msg.fields[0]), dict(msg.fields[1]), dict(msg.fields[2])))
        elif name in ("PULL", "DISCARD"):
            summary = {"has_more": False, "t_last": 0, "type": "w", "db": "neo4j"}
            if self.autocommit is not None:
                summary["bookmark"] = self.peer._commit([self.autocommit], explicit=False)
                self.autocommit = None
            self._send(SUCCESS, summary)
        elif name == "COMMIT" and self.tx is not None:
            bookmark, self.tx = self.peer._commit(self.tx, explicit=True), None
            self._send(SUCCESS, {"bookmark": bookmark})
        elif name in ("ROLLBACK", "RESET", "TELEMETRY"):
            self.tx = None if name != "TELEMETRY" else self.tx
            self._send(SUCCESS, {})
        else:
            self._failure("Neo.ClientError.Request.Invalid", f"{name or hex(msg.tag)} not valid here")
        return True

    def _run(self, run: Run) -> None:
        failure = self.peer._take_failure(run.query)
        if failure is not None:
            self._failure(*failure)
            return
        if self.tx is not None:
            self.tx.append(run)
            self._send(SUCCESS, {"fields": [], "t_first": 0, "qid": len(self.tx) - 1})
        else:
            self.autocommit = run
            self._send(SUCCESS, {"fields": [], "t_first": 0})
