"""Fake Yahoo Finance chart API serving the simulated market's daily bars.

``GET /v8/finance/chart/{symbol}`` as the reference (section 7) describes it: parallel arrays
under ``indicators.quote[0]``, bars stamped with their start in epoch seconds in the
instrument's exchange zone (stocks 09:30 New York, FX 00:00 London, futures 00:00 New York),
bars whose start lies in ``[period1, period2)``, prices as float32 values widened to double
(``427.8699951171875``), integer volumes, ``adjclose``, a result without ``timestamp`` for an
empty window, ``chart.error`` with HTTP 404 for an unknown symbol and 422 for an interval other
than ``1d``, and the plain-text 429 of the base server.

The cookie/crumb handshake: ``/`` sets a cookie and ``/v1/test/getcrumb`` answers a crumb in
plain text to a request carrying it (401 without); with ``require_crumb`` a chart request
without that crumb is answered 401 ``Invalid Crumb``, as Yahoo does.

``null_bars`` (session dates ``YYYY-MM-DD``) serve all-null bars (Yahoo's "no trade" bars) and
``null_volumes`` a null volume with the prices intact. What the wire cannot carry: the asset
class (the client takes it from the universe); prices beyond float32 precision (the simulated
prices have at most 7 significant digits, so they survive exactly).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)

COOKIE = "d=fake-yahoo-session"
EXCHANGES: dict[str, tuple[str, str, str, str, int]] = {
    # asset class: (exchangeTimezoneName, bar start clock, instrumentType, exchangeName, priceHint)
    "equity": ("America/New_York", "09:30", "EQUITY", "NMS", 2),
    "fx": ("Europe/London", "00:00", "CURRENCY", "CCY", 4),
    "commodity": ("America/New_York", "00:00", "FUTURE", "CMX", 2),
}


def chart_error(status: int, code: str, description: str) -> FakeResponse:
    return FakeResponse(
        status, {"chart": {"result": None, "error": {"code": code, "description": description}}}
    )


def bar_starts(sessions: pd.Series, zone: str, clock: str) -> np.ndarray:
    """Epoch seconds of each session's bar start at ``clock`` in ``zone``."""
    local = pd.DatetimeIndex(sessions) + pd.Timedelta(clock + ":00")
    return local.tz_localize(zone).asi8 // 1_000_000_000


def _float32_noise(values: pd.Series) -> list[float | None]:
    widened = values.to_numpy(dtype=np.float64).astype(np.float32).astype(np.float64)
    return [None if np.isnan(v) else v for v in widened.tolist()]


def _apply_content_fault(quote: dict[str, list[Any]], fault: Fault | None) -> None:
    if fault is None or not quote.get("close"):
        return
    if fault.kind == "malformed":
        quote["close"][0] = "n/a"
    elif fault.kind == "drift":
        quote["closePrice"] = quote.pop("close")


def _dividends(frame: pd.DataFrame, starts: np.ndarray) -> dict[str, Any]:
    """Yahoo's ``events.dividends``: keyed by the ex-date bar's start, amount per share."""
    paid = frame["dividend"].to_numpy() > 0
    return {
        str(int(t)): {"amount": float(a), "date": int(t)}
        for t, a in zip(starts[paid], frame["dividend"].to_numpy()[paid], strict=True)
    }


def _splits(frame: pd.DataFrame, starts: np.ndarray) -> dict[str, Any]:
    """Yahoo's ``events.splits`` for whole-number forward splits (the simulator's)."""
    ratio = frame["split_ratio"].to_numpy()
    split = ratio != 1.0
    return {
        str(int(t)): {
            "date": int(t),
            "numerator": int(r),
            "denominator": 1,
            "splitRatio": f"{int(r)}:1",
        }
        for t, r in zip(starts[split], ratio[split], strict=True)
    }


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    null_bars: Collection[str] = (),
    null_volumes: Collection[str] = (),
    require_crumb: bool = False,
    crumb: str = "haT3oykhHqZ",
) -> FakeHttpServer:
    """A started fake Yahoo chart server."""
    blank, no_volume = set(null_bars), set(null_volumes)

    def cookie(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        return FakeResponse(404, "Not Found", {"Set-Cookie": f"A3={COOKIE}; Path=/"})

    def get_crumb(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        if COOKIE not in request.headers.get("Cookie", ""):
            return FakeResponse(401, "Unauthorized")
        return FakeResponse(200, crumb)

    def chart(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        if require_crumb and request.query.get("crumb") != crumb:
            return chart_error(401, "Unauthorized", "Invalid Crumb")
        symbol = unquote(request.path.rsplit("/", 1)[-1])
        asset_class = market.universe.daily_ohlcv.get(symbol)
        if asset_class is None:
            return chart_error(404, "Not Found", "No data found, symbol may be delisted")
        interval = request.query.get("interval", "1d")
        if interval != "1d":
            return chart_error(422, "Unprocessable Entity", f"{interval} data not available")
        period1, period2 = int(request.query["period1"]), int(request.query["period2"])
        zone, clock, kind, exchange, hint = EXCHANGES[asset_class]
        lo = pd.Timestamp(period1, unit="s", tz="UTC") - pd.Timedelta(days=2)
        hi = pd.Timestamp(period2, unit="s", tz="UTC") + pd.Timedelta(days=2)
        frame = market.fetch(Source.DAILY_OHLCV, lo, hi, [symbol])
        sessions = frame["ts"].dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
        starts = bar_starts(sessions, zone, clock)
        keep = (starts >= period1) & (starts < period2)
        frame, sessions, starts = frame.loc[keep], sessions.loc[keep], starts[keep]
        dates = sessions.dt.strftime("%Y-%m-%d").tolist()
        quote: dict[str, list[Any]] = {f: _float32_noise(frame[f]) for f in ("open", "high", "low")}
        quote["close"] = _float32_noise(frame["close"])
        quote["volume"] = [int(v) for v in frame["volume"]]
        for i, date in enumerate(dates):
            if date in blank:
                for values in quote.values():
                    values[i] = None
            elif date in no_volume:
                quote["volume"][i] = None
        adjclose = _float32_noise(frame["adj_close"])
        for i, date in enumerate(dates):
            if date in blank:
                adjclose[i] = None
        _apply_content_fault(quote, fault)
        result: dict[str, Any] = {
            "meta": {
                "currency": "USD",
                "symbol": symbol,
                "exchangeName": exchange,
                "instrumentType": kind,
                "gmtoffset": -14400,
                "timezone": "EDT",
                "exchangeTimezoneName": zone,
                "priceHint": hint,
                "dataGranularity": "1d",
                "range": "",
            },
            "indicators": {"quote": [quote], "adjclose": [{"adjclose": adjclose}]},
        }
        if "div" in request.query.get("events", ""):
            result["events"] = {"dividends": _dividends(frame, starts)}
        if "split" in request.query.get("events", ""):
            result.setdefault("events", {})["splits"] = _splits(frame, starts)
        if len(dates):
            result["timestamp"] = [int(s) for s in starts]
        else:
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return FakeResponse(200, {"chart": {"result": [result], "error": None}})

    routes = [("/", cookie), ("/v1/test/getcrumb", get_crumb), (r"/v8/finance/chart/[^/]+", chart)]
    return FakeHttpServer(routes, faults, port).start()
