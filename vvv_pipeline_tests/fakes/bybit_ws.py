"""A fake Bybit v5 public WebSocket (``publicTrade.<symbol>``) and its recent-trade REST
endpoint, replaying one simulated hour as the market prints it.

Wire format as Bybit's linear public stream: the client sends ``{"op": "subscribe", "req_id":
"1", "args": ["publicTrade.BTCUSDT", ...]}`` (at most 10 args) and gets ``{"success": true,
"ret_msg": "", "conn_id": .., "req_id": "1", "op": "subscribe"}`` (an unknown topic:
``"success": false`` and the reason); then frames ``{"topic": "publicTrade.BTCUSDT", "type":
"snapshot", "ts": .., "data": [{"T": .., "s": "BTCUSDT", "S": "Buy", "v": "..", "p": "..",
"L": "PlusTick", "i": "<uuid>", "BT": false, "seq": ..}, ...]}`` carrying the trades of one
pair printed since the previous frame (up to :data:`BATCH`). A JSON ``{"op": "ping"}`` is
answered ``{"op": "pong", "args": [<ms>], "conn_id": ..}`` and counted.

The trades (``trade_id`` the simulator's, ``i`` the UUID of that integer, so the client's
63-bit fold gives the same id back) are replayed at ``rate`` a second from the first
subscription on, whoever listens (:class:`~vvv_pipeline_tests.fakes.binance_ws.FakeBinanceStream`
keeps the clock). ``rest`` serves ``GET /v5/market/recent-trade``: the latest ``limit``
(at most 1000) trades printed so far of a symbol, newest first, in the REST client's format.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from vvv_pipeline_tests.fakes.base import FakeHttpServer, FakeRequest, FakeResponse, Fault
from vvv_pipeline_tests.fakes.binance import HourlyTrades
from vvv_pipeline_tests.fakes.binance_ws import FakeBinanceStream, StreamScript
from vvv_pipeline_tests.fakes.bybit import envelope

BATCH = 50
MAX_ARGS = 10


def exec_id(trade_id: int) -> str:
    return str(uuid.UUID(int=int(trade_id)))


class FakeBybitStream(FakeBinanceStream):
    """Serves ``symbols``' trades of the simulated ``hour`` over Bybit's wire; see the module."""

    path = "/v5/public/linear"

    def __init__(
        self,
        trades: HourlyTrades,
        symbols: Sequence[str],
        hour: int,
        script: StreamScript | None = None,
    ) -> None:
        super().__init__(trades, symbols, hour, script)
        self.app_pings = 0
        self.rest = FakeHttpServer([("/v5/market/recent-trade", self._recent_trade)])

    def wire_frames(self, truth: pd.DataFrame) -> list[tuple[int, str]]:
        ids = truth["trade_id"].to_numpy().tolist()
        ms = (truth["ts"].astype("int64") // 1_000_000).to_numpy().tolist()
        prices = truth["price"].map("{:.8f}".format).tolist()
        sizes = truth["size"].map("{:.8f}".format).tolist()
        sides = np.where(truth["aggressor"].to_numpy() > 0, "Buy", "Sell").tolist()
        symbols = truth["symbol"].astype(str).tolist()
        return [
            (
                a,
                json.dumps(
                    {
                        "T": t,
                        "s": s,
                        "S": side,
                        "v": q,
                        "p": p,
                        "L": "PlusTick",
                        "i": exec_id(a),
                        "BT": False,
                        "seq": a,
                    }
                ),
            )
            for a, t, p, q, side, s in zip(ids, ms, prices, sizes, sides, symbols, strict=True)
        ]

    def start(self) -> FakeBybitStream:
        super().start()
        self.rest.start()
        return self

    def close(self) -> None:
        self.rest.close()
        super().close()

    def _recent_trade(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        symbol = request.query.get("symbol", "")
        limit = min(int(request.query.get("limit", "500")), 1000)
        if symbol not in set(self.symbol_of):
            return FakeResponse(200, envelope({}, 10001, "params error: symbol invalid"))
        printed = self.printed()
        latest = printed[printed["symbol"].astype(str) == symbol].tail(limit).iloc[::-1]
        rows = [
            {
                "execId": exec_id(a),
                "symbol": symbol,
                "price": f"{p:.8f}",
                "size": f"{q:.8f}",
                "side": "Buy" if side > 0 else "Sell",
                "time": str(int(t.value // 1_000_000)),
                "isBlockTrade": False,
                "isRPITrade": False,
                "seq": str(a),
            }
            for a, p, q, side, t in zip(
                latest["trade_id"],
                latest["price"],
                latest["size"],
                latest["aggressor"],
                latest["ts"],
                strict=True,
            )
        ]
        return FakeResponse(200, envelope({"category": "linear", "list": rows}))

    async def _handle(self, ws: ServerConnection) -> None:
        self.log.connections += 1
        wanted: set[str] = set()
        pump: asyncio.Task[None] | None = None
        try:
            async for text in ws:
                request = json.loads(text)
                op, rid = request.get("op"), request.get("req_id", "")
                if op == "ping":
                    self.app_pings += 1
                    pong = {"op": "pong", "args": [str(time.time_ns() // 1_000_000)]}
                    await ws.send(json.dumps(pong | {"conn_id": "fake"}))
                    continue
                args = [str(a) for a in request.get("args", [])]
                symbols = {a.removeprefix("publicTrade.") for a in args}
                bad = [a for a in args if not a.startswith("publicTrade.")]
                bad += sorted(symbols - set(self.symbol_of)) if not bad else []
                if op != "subscribe" or bad or len(args) > MAX_ARGS:
                    reply = {"success": False, "ret_msg": f"error:handler not found,topic:{bad}"}
                    await ws.send(json.dumps(reply | {"conn_id": "fake", "req_id": rid, "op": op}))
                    continue
                wanted |= symbols
                self.log.subscriptions.append(args)
                if self.started is None:
                    self.started = time.monotonic()
                # the subscription holds from its acknowledgement on: a trade printed after
                # the ack is streamed, whenever the pump task first runs
                cursor = self.due()
                reply = {"success": True, "ret_msg": "", "conn_id": "fake", "req_id": rid}
                await ws.send(json.dumps(reply | {"op": "subscribe"}))
                if pump is None:
                    pump = asyncio.create_task(self._pump_bybit(ws, wanted, cursor))
        except ConnectionClosed:
            pass
        finally:
            if pump is not None:
                pump.cancel()

    async def _pump_bybit(self, ws: ServerConnection, wanted: set[str], cursor: int) -> None:
        """Streams ``wanted``'s trades printed from ``cursor`` (the first ack) on."""
        script = self.script
        try:
            while True:
                target = self.due()
                batch: list[str] = []
                symbol = None
                while cursor < target or batch:
                    here = self.symbol_of[cursor] if cursor < target else None
                    if batch and (here != symbol or len(batch) == BATCH):
                        frame = (
                            f'{{"topic": "publicTrade.{symbol}", "type": "snapshot", '
                            f'"ts": {time.time_ns() // 1_000_000}, "data": [{", ".join(batch)}]}}'
                        )
                        await ws.send(frame)
                        before = self.log.sent
                        self.log.sent += len(batch)
                        batch = []
                        if any(before < n <= self.log.sent for n in script.malformed_after):
                            self.log.malformed += 1
                            await ws.send('{"topic": "publicTrade.BTCUSDT", "data": [{"T": ')
                        if any(before < n <= self.log.sent for n in script.drop_after):
                            self.log.drops += 1
                            ws.transport.abort()  # no close frame: a broken connection
                            return
                    if here is None:
                        break
                    a, body = self.frames[cursor]
                    cursor += 1
                    if here in wanted:
                        if script.record_sends:
                            self.sent_ns[(here, a)] = time.time_ns()
                        batch.append(body)
                        symbol = here
                if ws.state is not State.OPEN:
                    return
                await asyncio.sleep(0.001)
        except ConnectionClosed:
            return
