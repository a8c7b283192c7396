"""A fake IQConnect Lookup socket (protocol 6.2) serving the simulated market's equity ticks.

Speaks the wire format of the reference (section 2): ``S,SET PROTOCOL`` is answered with
``S,CURRENT PROTOCOL,<protocol>``; an ``HTT`` request gets one ``LH`` line per trade with a
trailing comma (prefixed with its request id when one was sent), ``E,!NO_DATA!,,`` when the
window holds no trade, ``E,Invalid symbol.,`` for a symbol outside the universe, then
``!ENDMSG!,``. A ``S,`` system line is interleaved before the first data line, as IQConnect
does, so clients must skip it.

Faults (``FaultPlan`` keyed by the path ``HTT/<SYMBOL>``): ``reset`` sends half the reply and
resets the connection; ``truncated`` sends half and closes it; ``timeout`` stays silent until
the client opens its next connection (it gave up on this one), or the server closes, or
``stall_seconds`` pass, then closes: the client's read timeout, never a race against a fixed
stall, ends the attempt; ``malformed`` corrupts the price of one line; ``drift`` drops
the last two fields of every row (a protocol 6.0-like layout); ``quota`` answers
``E,Unauthorized user ID.,``.

Lists: ``SLM`` and ``STC`` are answered with this fake's own listed-market and trade-condition
lists (:data:`LISTED_MARKETS`, :data:`TRADE_CONDITIONS`), in DTN's ``LS,...`` layout, naming
a venue (with DTN's published id) or condition (ids past DTN's published ones where DTN's are
not public) for every simulated code, so a client that refreshes its tables reads every
simulated code back.

Encoding: the wire has microseconds, so ``ts`` is sent floored to the microsecond; exchange
and condition codes go through the fake's lists; the TickID is the simulated ``trade_id``.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.iqfeed import EASTERN, PROTOCOL
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.fakes.base import Fault, FaultPlan

LISTED_MARKETS: dict[str, tuple[int, str, str]] = {
    "N": (7, "NYSE", "New York Stock Exchange"),
    "Q": (5, "NASDAQ", "Nasdaq"),
    "P": (11, "NYSE_ARCA", "NYSE Archipelago"),
    "Z": (18, "BATS", "Better Alternative Trading System"),
    "K": (26, "EDGX", "Direct Edge X"),
    "V": (153, "IEX", "Investors Exchange LLC"),
    "X": (80, "PSX", "Philadelphia Stock Exchange"),
    "D": (15, "NASD_ADF", "Nasdaq Alternate Display facility"),
}
"""Canonical code -> (id, short name, long name) of the fake's ``SLM`` list: DTN's ids and
names as published (``recorded/iqfeed/slm_quanttools.txt``) for the venues it simulates."""
TRADE_CONDITIONS: dict[str, tuple[int, str, str]] = {
    "@": (0x01, "REGULAR", "Normal Trade"),
    "I": (0x87, "ODDLOT", "Odd lot trade"),
    "F": (0x3D, "INTRMRKT_SWEEP", "Intermarket Sweep"),
    "T": (0x17, "FORMT", "Form-T Trade"),
    "O": (0x38, "OPENING", "Opening Print"),
    "6": (0x39, "CLOSING", "Closing Print"),
}
"""Canonical condition -> (id, short name, description) of the fake's ``STC`` list."""
CENTER_IDS = {code: str(ident) for code, (ident, _, _) in LISTED_MARKETS.items()}
CONDITION_HEX = {code: f"{ident:02X}" for code, (ident, _, _) in TRADE_CONDITIONS.items()}
CONDITION_HEX["@"] = ""
AGGRESSOR_WIRE = {1: "1", -1: "2", 0: "3"}


def encode_ticks(ticks: pd.DataFrame, prefix: str) -> list[str]:
    """Protocol 6.2 ``LH`` lines (no line ending) for canonical equity ticks, oldest first."""
    if ticks.empty:
        return []
    eastern = ticks["ts"].dt.tz_convert(EASTERN)
    size = ticks["size"].astype(np.int64)
    columns = [
        eastern.dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
        ticks["price"].map("{:.4f}".format),
        size.astype(str),
        size.cumsum().astype(str),
        ticks["bid"].fillna(0.0).map("{:.4f}".format),
        ticks["ask"].fillna(0.0).map("{:.4f}".format),
        ticks["trade_id"].astype(str),
        pd.Series(np.where(ticks["extended_hours"], "E", "C"), index=ticks.index),
        ticks["exchange"].astype(object).map(CENTER_IDS).fillna("0"),
        ticks["condition"].astype(object).map(CONDITION_HEX).fillna(""),
        ticks["aggressor"].astype(int).map(AGGRESSOR_WIRE),
        eastern.dt.day.astype(str),
    ]
    body = columns[0].str.cat(columns[1:], sep=",")
    return (prefix + "LH," + body + ",").tolist()


class IQFeedFakeServer:
    """A threaded TCP server on 127.0.0.1 (ephemeral port by default); a context manager."""

    def __init__(
        self,
        market: SimulatedMarket,
        port: int = 0,
        faults: FaultPlan | None = None,
        *,
        protocol: str = PROTOCOL,
        stall_seconds: float = 30.0,
    ) -> None:
        self.market = market
        self.faults = faults if faults is not None else FaultPlan()
        self.protocol = protocol
        self.stall_seconds = stall_seconds
        self.commands: list[str] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._connections = 0
        self._closing = False
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host = "127.0.0.1"

    def start(self) -> IQFeedFakeServer:
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return self

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()  # a stalled handler stops waiting
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> IQFeedFakeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(self, command: str) -> None:
        with self._lock:
            self.commands.append(command)

    def connected(self) -> int:
        """Count a new connection; its number (1, 2, ...)."""
        with self._changed:
            self._connections += 1
            self._changed.notify_all()
            return self._connections

    def stall(self, connection: int) -> None:
        """Wait until a later connection arrives, the server closes or ``stall_seconds`` pass."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._connections > connection or self._closing, self.stall_seconds
            )

    def reply(self, fields: list[str], fault: Fault | None) -> list[str]:
        """Reply lines for one ``HTT`` request (fields after the command name)."""
        symbol, begin, end = fields[0], fields[1], fields[2]
        request_id = fields[7] if len(fields) > 7 else ""
        prefix = f"{request_id}," if request_id else ""
        done = f"{prefix}!ENDMSG!,"
        if fault is not None and fault.kind == "quota":
            return [f"{prefix}E,Unauthorized user ID.,", done]
        if symbol not in self.market.known_symbols(Source.EQUITY_TICKS):
            return [f"{prefix}E,Invalid symbol.,", done]
        lo = pd.Timestamp(begin).tz_localize(EASTERN)
        hi = pd.Timestamp(end).tz_localize(EASTERN) + pd.Timedelta(seconds=1)  # inclusive end
        ticks = self.market.fetch(Source.EQUITY_TICKS, lo, hi, [symbol])
        lines = encode_ticks(ticks, prefix)
        if not lines:
            return [f"{prefix}E,!NO_DATA!,,", done]
        if fields[6:7] == ["0"]:
            lines.reverse()
        if fault is not None and fault.kind == "malformed":
            parts = lines[len(lines) // 2].split(",")
            parts[3 if request_id else 2] = "12x.5"
            lines[len(lines) // 2] = ",".join(parts)
        if fault is not None and fault.kind == "drift":
            lines = [line.rsplit(",", 3)[0] + "," for line in lines]
        return ["S,STATS,127.0.0.1,9100,500,0,1,0,0,0,", *lines, done]


def lookup_reply(name: str, request_id: str) -> list[str]:
    """The fake's ``SLM``/``STC`` list in DTN's ``LS`` layout, then the terminator."""
    prefix = f"{request_id}," if request_id else ""
    if name == "SLM":
        lines = [
            f"LS,{i},{short},{long},{i},{short}," for i, short, long in LISTED_MARKETS.values()
        ]
    else:
        lines = [f"LS,{i},{short},{text}," for i, short, text in TRADE_CONDITIONS.values()]
    return [prefix + line for line in lines] + [f"{prefix}!ENDMSG!,"]


def _handler(server: IQFeedFakeServer) -> type[socketserver.StreamRequestHandler]:
    class _Lookup(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.number = server.connected()
            for raw in self.rfile:
                command = raw.decode("latin-1").rstrip("\r\n")
                server.record(command)
                fields = command.split(",")
                if command.startswith("S,SET PROTOCOL,"):
                    self._write([f"S,CURRENT PROTOCOL,{server.protocol}"])
                elif fields[0] in ("SLM", "STC"):
                    self._write(lookup_reply(fields[0], fields[1] if len(fields) > 1 else ""))
                elif fields[0] == "HTT" and len(fields) >= 4:
                    fault = server.faults.take(f"HTT/{fields[1]}")
                    if not self._answer(server.reply(fields[1:], fault), fault):
                        return
                elif not command.startswith("S,"):
                    self._write([f"E,!SYNTAX_ERROR!,{fields[0]}", "!ENDMSG!,"])

        def _answer(self, lines: list[str], fault: Fault | None) -> bool:
            """Send a reply (or its faulty half); False when the connection is gone."""
            kind = fault.kind if fault is not None else None
            if kind == "timeout":
                server.stall(self.number)
                return False
            if kind in ("reset", "truncated"):
                self._write(lines[: max(1, len(lines) // 2)])
                if kind == "reset":
                    linger = struct.pack("ii", 1, 0)  # close() sends RST instead of FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                return False
            self._write(lines)
            return True

        def _write(self, lines: list[str]) -> None:
            self.wfile.write(("\r\n".join(lines) + "\r\n").encode("latin-1"))
            self.wfile.flush()

    return _Lookup


def make_server(
    market: SimulatedMarket, port: int = 0, faults: FaultPlan | None = None
) -> IQFeedFakeServer:
    """A started fake Lookup server on 127.0.0.1 (``.port``, ``.faults``, ``.close()``)."""
    return IQFeedFakeServer(market, port, faults).start()
