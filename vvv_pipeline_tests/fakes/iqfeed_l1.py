"""A fake IQConnect Level 1 socket (protocol 6.2) printing the simulated market's equity trades.

The **tape** is one session's simulated ticks of the served symbols, merged in time order; it
starts printing once one connection watches every served symbol and prints ``rate`` trades per
second of wall time whether or not anyone listens (a market does not wait for a collector), so
what a disconnected client misses is a real hole. :class:`PrintedMarket` serves the fake
Lookup socket (:mod:`.iqfeed`) from the same tape, cut at what has been printed: history never
holds a trade the stream has not printed yet.

Per connection, the wire format of the reference and DTN's Level 1 documentation:
``S,SET PROTOCOL,6.2`` -> ``S,CURRENT PROTOCOL,6.2``; ``S,SELECT UPDATE FIELDS,<names>`` ->
``S,CURRENT UPDATE FIELDNAMES,Symbol,<names>`` (the layout of every later ``P``/``Q``);
``t<SYM>``/``w<SYM>`` -> a ``P`` summary (the symbol's last printed trade, or empty fields),
then a ``Q`` per trade printed from then on; an unknown symbol -> ``n,<SYM>``; an unknown
command -> ``E,!SYNTAX_ERROR!,``; a ``T,<YYYYMMDD HH:MM:SS>`` timestamp every second; a
``S,STATS`` line after the protocol answer, as IQConnect sends unasked. Faults
(:class:`L1Script`): the first connection is dropped after ``drop_after`` trades sent, and one
malformed line is sent after ``malformed_after`` trades.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.iqfeed import EASTERN, PROTOCOL
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.fakes.iqfeed import AGGRESSOR_WIRE, CENTER_IDS, CONDITION_HEX

FIELD_NAMES = {
    "symbol": "Symbol",
    "most recent trade": "Most Recent Trade",
    "most recent trade size": "Most Recent Trade Size",
    "most recent trade time": "Most Recent Trade Time",
    "most recent trade date": "Most Recent Trade Date",
    "most recent trade market center": "Most Recent Trade Market Center",
    "most recent trade conditions": "Most Recent Trade Conditions",
    "most recent trade aggressor": "Most Recent Trade Aggressor",
    "bid": "Bid",
    "ask": "Ask",
    "tickid": "TickID",
    "message contents": "Message Contents",
    "total volume": "Total Volume",
}
"""The update fields this fake can fill, by DTN's name (requests are matched ignoring case)."""
DEFAULT_FIELDS = ("Symbol", "Most Recent Trade", "Most Recent Trade Size", "Total Volume")


@dataclass
class L1Script:
    rate: float = 500.0
    """Trades printed per second of wall time, over all symbols."""
    drop_after: int | None = None
    """Close the first connection after this many trades sent to it."""
    malformed_after: int | None = None
    """Send one garbage line after this many trades sent (over all connections)."""


@dataclass
class L1Log:
    connections: int = 0
    drops: int = 0
    malformed: int = 0
    sent: int = 0
    """Trades sent over all connections."""
    commands: list[str] = field(default_factory=list)


class Tape:
    """The session's trades in print order and the wall-clock time printing began."""

    def __init__(self, market: SimulatedMarket, session: pd.Timestamp, symbols: list[str]):
        lo = session.tz_localize(EASTERN).tz_convert("UTC")
        ticks = market.fetch(Source.EQUITY_TICKS, lo, lo + pd.Timedelta(days=1), symbols)
        self.ticks = ticks.sort_values(["ts", "symbol"], kind="stable").reset_index(drop=True)
        self.rate = 1.0
        self._lock = threading.Lock()
        self._started: float | None = None

    def start(self, rate: float) -> None:
        with self._lock:
            if self._started is None:
                self.rate, self._started = rate, time.monotonic()

    def printed(self) -> int:
        """How many trades have been printed by now."""
        with self._lock:
            if self._started is None:
                return 0
            return min(len(self.ticks), int((time.monotonic() - self._started) * self.rate))

    def done(self) -> bool:
        return self.printed() == len(self.ticks)


class PrintedMarket:
    """The simulated market as the fake Lookup socket serves it: only trades printed so far."""

    def __init__(self, market: SimulatedMarket, tape: Tape) -> None:
        self.market, self.tape = market, tape

    def known_symbols(self, source: Source) -> set[str]:
        return set(self.tape.ticks["symbol"].astype(str))

    def fetch(self, source: Source, start, end, symbols) -> pd.DataFrame:
        frame = self.market.fetch(source, start, end, symbols)
        printed = self.tape.ticks.iloc[: self.tape.printed()]
        keys = set(zip(printed["symbol"].astype(str), printed["trade_id"], strict=True))
        mask = [k in keys for k in zip(frame["symbol"].astype(str), frame["trade_id"], strict=True)]
        return frame[np.array(mask, dtype=bool)].reset_index(drop=True)


def encode(tick: pd.Series, fields: tuple[str, ...], kind: str = "Q") -> str:
    """One ``Q`` (or ``P``) line for a canonical tick, in the layout ``fields``."""
    eastern = tick["ts"].tz_convert(EASTERN)
    values = {
        "symbol": str(tick["symbol"]),
        "most recent trade": f"{tick['price']:.4f}",
        "most recent trade size": str(int(tick["size"])),
        "most recent trade time": eastern.strftime("%H:%M:%S.%f"),
        "most recent trade date": eastern.strftime("%m/%d/%Y"),
        "most recent trade market center": CENTER_IDS.get(str(tick["exchange"]), "0"),
        "most recent trade conditions": CONDITION_HEX.get(str(tick["condition"]), ""),
        "most recent trade aggressor": AGGRESSOR_WIRE[int(tick["aggressor"])],
        "bid": f"{0.0 if pd.isna(tick['bid']) else tick['bid']:.4f}",
        "ask": f"{0.0 if pd.isna(tick['ask']) else tick['ask']:.4f}",
        "tickid": str(int(tick["trade_id"])),
        # a trade with the quote changes IQConnect reports along with it
        "message contents": ("E" if tick["extended_hours"] else "C") + "ba",
        "total volume": "0",
    }
    return ",".join([kind, *(values[f.lower()] for f in fields)]) + ","


class FakeLevel1:
    """A threaded TCP server on 127.0.0.1 (ephemeral port); a context manager."""

    def __init__(self, tape: Tape, script: L1Script | None = None) -> None:
        self.tape, self.script = tape, script or L1Script()
        self.log = L1Log()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._malformed_sent = False
        self._encoded: dict[tuple[str, ...], list[str]] = {}
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"tcp://127.0.0.1:{self.port}"

    def start(self) -> FakeLevel1:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLevel1:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def lines(self, fields: tuple[str, ...]) -> list[str]:
        """Every tape trade's ``Q`` line in the layout ``fields``, encoded once per layout."""
        with self._lock:
            if fields not in self._encoded:
                ticks = self.tape.ticks
                self._encoded[fields] = [encode(ticks.iloc[i], fields) for i in range(len(ticks))]
            return self._encoded[fields]

    def sent_trade(self) -> bool:
        """Count a trade sent; whether a malformed line is due after it (once)."""
        with self._lock:
            self.log.sent += 1
            due = self.script.malformed_after is not None and not self._malformed_sent
            if due and self.log.sent >= self.script.malformed_after:
                self._malformed_sent = True
                self.log.malformed += 1
                return True
            return False


def _handler(fake: FakeLevel1) -> type[socketserver.StreamRequestHandler]:
    symbols = set(fake.tape.ticks["symbol"].astype(str))

    class _Level1(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            with fake._lock:
                fake.log.connections += 1
                self.number = fake.log.connections
            self.fields: tuple[str, ...] = DEFAULT_FIELDS
            self.watched: set[str] = set()
            self.cursor: int | None = None
            self.out_lock = threading.Lock()
            self.write_lock = threading.Lock()  # the reader answers while the printer prints
            self.gone = threading.Event()
            reader = threading.Thread(target=self._read, daemon=True)
            reader.start()
            self._print()

        def _read(self) -> None:
            try:
                for raw in self.rfile:
                    self._command(raw.decode("latin-1").rstrip("\r\n"))
            except OSError:
                pass
            self.gone.set()

        def _command(self, command: str) -> None:
            with fake._lock:
                fake.log.commands.append(command)
            if command.startswith("S,SET PROTOCOL,"):
                self._write([f"S,CURRENT PROTOCOL,{PROTOCOL}", "S,STATS,127.0.0.1,60002,500,0,1"])
            elif command.startswith("S,SELECT UPDATE FIELDS,"):
                asked = [f.strip().lower() for f in command.split(",")[2:] if f.strip()]
                unknown = [f for f in asked if f not in FIELD_NAMES]
                if unknown:
                    self._write([f"E,!SYNTAX_ERROR!,{unknown[0]}"])
                    return
                self.fields = ("Symbol", *(FIELD_NAMES[f] for f in asked if f != "symbol"))
                self._write(["S,CURRENT UPDATE FIELDNAMES," + ",".join(self.fields)])
            elif command.startswith("S,"):
                pass  # client name and the like are taken silently
            elif command[:1] in ("t", "w") and len(command) > 1:
                self._watch(command[1:])
            else:
                self._write([f"E,!SYNTAX_ERROR!,{command}"])

        def _watch(self, symbol: str) -> None:
            if symbol not in symbols:
                self._write([f"n,{symbol}"])
                return
            printed = fake.tape.printed()
            ticks = fake.tape.ticks.iloc[:printed]
            mine = ticks[ticks["symbol"] == symbol]
            if len(mine):
                summary = encode(mine.iloc[-1], self.fields, "P")
            else:
                summary = ",".join(["P", symbol, *([""] * (len(self.fields) - 1))]) + ","
            with self.out_lock:
                self.watched.add(symbol)
                if self.cursor is None:
                    self.cursor = printed
                everything = self.watched == symbols
            self._write([summary])
            if everything:  # the session opens on a client watching all of it
                fake.tape.start(fake.script.rate)

        def _print(self) -> None:
            """Send what the tape prints for the watched symbols, and a timestamp each second."""
            names = fake.tape.ticks["symbol"].astype(str).to_numpy()
            last_stamp = 0.0
            sent_here = 0
            while not self.gone.is_set() and not fake._closing.is_set():
                lines: list[str] = []
                now = time.monotonic()
                if now - last_stamp >= 1.0:
                    last_stamp = now
                    stamp = pd.Timestamp.now(tz=EASTERN).strftime("%Y%m%d %H:%M:%S")
                    lines.append(f"T,{stamp}")
                printed = fake.tape.printed()
                with self.out_lock:
                    start, watched = self.cursor, set(self.watched)
                    if start is not None:
                        self.cursor = printed
                encoded = fake.lines(self.fields) if start is not None else []
                for i in range(start if start is not None else printed, printed):
                    if names[i] not in watched:
                        continue
                    lines.append(encoded[i])
                    sent_here += 1
                    if fake.sent_trade():
                        lines.append("Q,GARBAGE,not-a-price")
                    drop = fake.script.drop_after
                    if self.number == 1 and drop is not None and sent_here >= drop:
                        self._write(lines)
                        with fake._lock:
                            fake.log.drops += 1
                        # wakes the reader thread too (closing its file would wait for it)
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.gone.wait(5)
                        return
                if lines:
                    self._write(lines)
                time.sleep(0.005)

        def _write(self, lines: list[str]) -> None:
            if not lines:
                return
            try:
                with self.write_lock:
                    self.wfile.write(("\r\n".join(lines) + "\r\n").encode("latin-1"))
                    self.wfile.flush()
            except OSError:
                self.gone.set()

    return _Level1
