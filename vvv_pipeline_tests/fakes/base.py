"""A fault-injecting local HTTP server that fake providers build on.

Each fake provider module supplies routes (a path regex and a handler that encodes the
simulated market's rows in the provider's wire format); this module supplies the socket,
the threading, a record of every request, and the generic faults a real API shows: 429 with
or without ``Retry-After``, 500 bursts, stalls past the client's timeout, connection resets,
truncated bodies, bans and exhausted quotas. Content faults ("malformed", "drift") depend on
the wire format, so they are handed to the route handler. Real sockets on 127.0.0.1, an
ephemeral port by default, so the real clients run unmodified against it.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FAULT_KINDS = ("429", "500", "timeout", "reset", "truncated", "malformed", "drift", "ban", "quota")
CONTENT_FAULTS = ("malformed", "drift")
"""Faults the route handler applies itself: only it knows the wire format."""


@dataclass
class Fault:
    """``kind`` hits the next ``times`` requests whose path starts with ``path_prefix``."""

    kind: str
    path_prefix: str = ""
    times: int = 1
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.times < 1:
            raise ValueError(f"fault {self.kind!r}: times must be >= 1, got {self.times}")


class FaultPlan:
    """Faults waiting to hit requests, consumed in order; thread-safe."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._pending: list[list[Any]] = []  # [fault, hits left]
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append([fault, fault.times])

    def take(self, path: str) -> Fault | None:
        """The first pending fault matching ``path``, spending one of its hits; else None."""
        with self._lock:
            for entry in self._pending:
                fault, left = entry
                if path.startswith(fault.path_prefix):
                    if left <= 1:
                        self._pending.remove(entry)
                    else:
                        entry[1] = left - 1
                    return fault
        return None

    def pending(self) -> int:
        """Hits not yet spent (tests assert a plan was fully consumed)."""
        with self._lock:
            return sum(left for _, left in self._pending)


@dataclass
class FakeRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeResponse:
    """``body``: bytes or str sent as is; anything else is JSON-encoded."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    def content_type(self) -> str:
        if isinstance(self.body, bytes | str):
            return self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return self.headers.get("Content-Type", "application/json")


Handler = Callable[[FakeRequest, Fault | None], FakeResponse]


def generic_fault_response(kind: str, fault: Fault) -> FakeResponse:
    """The default answer for a fault the server applies itself (not timeout/reset/truncated)."""
    extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if kind == "429":
        return FakeResponse(429, "Too Many Requests", extra)
    if kind == "500":
        return FakeResponse(500, "Something went wrong", extra)
    if kind == "ban":
        return FakeResponse(403, {"message": "access denied: this client is banned"}, extra)
    if kind == "quota":
        return FakeResponse(429, {"message": "daily request quota exhausted"}, extra)
    raise ValueError(f"fault {kind!r} is not answered with a status")


class FakeHttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 dispatching to ``routes`` with injected faults.

    ``overrides`` lets a provider module answer a generic fault its own way (e.g. a quota 429
    carrying the provider's usage headers). ``stall_seconds`` is how long a "timeout" fault
    holds the connection silent before closing it; keep it above the client's timeout.
    """

    def __init__(
        self,
        routes: Sequence[tuple[str, Handler]],
        faults: FaultPlan | None = None,
        port: int = 0,
        *,
        overrides: Mapping[str, Callable[[FakeRequest, Fault], FakeResponse]] | None = None,
        stall_seconds: float = 1.0,
    ) -> None:
        self.routes = [(re.compile(pattern), handler) for pattern, handler in routes]
        self.faults = faults if faults is not None else FaultPlan()
        self.overrides = dict(overrides or {})
        self.stall_seconds = stall_seconds
        self.requests: list[FakeRequest] = []
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> FakeHttpServer:
        server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHttpServer:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def paths(self, prefix: str = "") -> list[str]:
        """Paths requested so far that start with ``prefix``, in arrival order."""
        with self._lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def record(self, request: FakeRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def dispatch(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        if fault is not None and fault.kind in self.overrides:
            return self.overrides[fault.kind](request, fault)
        if fault is not None and fault.kind in ("429", "500", "ban", "quota"):
            return generic_fault_response(fault.kind, fault)
        content_fault = fault if fault is not None and fault.kind in CONTENT_FAULTS else None
        for pattern, handler in self.routes:
            if pattern.fullmatch(request.path):
                try:
                    return handler(request, content_fault)
                except ValueError as exc:  # bad input from the client: a 400 like real APIs
                    return FakeResponse(400, {"error": str(exc)})
        return FakeResponse(404, {"error": f"no route for {request.path}"})


def _make_handler(server: FakeHttpServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = FakeRequest(
                parts.path,
                dict(parse_qsl(parts.query, keep_blank_values=True)),
                {k: v for k, v in self.headers.items()},
            )
            server.record(request)
            fault = server.faults.take(parts.path)
            kind = fault.kind if fault is not None else None
            if fault is not None and kind in server.overrides:
                self._send(server.dispatch(request, fault))
            elif kind == "timeout":
                time.sleep(server.stall_seconds)
                self.close_connection = True
            elif kind == "reset":
                self._reset()
            elif kind == "truncated":
                response = server.dispatch(request, None)
                payload = response.payload()
                self._send(response, payload[: len(payload) // 2])
            else:
                self._send(server.dispatch(request, fault))

        def _send(self, response: FakeResponse, payload: bytes | None = None) -> None:
            body = response.payload() if payload is None else payload
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "content-type"):
                    self.send_header(name, value)
            self.send_header("Content-Type", response.content_type())
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout turns close() into a TCP RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; requests are kept in server.requests

    return _Handler
