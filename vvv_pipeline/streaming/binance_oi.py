"""Binance's open interest, polled: USD-M futures stream no open interest on any WebSocket.

The collector (:mod:`.collector`) runs over a :class:`PollLink` instead of a socket: each
``interval`` seconds it asks, for every pair, ``GET /fapi/v1/openInterest`` (``{"openInterest":
"81234.517", "symbol": "BTCUSDT", "time": 1718032001337}``, weight 1) and ``GET
/fapi/v1/premiumIndex`` (its ``markPrice``), through the project's HTTP layer (rate limit,
retries), and hands both answers on as one frame. A pair's answer becomes one row: open
interest (base coin), its value at the mark (USDT) and the mark, at the open interest's
``time``; the mark is the one a request later (milliseconds apart on Binance).

The link acknowledges the collector's subscription itself (there is nothing to subscribe to);
a request that still fails after the HTTP layer's retries ends the "connection", so the
collector logs it, backs off and polls again, as after a dropped socket.

A poll holds the state at its own instant only. A five-second grid point is sampled from the
last poll at or before it when that poll is less than :data:`~.finalize_oi.STEP_MS` old
(:func:`~.coverage.poll_coverage`), which is what Binance's cadence allows: the hour finalizes
from the polls where they are that dense, and a pair with a longer silence is fetched from
``openInterestHist`` instead (:mod:`.finalize_oi`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pandas as pd

from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.streaming.binance_ws import Malformed, Message, Reply, Trade
from vvv_pipeline.streaming.bybit_tickers import KIND, staged_oi
from vvv_pipeline.streaming.bybit_ws import decimal, frame_body
from vvv_pipeline.streaming.collector import CollectorConfig, Link

VENUE = "binance"
OPEN_INTEREST = "/fapi/v1/openInterest"
PREMIUM_INDEX = "/fapi/v1/premiumIndex"


class BinanceOiPollWire:
    """The polled answers for the collector (:class:`~.collector.Wire`)."""

    venue = VENUE
    kind = KIND
    sequential_ids = False
    app_ping_interval: float | None = None

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        rid = str(request_id)
        return [(rid, json.dumps({"op": "subscribe", "req_id": rid, "args": list(symbols)}))]

    def parse(self, frame: str | bytes) -> list[Message]:
        text, body = frame_body(frame)
        if isinstance(body, Malformed):
            return [body]
        if body.get("op") == "subscribe":
            return [Reply(str(body.get("req_id", "")))]
        try:
            oi, premium = body[OPEN_INTEREST], body[PREMIUM_INDEX]
            symbol, at = oi["symbol"], oi["time"]
            if not isinstance(symbol, str) or not symbol or type(at) is not int:
                raise TypeError("symbol must be a symbol and time an integer")
            if premium.get("symbol") != symbol:
                raise ValueError(f"premium index of {premium.get('symbol')!r}, not {symbol!r}")
            amount, mark = decimal(oi["openInterest"]), decimal(premium["markPrice"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return [Malformed(f"poll: {type(error).__name__} {error}", text[:200])]
        return [Trade(symbol.upper(), (at, at, amount, amount * mark, mark))]

    def ping(self, request_id: int) -> str:
        raise NotImplementedError("a poll needs no ping")

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        return staged_oi(rows, origin)


class PollLink:
    """A :class:`~.collector.Link` that polls ``client`` every ``interval`` seconds."""

    def __init__(self, client: BinanceClient, interval: float) -> None:
        self.client, self.interval = client, interval
        self.symbols: list[str] = []
        self.replies: list[str] = []
        self.closed = asyncio.Event()

    async def send(self, message: str) -> None:
        request = json.loads(message)
        self.symbols = [str(s) for s in request.get("args", [])]
        self.replies.append(json.dumps({"op": "subscribe", "req_id": request.get("req_id")}))

    async def close(self) -> None:
        self.closed.set()

    def _poll(self, symbol: str) -> str:
        try:
            oi = self.client.futures_http.get_json(OPEN_INTEREST, {"symbol": symbol})
            premium = self.client.futures_http.get_json(PREMIUM_INDEX, {"symbol": symbol})
        except ProviderError as error:  # what retries could not heal: a lost "connection"
            raise ConnectionError(f"{symbol}: {error}") from error
        return json.dumps({OPEN_INTEREST: oi, PREMIUM_INDEX: premium})

    async def __aiter__(self) -> AsyncIterator[str]:
        due = time.monotonic()
        while not self.closed.is_set():
            while self.replies:
                yield self.replies.pop(0)
            for symbol in self.symbols:
                yield await asyncio.to_thread(self._poll, symbol)
            due += self.interval
            try:
                await asyncio.wait_for(self.closed.wait(), max(0.0, due - time.monotonic()))
            except TimeoutError:
                continue


def poll_opener(client: BinanceClient, interval: float) -> Callable[[CollectorConfig], Any]:
    """The collector's opener: a fresh :class:`PollLink` per "connection"."""

    @asynccontextmanager
    async def open_link(_config: CollectorConfig) -> AsyncIterator[Link]:
        link = PollLink(client, interval)
        try:
            yield link
        finally:
            await link.close()

    return open_link
