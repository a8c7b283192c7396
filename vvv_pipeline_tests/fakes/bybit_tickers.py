"""A fake Bybit v5 linear ``tickers.<symbol>`` WebSocket replaying simulated open interest.

Wire format as Bybit's (:mod:`vvv_pipeline.streaming.bybit_tickers`): a subscription (at most 10
``tickers.<symbol>`` args) is acknowledged as for ``publicTrade``; each subscribed symbol then
gets a full ``"type": "snapshot"`` frame of its current state, and a ``"type": "delta"`` frame
for every later sample carrying only the fields that changed, with ``ts`` the sample's time
and ``cs`` its position in the replay. JSON pings are answered ``{"op": "pong", ...}``.

``truth`` is one canonical ``crypto_open_interest`` frame (the five-second samples of the
simulated market for an hour and a little beyond, so a collector that hears the whole hour
also hears a frame past its end). The samples come due at ``rate`` a second per symbol from
the first subscription on, whoever listens: a reconnecting client's snapshot is the state at
that moment and the samples in between are not sent again, as on the real stream.
``drop_after`` (frames sent) breaks the connection without a close frame, ``malformed_after``
sends a broken frame.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from vvv_pipeline_tests.fakes.ws_server import LoopServer

FIELDS = (
    ("openInterest", "open_interest"),
    ("openInterestValue", "open_interest_value"),
    ("markPrice", "mark_price"),
)


@dataclass
class TickerScript:
    rate: float = 200.0
    """Samples a second per symbol (a five-second sample each: 1,000x faster than the market)."""
    drop_after: tuple[int, ...] = ()
    malformed_after: tuple[int, ...] = ()


@dataclass
class TickerLog:
    connections: int = 0
    subscriptions: list[list[str]] = field(default_factory=list)
    snapshots: int = 0
    sent: int = 0
    drops: int = 0
    malformed: int = 0
    app_pings: int = 0
    replayed: int = 0
    """Connections that sent every sample (the replay's end)."""


class FakeBybitTickers(LoopServer):
    """Serves the ``truth`` samples of ``symbols`` over Bybit's tickers wire; see the module."""

    path = "/v5/public/linear"

    def __init__(
        self, truth: pd.DataFrame, symbols: Sequence[str], script: TickerScript | None = None
    ) -> None:
        super().__init__()
        self.truth = truth.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
        self.samples = {
            s: self.truth[self.truth["symbol"].astype(str) == s].reset_index(drop=True)
            for s in symbols
        }
        self.script = script or TickerScript()
        self.log = TickerLog()
        self.started: float | None = None

    def due(self) -> int:
        """Samples per symbol come due so far (the replay clock)."""
        if self.started is None:
            return 0
        longest = max(len(rows) for rows in self.samples.values())
        return min(longest, int((time.monotonic() - self.started) * self.script.rate) + 1)

    def _fields(self, symbol: str, at: int) -> dict[str, str]:
        row = self.samples[symbol].iloc[at]
        return {wire: f"{row[column]:.8f}" for wire, column in FIELDS}

    def _frame(self, symbol: str, at: int, kind: str, data: dict[str, str]) -> str:
        ts = int(self.samples[symbol]["ts"].iloc[at].value // 1_000_000)
        body = {"symbol": symbol, "lastPrice": data.get("markPrice", "0"), **data}
        frame = {"topic": f"tickers.{symbol}", "type": kind, "data": body}
        return json.dumps(frame | {"cs": at + 1, "ts": ts})

    async def _handle(self, ws: ServerConnection) -> None:
        self.log.connections += 1
        pump: asyncio.Task[None] | None = None
        wanted: list[str] = []
        try:
            async for text in ws:
                request = json.loads(text)
                op, rid = request.get("op"), request.get("req_id", "")
                if op == "ping":
                    self.log.app_pings += 1
                    pong = {"op": "pong", "args": [str(time.time_ns() // 1_000_000)]}
                    await ws.send(json.dumps(pong | {"conn_id": "fake"}))
                    continue
                args = [str(a) for a in request.get("args", [])]
                symbols = [a.removeprefix("tickers.") for a in args]
                bad = [a for a, s in zip(args, symbols, strict=True) if s not in self.samples]
                if op != "subscribe" or bad or not args or len(args) > 10:
                    reply = {"success": False, "ret_msg": f"error:handler not found,topic:{bad}"}
                    await ws.send(json.dumps(reply | {"conn_id": "fake", "req_id": rid, "op": op}))
                    continue
                self.log.subscriptions.append(args)
                if self.started is None:
                    self.started = time.monotonic()
                reply = {"success": True, "ret_msg": "", "conn_id": "fake", "req_id": rid}
                await ws.send(json.dumps(reply | {"op": "subscribe"}))
                cursor = self.due() - 1
                for symbol in symbols:
                    self.log.snapshots += 1
                    await ws.send(
                        self._frame(symbol, cursor, "snapshot", self._fields(symbol, cursor))
                    )
                wanted += symbols
                if pump is None:
                    pump = asyncio.create_task(self._pump(ws, wanted, cursor + 1))
        except ConnectionClosed:
            pass
        finally:
            if pump is not None:
                pump.cancel()

    async def _pump(self, ws: ServerConnection, wanted: list[str], cursor: int) -> None:
        """Each later sample of ``wanted`` as a delta of the fields that changed."""
        script = self.script
        replayed = False
        try:
            while True:
                target = self.due()
                while cursor < target:
                    for symbol in list(wanted):
                        if cursor >= len(self.samples[symbol]):
                            continue
                        now, before = self._fields(symbol, cursor), self._fields(symbol, cursor - 1)
                        changed = {k: v for k, v in now.items() if before[k] != v}
                        await ws.send(self._frame(symbol, cursor, "delta", changed))
                        self.log.sent += 1
                        if self.log.sent in script.malformed_after:
                            self.log.malformed += 1
                            await ws.send('{"topic": "tickers.BTCUSDT", "type": "delta", "data": ')
                        if self.log.sent in script.drop_after:
                            self.log.drops += 1
                            ws.transport.abort()  # no close frame: a broken connection
                            return
                    cursor += 1
                if cursor >= len(self.samples[wanted[0]]) and not replayed:
                    replayed = True
                    self.log.replayed += 1
                if ws.state is not State.OPEN:
                    return
                await asyncio.sleep(0.001)
        except ConnectionClosed:
            return
