"""A fake Binance WebSocket stream (``/ws``, live ``SUBSCRIBE``) replaying a simulated hour.

Wire format as Binance's public ``<symbol>@aggTrade`` stream: the client sends
``{"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", ...], "id": n}`` and gets
``{"result": null, "id": n}`` (an unknown stream: ``{"error": {"code": 2, "msg": ...}, "id":
n}``), then one text frame per aggregate trade, ``{"e": "aggTrade", "E": .., "s": "BTCUSDT",
"a": .., "p": "..", "q": "..", "f": .., "l": .., "T": .., "m": .., "M": true}``, and
WebSocket ping frames every ``ping_every`` seconds whose pongs it counts.

The trades are an hour of the simulated market with Binance's consecutive aggregate ids
(:class:`ContiguousTrades`), shared with the REST fake (``binance.make_server(...,
trades=...)``) so a REST backfill serves exactly the trades the stream skipped. They are
replayed at ``rate`` trades a second from the first subscription on: the market moves on while
no client listens, so a reconnecting client resumes at the current trade and misses the ones in
between, as on the real stream. ``drop_after`` (trades sent) breaks the connection without a
close frame; ``malformed_after`` sends one broken frame. ``sent_ns`` records when each
aggregate id left the server (wall clock, for the lag benchmark).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.crypto import TRADE_ID_STRIDE
from vvv_pipeline_tests.fakes.binance import HourlyTrades
from vvv_pipeline_tests.fakes.ws_server import LoopServer


class ContiguousTrades(HourlyTrades):
    """The simulated hours with ids ``hour * TRADE_ID_STRIDE + 1, + 2, ...``: consecutive like
    Binance's aggregate ids (the simulator's own ids skip), still naming their hour."""

    def __init__(self, market: SimulatedMarket) -> None:
        super().__init__(market)
        self._renumbered: dict[tuple[str, int], pd.DataFrame] = {}

    def hour(self, symbol: str, hour: int) -> pd.DataFrame:
        key = (symbol, hour)
        if key not in self._renumbered:
            frame = super().hour(symbol, hour).copy()
            frame["trade_id"] = hour * TRADE_ID_STRIDE + np.arange(1, len(frame) + 1)
            self._renumbered[key] = frame
        return self._renumbered[key]


@dataclass
class StreamScript:
    rate: float = 1000.0
    """Trades a second, all symbols together."""
    drop_after: tuple[int, ...] = ()
    malformed_after: tuple[int, ...] = ()
    ping_every: float = 0.5
    record_sends: bool = False


@dataclass
class StreamLog:
    connections: int = 0
    subscriptions: list[list[str]] = field(default_factory=list)
    pings: int = 0
    pongs: int = 0
    sent: int = 0
    drops: int = 0
    malformed: int = 0


def wire_frames(trades: pd.DataFrame) -> list[tuple[int, str]]:
    """(aggregate id, aggTrade frame without ``E``) of each trade, in replay order."""
    ids = trades["trade_id"].to_numpy().tolist()
    ms = (trades["ts"].astype("int64") // 1_000_000).to_numpy().tolist()
    prices = trades["price"].map("{:.8f}".format).tolist()
    sizes = trades["size"].map("{:.8f}".format).tolist()
    sold = (trades["aggressor"].to_numpy() < 0).tolist()
    symbols = trades["symbol"].astype(str).tolist()
    frames = []
    for a, t, p, q, m, s in zip(ids, ms, prices, sizes, sold, symbols, strict=True):
        body = (
            f'"s": "{s}", "a": {a}, "p": "{p}", "q": "{q}", "f": {a}, "l": {a}, '
            f'"T": {t}, "m": {"true" if m else "false"}, "M": true}}'
        )
        frames.append((a, body))
    return frames


class FakeBinanceStream(LoopServer):
    """Serves ``symbols``' trades of the simulated ``hour`` (hours since the simulator's epoch)."""

    path = "/ws"

    def __init__(
        self,
        trades: HourlyTrades,
        symbols: Sequence[str],
        hour: int,
        script: StreamScript | None = None,
    ) -> None:
        frames = [trades.hour(s, hour).assign(symbol=s) for s in symbols]
        truth = pd.concat(frames, ignore_index=True)
        self.truth = truth.sort_values(["ts", "trade_id"], kind="stable", ignore_index=True)
        self.frames = self.wire_frames(self.truth)
        self.symbol_of = self.truth["symbol"].astype(str).tolist()
        self.script = script or StreamScript()
        self.log = StreamLog()
        self.sent_ns: dict[tuple[str, int], int] = {}
        """(symbol, aggregate id) -> wall-clock ns when it left (``record_sends``)."""
        self.started: float | None = None
        super().__init__()

    def wire_frames(self, truth: pd.DataFrame) -> list[tuple[int, str]]:
        """(trade id, frame body) of each trade, in replay order (the venue's format)."""
        return wire_frames(truth)

    def due(self) -> int:
        """Trades the market has printed so far (the replay clock)."""
        if self.started is None:
            return 0
        return min(len(self.frames), int((time.monotonic() - self.started) * self.script.rate))

    def printed(self) -> pd.DataFrame:
        """Ground truth: every trade printed so far, whoever was listening."""
        return self.truth.iloc[: self.due()]

    async def _handle(self, ws: ServerConnection) -> None:
        self.log.connections += 1
        try:
            request = json.loads(await ws.recv())
        except (ValueError, ConnectionClosed):
            return
        streams = [str(s) for s in request.get("params", [])]
        wanted = {s.split("@")[0].upper() for s in streams if s.endswith("@aggTrade")}
        served = set(self.symbol_of)
        if request.get("method") != "SUBSCRIBE" or len(wanted) != len(streams) or wanted - served:
            error = {"code": 2, "msg": f"Invalid request: unknown streams {streams}"}
            await ws.send(json.dumps({"error": error, "id": request.get("id")}))
            return
        self.log.subscriptions.append(streams)
        await ws.send(json.dumps({"result": None, "id": request.get("id")}))
        if self.started is None:
            self.started = time.monotonic()
        pinger = asyncio.create_task(self._ping(ws))
        try:
            await self._pump(ws, wanted)
        except ConnectionClosed:
            pass
        finally:
            pinger.cancel()

    async def _pump(self, ws: ServerConnection, wanted: set[str]) -> None:
        script = self.script
        cursor = self.due()  # a new connection hears the market from now on
        while True:
            target = self.due()
            while cursor < target:
                a, body = self.frames[cursor]
                symbol = self.symbol_of[cursor]
                cursor += 1
                if symbol not in wanted:
                    continue
                if script.record_sends:
                    self.sent_ns[(symbol, a)] = time.time_ns()
                event_ms = time.time_ns() // 1_000_000
                await ws.send(f'{{"e": "aggTrade", "E": {event_ms}, {body}')
                self.log.sent += 1
                if self.log.sent in script.malformed_after:
                    self.log.malformed += 1
                    await ws.send('{"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": ')
                if self.log.sent in script.drop_after:
                    self.log.drops += 1
                    ws.transport.abort()  # no close frame: a broken connection
                    return
            if ws.state is not State.OPEN:  # the client left (nothing to send noticed it)
                return
            await asyncio.sleep(0.001)

    async def _ping(self, ws: ServerConnection) -> None:
        while True:
            await asyncio.sleep(self.script.ping_every)
            self.log.pings += 1
            try:
                waiter = await ws.ping()
                await asyncio.wait_for(waiter, 5)
                self.log.pongs += 1
            except (ConnectionClosed, TimeoutError):
                return
