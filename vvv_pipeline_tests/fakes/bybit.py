"""A fake Bybit v5 (open-interest history and recent trades) serving the simulated market.

Wire format as in the reference (section 4): every answer is the ``retCode`` envelope with
strings inside ``result`` and a numeric ``time``; open interest comes newest first, one
sample per ``intervalTime`` (5min and coarser), paged with an already URL-encoded
``nextPageCursor`` (``lastid%3D<offset>%26lasttime%3D<seconds>``) that is ``""`` on the last
page. A cursor that arrives encoded twice is rejected with retCode 10001, as a strict
server would. recent-trade returns the latest ``limit`` trades before the fake's ``now``,
newest first, with UUID ``execId`` values and the simulated id as ``seq``. An unknown symbol
is ``retCode 10001`` inside HTTP 200.

The open-interest wire has no value or mark price, and times in milliseconds; the mark price
is served as ``/v5/market/mark-price-kline`` candles ``[start, open, high, low, close]`` (the
simulated mark prices inside each candle, the open being the one at its start), newest first,
the candles starting in [``start``, ``end``], ``limit`` of them (at most 1000), no cursor.

Faults: ``quota`` answers retCode 10006 in HTTP 200 with ``X-Bapi-Limit-Reset-Timestamp``
``retry_after`` seconds ahead; ``ban`` is the HTTP 403 "access too frequent"; ``malformed``
puts ``"n/a"`` in one number; ``drift`` drops ``timestamp`` (open interest), ``side``
(trades) or the close (mark-price candles) from every row.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)
from vvv_pipeline_tests.fakes.binance import HourlyTrades, hour_of_ms

INTERVAL_MS = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000, "1h": 3_600_000}
KLINE_MS = {"5": 300_000, "15": 900_000, "30": 1_800_000, "60": 3_600_000, "240": 14_400_000}


def envelope(result: Any, code: int = 0, message: str = "OK") -> dict[str, Any]:
    return {
        "retCode": code,
        "retMsg": message,
        "result": result,
        "retExtInfo": {},
        "time": int(time.time() * 1000),
    }


def encode_cursor(offset: int, seconds: int) -> str:
    return f"lastid%3D{offset}%26lasttime%3D{seconds}"


def decode_cursor(value: str) -> int | None:
    """The offset of a cursor as the server receives it once decoded, else None."""
    fields = dict(part.split("=", 1) for part in value.split("&") if "=" in part)
    offset = fields.get("lastid", "")
    return int(offset) if offset.isdigit() else None


class BybitFake:
    def __init__(self, market: SimulatedMarket, now: pd.Timestamp) -> None:
        self.market = market
        self.now = now
        self.trades = HourlyTrades(market)

    def _error(self, message: str) -> FakeResponse:
        return FakeResponse(200, envelope({}, 10001, message))

    def open_interest(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        symbol, interval = query.get("symbol", ""), query.get("intervalTime", "")
        if symbol not in self.market.known_symbols(Source.CRYPTO_OPEN_INTEREST):
            return self._error("params error: symbol invalid")
        if interval not in INTERVAL_MS or "startTime" not in query or "endTime" not in query:
            return self._error("params error: intervalTime, startTime and endTime required")
        offset = decode_cursor(query["cursor"]) if query.get("cursor") else 0
        if offset is None:
            return self._error("params error: invalid cursor")
        limit = min(int(query.get("limit", "50")), 200)
        lo = pd.Timestamp(int(query["startTime"]), unit="ms", tz="UTC")
        hi = pd.Timestamp(int(query["endTime"]) + 1, unit="ms", tz="UTC")
        samples = self.market.fetch(Source.CRYPTO_OPEN_INTEREST, lo, hi, [symbol])
        ms = samples["ts"].astype("int64") // 1_000_000
        samples = samples[(ms % INTERVAL_MS[interval] == 0).to_numpy()].iloc[::-1]
        page = samples.iloc[offset : offset + limit]
        rows = pd.DataFrame(
            {
                "openInterest": page["open_interest"].map("{:.8f}".format),
                "timestamp": (page["ts"].astype("int64") // 1_000_000).astype(str),
            }
        ).to_dict("records")
        if fault is not None and fault.kind == "drift":
            rows = [{"openInterest": row["openInterest"]} for row in rows]
        if fault is not None and fault.kind == "malformed" and rows:
            rows[0]["openInterest"] = "n/a"
        more = offset + limit < len(samples)
        last_s = int(page["ts"].iloc[-1].timestamp()) if len(page) else 0
        cursor = encode_cursor(offset + limit, last_s) if more else ""
        result = {"symbol": symbol, "category": "linear", "list": rows, "nextPageCursor": cursor}
        return FakeResponse(200, envelope(result))

    def mark_price_kline(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        symbol, step = query.get("symbol", ""), KLINE_MS.get(query.get("interval", ""))
        if symbol not in self.market.known_symbols(Source.CRYPTO_OPEN_INTEREST):
            return self._error("params error: symbol invalid")
        limit = int(query.get("limit", "200"))
        if step is None or not 1 <= limit <= 1000 or "start" not in query or "end" not in query:
            return self._error("params error: interval, start, end or limit")
        first, last = int(query["start"]), int(query["end"])
        first += -first % step  # candles start on the interval grid
        lo = pd.Timestamp(first, unit="ms", tz="UTC")
        hi = pd.Timestamp(last + step, unit="ms", tz="UTC")
        marks = self.market.fetch(Source.CRYPTO_OPEN_INTEREST, lo, hi, [symbol])
        start = marks["ts"].astype("int64") // 1_000_000 // step * step
        candles = marks.groupby(start.to_numpy())["mark_price"].agg(["first", "max", "min", "last"])
        candles = candles[candles.index <= last].iloc[::-1].head(limit)
        text = candles.map(lambda x: np.format_float_positional(x, trim="-"))
        starts, prices = candles.index.tolist(), text.to_numpy().tolist()
        rows = [[str(t), *values] for t, values in zip(starts, prices, strict=True)]
        if fault is not None and fault.kind == "drift":
            rows = [row[:4] for row in rows]
        if fault is not None and fault.kind == "malformed" and rows:
            rows[0][1] = "n/a"
        result = {"symbol": symbol, "category": "linear", "list": rows}
        return FakeResponse(200, envelope(result))

    def recent_trade(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        symbol, limit = query.get("symbol", ""), min(int(query.get("limit", "500")), 1000)
        if symbol not in self.market.known_symbols(Source.CRYPTO_TRADES):
            return self._error("params error: symbol invalid")
        now_ms = self.now.value // 1_000_000
        hour, frames, count = hour_of_ms(now_ms), [], 0
        while count < limit and len(frames) < 48:
            frame = self.trades.hour(symbol, hour)
            frame = frame[frame["ts"].astype("int64") // 1_000_000 < now_ms]
            frames.append(frame)
            count, hour = count + len(frame), hour - 1
        trades = pd.concat(frames[::-1], ignore_index=True).tail(limit).iloc[::-1]
        ids = trades["trade_id"].astype("int64")
        rows = pd.DataFrame(
            {
                "execId": [str(uuid.UUID(int=int(i))) for i in ids],
                "symbol": symbol,
                "price": trades["price"].map("{:.8f}".format),
                "size": trades["size"].map("{:.8f}".format),
                "side": np.where(trades["aggressor"].to_numpy() > 0, "Buy", "Sell"),
                "time": (trades["ts"].astype("int64") // 1_000_000).astype(str),
                "isBlockTrade": False,
                "isRPITrade": False,
                "seq": ids.astype(str),
            }
        ).to_dict("records")
        if fault is not None and fault.kind == "drift":
            rows = [{k: v for k, v in row.items() if k != "side"} for row in rows]
        if fault is not None and fault.kind == "malformed" and rows:
            rows[0]["price"] = "n/a"
        return FakeResponse(200, envelope({"category": "linear", "list": rows}))


def _rate_limited(request: FakeRequest, fault: Fault) -> FakeResponse:
    reset_ms = int((time.time() + (fault.retry_after or 0.0)) * 1000)
    headers = {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "0"}
    headers["X-Bapi-Limit-Reset-Timestamp"] = str(reset_ms)
    return FakeResponse(200, envelope({}, 10006, "Too many visits!"), headers)


def _too_frequent(request: FakeRequest, fault: Fault) -> FakeResponse:
    return FakeResponse(403, "access too frequent", {"Content-Type": "text/plain"})


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    now: pd.Timestamp | None = None,
) -> FakeHttpServer:
    """A started fake; recent trades end at ``now`` (default: the current time)."""
    fake = BybitFake(market, now if now is not None else pd.Timestamp.now(tz="UTC"))
    routes = [
        ("/v5/market/open-interest", fake.open_interest),
        ("/v5/market/mark-price-kline", fake.mark_price_kline),
        ("/v5/market/recent-trade", fake.recent_trade),
    ]
    overrides = {"quota": _rate_limited, "ban": _too_frequent}
    return FakeHttpServer(routes, faults, port, overrides=overrides).start()
