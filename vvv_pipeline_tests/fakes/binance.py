"""A fake Binance (spot aggTrades, USD-M openInterestHist, openInterest and premiumIndex)
serving the simulated market.

Wire format as in the reference (section 3): bare JSON arrays, oldest first; prices and sizes
as string-numbers with 8 decimals; ``T``/``timestamp`` as JSON numbers in milliseconds (so
``ts`` reaches the client floored to the millisecond); ``m`` is true when the taker sold.
aggTrades pages by ``startTime``/``endTime`` or by ``fromId`` (the simulated ids encode their
hour, so a page can start at any id and run into later hours). openInterestHist serves the
simulated 5-second series at the requested ``period`` (one sample per period); openInterest
and premiumIndex serve the sample current at the market's clock (``now``).

Content faults: ``malformed`` turns one price into ``"n/a"``; ``drift`` drops ``m`` from
every trade (``sumOpenInterest`` from every sample). ``429`` and ``ban`` answer with
Binance's JSON bodies (``ban`` is HTTP 418) and the fault's ``Retry-After``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS
from vvv_pipeline.providers.simulated.crypto import TRADE_ID_STRIDE
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)

PERIOD_MS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000}
HORIZON_HOURS = 6
"""How far past the requested hour one page may reach (the simulated market never ends)."""
WEIGHT = {"X-MBX-USED-WEIGHT-1M": "4"}


class HourlyTrades:
    """The simulated trades of one symbol-hour, cached (pages reuse the same hours)."""

    def __init__(self, market: SimulatedMarket) -> None:
        self.market = market
        self._cache: dict[tuple[str, int], pd.DataFrame] = {}
        self._lock = threading.Lock()

    def hour(self, symbol: str, hour: int) -> pd.DataFrame:
        with self._lock:
            if (symbol, hour) not in self._cache:
                start = pd.Timestamp(EPOCH_NS + hour * HOUR_NS, tz="UTC")
                window = (start, start + pd.Timedelta(hours=1))
                self._cache[(symbol, hour)] = self.market.fetch(
                    Source.CRYPTO_TRADES, *window, [symbol]
                )
            return self._cache[(symbol, hour)]

    def forward(self, symbol: str, first_hour: int) -> pd.DataFrame:
        """Trades of ``HORIZON_HOURS`` hours from ``first_hour`` on, oldest first."""
        frames = [self.hour(symbol, h) for h in range(first_hour, first_hour + HORIZON_HOURS)]
        return pd.concat(frames, ignore_index=True)


def hour_of_ms(ms: int) -> int:
    return (ms * 1_000_000 - EPOCH_NS) // HOUR_NS


def agg_trade_rows(trades: pd.DataFrame, drop: str | None = None) -> list[dict[str, object]]:
    """aggTrades JSON objects for canonical trades (one underlying trade per aggregate)."""
    ids = trades["trade_id"].to_numpy().tolist()
    rows = pd.DataFrame(
        {
            "a": ids,
            "p": trades["price"].map("{:.8f}".format),
            "q": trades["size"].map("{:.8f}".format),
            "f": ids,
            "l": ids,
            "T": (trades["ts"].astype("int64") // 1_000_000).tolist(),
            "m": (trades["aggressor"].to_numpy() < 0).tolist(),
            "M": True,
        }
    ).to_dict("records")
    if drop:
        for row in rows:
            row.pop(drop, None)
    return rows


def _int(query: dict[str, str], name: str) -> int | None:
    return int(query[name]) if name in query else None


class BinanceFake:
    def __init__(
        self,
        market: SimulatedMarket,
        trades: HourlyTrades | None = None,
        now: Callable[[], pd.Timestamp] | None = None,
    ) -> None:
        self.market = market
        self.trades = trades or HourlyTrades(market)
        self.now = now
        """The market's clock for the current-state endpoints (None: the wall clock)."""

    def _current(self, symbol: str) -> pd.Series:
        """The latest five-second sample at the market's now."""
        now = self.now() if self.now is not None else pd.Timestamp.now(tz="UTC")
        lo = now.floor("5s")
        sample = self.market.fetch(
            Source.CRYPTO_OPEN_INTEREST, lo, lo + pd.Timedelta(seconds=5), [symbol]
        )
        return sample.iloc[0]

    def open_interest_now(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        """``GET /fapi/v1/openInterest``: the current open interest, at its sample's time."""
        symbol = request.query.get("symbol", "")
        if not self._known(symbol):
            return FakeResponse(400, {"code": -1121, "msg": "Invalid symbol."})
        sample = self._current(symbol)
        body = {
            "openInterest": f"{sample['open_interest']:.8f}",
            "symbol": symbol,
            "time": int(sample["ts"].value // 1_000_000),
        }
        if _is(fault, "malformed"):
            body["openInterest"] = "n/a"
        return FakeResponse(200, body, {"X-MBX-USED-WEIGHT-1M": "1"})

    def premium_index(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        """``GET /fapi/v1/premiumIndex``: the current mark price (other fields as Binance's)."""
        symbol = request.query.get("symbol", "")
        if not self._known(symbol):
            return FakeResponse(400, {"code": -1121, "msg": "Invalid symbol."})
        sample = self._current(symbol)
        mark = f"{sample['mark_price']:.8f}"
        at = int(sample["ts"].value // 1_000_000)
        body = {"symbol": symbol, "markPrice": mark, "indexPrice": mark, "time": at}
        return FakeResponse(200, body | {"lastFundingRate": "0.00010000", "interestRate": "0"})

    def _known(self, symbol: str) -> bool:
        return symbol in self.market.known_symbols(Source.CRYPTO_TRADES)

    def agg_trades(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        symbol, limit = query.get("symbol", ""), min(int(query.get("limit", "500")), 1000)
        if not self._known(symbol):
            return FakeResponse(400, {"code": -1121, "msg": "Invalid symbol."}, dict(WEIGHT))
        from_id, start, end = (
            _int(query, "fromId"),
            _int(query, "startTime"),
            _int(query, "endTime"),
        )
        if from_id is not None:
            frame = self.trades.forward(symbol, from_id // TRADE_ID_STRIDE)
            frame = frame[frame["trade_id"] >= from_id]
        elif start is not None:
            frame = self.trades.forward(symbol, hour_of_ms(start))
            ms = frame["ts"].astype("int64") // 1_000_000
            keep = (ms >= start) & (ms <= end if end is not None else True)
            frame = frame[keep]
        else:
            return FakeResponse(400, {"code": -1102, "msg": "fromId or startTime required."})
        rows = agg_trade_rows(frame.head(limit), "m" if _is(fault, "drift") else None)
        if _is(fault, "malformed") and rows:
            rows[len(rows) // 2]["p"] = "n/a"
        return FakeResponse(200, rows, dict(WEIGHT))

    def open_interest(self, request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        symbol, period = query.get("symbol", ""), query.get("period", "")
        if not self._known(symbol) or period not in PERIOD_MS:
            return FakeResponse(400, {"code": -1130, "msg": "Invalid symbol or period."})
        start, end = _int(query, "startTime"), _int(query, "endTime")
        if start is None or end is None:
            return FakeResponse(400, {"code": -1102, "msg": "startTime and endTime required."})
        limit = min(int(query.get("limit", "30")), 500)
        lo = pd.Timestamp(start, unit="ms", tz="UTC")
        hi = pd.Timestamp(end + 1, unit="ms", tz="UTC")
        samples = self.market.fetch(Source.CRYPTO_OPEN_INTEREST, lo, hi, [symbol])
        ms = samples["ts"].astype("int64").to_numpy() // 1_000_000
        samples = samples[ms % PERIOD_MS[period] == 0].head(limit)
        rows = pd.DataFrame(
            {
                "symbol": symbol,
                "sumOpenInterest": samples["open_interest"].map("{:.8f}".format),
                "sumOpenInterestValue": samples["open_interest_value"].map("{:.8f}".format),
                "CMCCirculatingSupply": "19790000.00",
                "timestamp": (samples["ts"].astype("int64") // 1_000_000).tolist(),
            }
        ).to_dict("records")
        if _is(fault, "drift"):
            rows = [{k: v for k, v in row.items() if k != "sumOpenInterest"} for row in rows]
        if _is(fault, "malformed") and rows:
            rows[0]["sumOpenInterestValue"] = "n/a"
        return FakeResponse(200, rows, {"X-MBX-USED-WEIGHT-1M": "0"})


def _is(fault: Fault | None, kind: str) -> bool:
    return fault is not None and fault.kind == kind


def _throttled(status: int, message: str) -> Callable[[FakeRequest, Fault], FakeResponse]:
    def answer(request: FakeRequest, fault: Fault) -> FakeResponse:
        headers = {"Retry-After": f"{fault.retry_after or 1:g}", **WEIGHT}
        return FakeResponse(status, {"code": -1003, "msg": message}, headers)

    return answer


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    trades: HourlyTrades | None = None,
    now: Callable[[], pd.Timestamp] | None = None,
) -> FakeHttpServer:
    """A started fake serving both the spot and the USD-M paths on one port; ``trades``: the
    trades to serve (default: the simulated market's; the WebSocket fake shares its own);
    ``now``: the market's clock for the current open interest and mark (default: the wall's)."""
    fake = BinanceFake(market, trades, now)
    routes = [
        ("/api/v3/aggTrades", fake.agg_trades),
        ("/futures/data/openInterestHist", fake.open_interest),
        ("/fapi/v1/openInterest", fake.open_interest_now),
        ("/fapi/v1/premiumIndex", fake.premium_index),
    ]
    overrides = {
        "429": _throttled(429, "Too much request weight used; current limit is 6000."),
        "ban": _throttled(418, "Way too much request weight used; IP banned."),
    }
    return FakeHttpServer(routes, faults, port, overrides=overrides).start()
