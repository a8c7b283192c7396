"""A fake MEXC contract API (deals, ticker, contract info) serving the simulated market.

Wire format as in :mod:`vvv_pipeline.providers.live.mexc`: every answer is the
``{"success", "code", "data"}`` envelope with JSON numbers; contracts are named ``BTC_USDT``.
``/api/v1/contract/detail`` gives each contract's ``contractSize`` (here the pair's simulated
lot, so sizes are whole contracts); ``/api/v1/contract/deals/{symbol}`` the latest ``limit``
deals before the fake's ``now`` (capped at 100, newest first, ``T`` 1 buy / 2 sell) from the
simulated trades; ``/api/v1/contract/ticker`` the simulated MEXC venue's open interest
(``holdVol`` in contracts) and mark price (``fairPrice``) at the last 5-second sample before
``now``. An unknown contract is ``{"success": false, "code": 1001, "message": "Contract does
not exist"}`` inside HTTP 200.

Faults: ``quota`` answers code 510 ("excessive frequency") in HTTP 200; ``ban`` an HTTP 403;
``malformed`` puts ``"n/a"`` in one price; ``drift`` drops ``T`` (deals) or ``holdVol``
(ticker).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.crypto import size_decimals
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)
from vvv_pipeline_tests.fakes.binance import HourlyTrades, hour_of_ms

DEALS_CAP = 100


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "code": 0, "data": data}


def failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "code": code, "message": message}


class MexcFake:
    def __init__(self, market: SimulatedMarket, now: pd.Timestamp) -> None:
        self.market = market
        self.now = now
        self.trades = HourlyTrades(market)
        self.pairs = {f"{s[:-4]}_{s[-4:]}": s for s in market.universe.crypto}

    def contract_size(self, pair: str) -> float:
        return 10.0 ** -size_decimals(self.market.universe.start_price(pair))

    def _unknown(self) -> FakeResponse:
        return FakeResponse(200, failure(1001, "Contract does not exist"))

    def detail(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        contract = request.query.get("symbol", "")
        if contract not in self.pairs:
            return self._unknown()
        size = self.contract_size(self.pairs[contract])
        return FakeResponse(200, ok({"symbol": contract, "contractSize": size, "state": 0}))

    def deals(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        contract = request.path.rsplit("/", 1)[-1]
        if contract not in self.pairs:
            return self._unknown()
        limit = min(int(request.query.get("limit", str(DEALS_CAP))), DEALS_CAP)
        pair = self.pairs[contract]
        now_ms = self.now.value // 1_000_000
        hour, frames, count = hour_of_ms(now_ms), [], 0
        while count < limit and len(frames) < 48:
            frame = self.trades.hour(pair, hour)
            frame = frame[frame["ts"].astype("int64") // 1_000_000 < now_ms]
            frames.append(frame)
            count, hour = count + len(frame), hour - 1
        trades = pd.concat(frames[::-1], ignore_index=True).tail(limit).iloc[::-1]
        contracts = np.round(trades["size"].to_numpy() / self.contract_size(pair))
        rows: list[dict[str, Any]] = [
            {"p": float(p), "v": int(v), "T": 1 if a > 0 else 2, "O": 1, "M": 2, "t": int(t)}
            for p, v, a, t in zip(
                trades["price"].to_numpy(),
                contracts,
                trades["aggressor"].to_numpy(),
                trades["ts"].astype("int64").to_numpy() // 1_000_000,
                strict=True,
            )
        ]
        if fault is not None and fault.kind == "drift":
            rows = [{k: v for k, v in row.items() if k != "T"} for row in rows]
        if fault is not None and fault.kind == "malformed" and rows:
            rows[0]["p"] = "n/a"
        return FakeResponse(200, ok(rows))

    def ticker(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        contract = request.query.get("symbol", "")
        if contract not in self.pairs:
            return self._unknown()
        pair = self.pairs[contract]
        at = self.now.floor("5s")
        sample = self.market.venue_open_interest(at, at + pd.Timedelta(seconds=5), [pair], ["mexc"])
        row = sample.iloc[0]
        data: dict[str, Any] = {
            "contractId": 10,
            "symbol": contract,
            "lastPrice": float(row["mark_price"]),
            "holdVol": math.floor(row["open_interest"] / self.contract_size(pair) + 0.5),
            "fairPrice": float(row["mark_price"]),
            "indexPrice": float(row["mark_price"]),
            "fundingRate": 0.0001,
            "timestamp": int(row["ts"].value // 1_000_000),
        }
        if fault is not None and fault.kind == "drift":
            data.pop("holdVol")
        if fault is not None and fault.kind == "malformed":
            data["fairPrice"] = "n/a"
        return FakeResponse(200, ok(data))


def _too_frequent(request: FakeRequest, fault: Fault) -> FakeResponse:
    return FakeResponse(200, failure(510, "Excessive frequency of requests"))


def _denied(request: FakeRequest, fault: Fault) -> FakeResponse:
    return FakeResponse(403, "Access Denied", {"Content-Type": "text/plain"})


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    now: pd.Timestamp | None = None,
) -> FakeHttpServer:
    """A started fake; deals and the ticker are as of ``now`` (default: the current time)."""
    fake = MexcFake(market, now if now is not None else pd.Timestamp.now(tz="UTC"))
    routes = [
        ("/api/v1/contract/detail", fake.detail),
        ("/api/v1/contract/deals/[A-Z0-9_]+", fake.deals),
        ("/api/v1/contract/ticker", fake.ticker),
    ]
    overrides = {"quota": _too_frequent, "ban": _denied}
    return FakeHttpServer(routes, faults, port, overrides=overrides).start()
