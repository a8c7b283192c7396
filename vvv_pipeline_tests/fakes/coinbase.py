"""A fake Coinbase Exchange ``/products/{id}/trades`` serving the simulated market's trades.

Wire format as in the reference (section 5.1): a bare JSON array, newest first; integer
``trade_id``; string-number ``price``/``size``; ``time`` ISO-8601 with ``Z`` and a varying
number of fractional digits (trailing zeros dropped, microseconds at most, so ``ts`` reaches
the client floored to the microsecond); ``side`` is the maker's side. Without a cursor the
page holds the newest trades before the fake's ``now``; ``after=<id>`` pages to older ids;
``CB-BEFORE``/``CB-AFTER`` carry the page's newest/oldest id; past ``history_hours`` the
answer is ``[]``. Product ids map to universe symbols through the client's default map.

Faults: ``429`` answers ``{"message": "Public rate limit exceeded"}``; ``malformed`` puts
``"n/a"`` in one price; ``drift`` drops ``side`` from every trade.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.providers.live.coinbase import DEFAULT_SYMBOL_MAP
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.crypto import TRADE_ID_STRIDE
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)
from vvv_pipeline_tests.fakes.binance import HourlyTrades, hour_of_ms

PRODUCTS = {product: symbol for symbol, product in DEFAULT_SYMBOL_MAP.items()}


def iso_times(ts: pd.Series) -> pd.Series:
    """``2025-11-25T15:00:01.1234Z``: microseconds with trailing zeros dropped."""
    text = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.rstrip("0").str.rstrip(".")
    return text + "Z"


class CoinbaseFake:
    def __init__(self, market: SimulatedMarket, now: pd.Timestamp, history_hours: int) -> None:
        self.trades = HourlyTrades(market)
        self.now_ms = now.value // 1_000_000
        self.oldest_hour = hour_of_ms(self.now_ms) - history_hours

    def older(self, symbol: str, limit: int, after: int | None) -> pd.DataFrame:
        """The newest ``limit`` trades older than ``after`` (or than ``now``), newest first."""
        hour = (after - 1) // TRADE_ID_STRIDE if after is not None else hour_of_ms(self.now_ms)
        frames, count = [], 0
        while count < limit and hour >= self.oldest_hour:
            frame = self.trades.hour(symbol, hour)
            keep = frame["ts"].astype("int64") // 1_000_000 < self.now_ms
            if after is not None:
                keep &= frame["trade_id"] < after
            frames.append(frame[keep])
            count, hour = count + int(keep.sum()), hour - 1
        if not frames:
            return self.trades.hour(symbol, self.oldest_hour).iloc[:0]
        return pd.concat(frames[::-1], ignore_index=True).tail(limit).iloc[::-1]

    def trades_page(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        product = request.path.split("/")[2]
        if product not in PRODUCTS:
            return FakeResponse(404, {"message": "NotFound"})
        limit = min(int(request.query.get("limit", "1000")), 1000)
        after = int(request.query["after"]) if "after" in request.query else None
        trades = self.older(PRODUCTS[product], limit, after)
        rows = pd.DataFrame(
            {
                "time": iso_times(trades["ts"]),
                "trade_id": trades["trade_id"].astype("int64").tolist(),
                "price": trades["price"].map("{:.8f}".format),
                "size": trades["size"].map("{:.8f}".format),
                "side": np.where(trades["aggressor"].to_numpy() < 0, "buy", "sell"),
            }
        ).to_dict("records")
        if fault is not None and fault.kind == "drift":
            rows = [{k: v for k, v in row.items() if k != "side"} for row in rows]
        if fault is not None and fault.kind == "malformed" and rows:
            rows[-1]["price"] = "n/a"
        headers = {}
        if rows:
            headers = {"CB-BEFORE": str(rows[0]["trade_id"]), "CB-AFTER": str(rows[-1]["trade_id"])}
        return FakeResponse(200, rows, headers)


def _rate_limited(request: FakeRequest, fault: Fault) -> FakeResponse:
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    return FakeResponse(429, {"message": "Public rate limit exceeded"}, headers)


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    now: pd.Timestamp | None = None,
    history_hours: int = 48,
) -> FakeHttpServer:
    """A started fake; the newest trade is the last before ``now`` (default: current time)."""
    fake = CoinbaseFake(
        market, now if now is not None else pd.Timestamp.now(tz="UTC"), history_hours
    )
    routes = [(r"/products/[^/]+/trades", fake.trades_page)]
    return FakeHttpServer(routes, faults, port, overrides={"429": _rate_limited}).start()
