"""Binance public REST -> ``crypto_trades`` (spot aggTrades) and ``crypto_open_interest``.

Trades: ``GET /api/v3/aggTrades`` with ``startTime``/``endTime`` finds the first aggregate
trade of the window (that first page is kept), then ``fromId = last a + 1`` pages forward
until a short page or a trade at or after the window end; an exactly full last page is
followed by an empty one, which adds nothing (empty pages are never concatenated: their
object columns would turn ``m`` into object dtype). ``m = true`` means the buyer was
the maker, so the taker sold: aggressor -1, else +1. ``T`` is in milliseconds, so ``ts`` is
the event time floored to the millisecond. ``trade_id`` is the aggregate id ``a``.

Open interest: USD-M ``GET /futures/data/openInterestHist``. Its finest ``period`` is 5
minutes, sixty times coarser than the simulated 5-second series, and only the last 30 days
are served: a partition from Binance holds one sample per ``oi_period``, which the client
declares as :attr:`BinanceClient.oi_cadence_seconds` so tier 3 expects that grid. The
periods offered are those up to the hourly partition (the reference also lists 2h..1d).
``mark_price`` is not on the wire and is derived as
``sumOpenInterestValue / sumOpenInterest``. A window whose first sample is missing (none
served, or the first one a period or more after the window's first grid point) is what the
30-day retention leaves of an older window, and is refused rather than returned as complete.

Decimal strings are converted straight to float64 (correctly rounded), the schema's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.providers.live.drift import parse_numbers as decimals
from vvv_pipeline.providers.live.drift import records_frame
from vvv_pipeline.providers.live.http import FetchStats, HttpClient
from vvv_pipeline.providers.live.venue_frames import MS, fetch_per_symbol

PROVIDER = "binance"
AGG_TRADES = "/api/v3/aggTrades"
OI_HIST = "/futures/data/openInterestHist"
AGG_TRADE_FIELDS = ("a", "p", "q", "f", "l", "T", "m", "M")
OI_FIELDS = ("symbol", "sumOpenInterest", "sumOpenInterestValue", "CMCCirculatingSupply")
AGG_TRADES_CAP = 1000
"""Largest ``limit`` of ``aggTrades``."""
OI_HIST_CAP = 500
"""Largest ``limit`` of ``openInterestHist``."""
PERIOD_MS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000}


class BinanceClient:
    """Spot aggregate trades and USD-M open-interest history; no key needed."""

    name = PROVIDER

    def __init__(
        self,
        base_url: str = "https://api.binance.com",
        *,
        futures_url: str = "https://fapi.binance.com",
        requests_per_second: float = 5.0,
        page_size: int = 1000,
        oi_page_size: int = 500,
        oi_period: str = "5m",
        **http_options: Any,
    ) -> None:
        """``http_options`` go to :class:`HttpClient` (timeout, attempts, backoff, time budget)."""
        if oi_period not in PERIOD_MS:
            raise ValueError(f"{PROVIDER}: oi_period {oi_period!r} not in {list(PERIOD_MS)}")
        if not 1 <= page_size <= AGG_TRADES_CAP:
            raise ValueError(f"{PROVIDER}: aggTrades page_size must be in 1..{AGG_TRADES_CAP}")
        if not 1 <= oi_page_size <= OI_HIST_CAP:
            raise ValueError(f"{PROVIDER}: openInterestHist page size must be in 1..{OI_HIST_CAP}")
        options: dict[str, Any] = {
            "requests_per_second": requests_per_second,
            **http_options,
        }
        self.http = HttpClient(PROVIDER, base_url, **options)
        self.futures_http = HttpClient(PROVIDER, futures_url, **options)
        self.page_size, self.oi_page_size, self.oi_period = page_size, oi_page_size, oi_period

    @property
    def stats(self) -> FetchStats:
        """Counters of the spot and futures connections together (a fresh snapshot)."""
        total = FetchStats()
        total.merge(self.http.stats)
        total.merge(self.futures_http.stats)
        return total

    @property
    def oi_cadence_seconds(self) -> int:
        """Seconds between the open-interest samples served (the requested ``period``)."""
        return PERIOD_MS[self.oi_period] // 1000

    def close(self) -> None:
        self.http.close()
        self.futures_http.close()

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        readers = {
            Source.CRYPTO_TRADES: self._trades,
            Source.CRYPTO_OPEN_INTEREST: self._open_interest,
        }
        return fetch_per_symbol(PROVIDER, readers, source, start, end, symbols)

    def _refuse_truncated(self, symbol: str, lo_ms: int, first_ms: int | None) -> None:
        """Raise when the window's first sample is missing: openInterestHist keeps 30 days."""
        step = PERIOD_MS[self.oi_period]
        expected = -(-lo_ms // step) * step  # the first grid point at or after the start
        if first_ms is None or first_ms >= expected + step:
            served = (
                "no sample"
                if first_ms is None
                else f"samples from {pd.Timestamp(first_ms, unit='ms', tz='UTC')} only"
            )
            raise ProviderError(
                PROVIDER,
                OI_HIST,
                f"{symbol}: {served} for a window from {pd.Timestamp(lo_ms, unit='ms', tz='UTC')}; "
                "openInterestHist serves only the last 30 days",
            )

    def _trades(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        """Aggregate trades with lo <= T < hi, oldest first."""
        lo_ms, hi_ms = lo.value // MS, hi.value // MS
        params: dict[str, Any] = {"symbol": symbol, "startTime": lo_ms, "endTime": hi_ms - 1}
        pages: list[pd.DataFrame] = []
        while True:
            rows = self.http.get_json(AGG_TRADES, params | {"limit": self.page_size})
            self.http.stats.pages += 1
            page = records_frame(rows, AGG_TRADE_FIELDS[:7], AGG_TRADE_FIELDS, PROVIDER, AGG_TRADES)
            if page.empty:
                break
            if page["m"].to_numpy().dtype != bool:
                raise ProviderError(PROVIDER, AGG_TRADES, f"{symbol}: field 'm' is not boolean")
            pages.append(page)
            if len(page) < self.page_size or int(page["T"].iloc[-1]) >= hi_ms:
                break
            params = {"symbol": symbol, "fromId": int(page["a"].iloc[-1]) + 1}
        if not pages:
            return pd.DataFrame()
        wire = pd.concat(pages, ignore_index=True)
        taker_sold = wire["m"].to_numpy(dtype=bool)
        return pd.DataFrame(
            {
                "ts": pd.to_datetime(wire["T"].astype("int64"), unit="ms", utc=True),
                "symbol": symbol,
                "price": decimals(wire["p"], "p", PROVIDER, AGG_TRADES),
                "size": decimals(wire["q"], "q", PROVIDER, AGG_TRADES),
                "trade_id": wire["a"].astype("int64"),
                "aggressor": np.where(taker_sold, -1, 1).astype(np.int8),
                "venue": PROVIDER,
            }
        )

    def _open_interest(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        """Open-interest samples with lo <= timestamp < hi, one per ``oi_period``."""
        lo_ms, hi_ms = lo.value // MS, hi.value // MS
        step = PERIOD_MS[self.oi_period]
        known = (*OI_FIELDS, "timestamp")
        pages: list[pd.DataFrame] = []
        cursor = lo_ms
        while cursor < hi_ms:
            params = {"symbol": symbol, "period": self.oi_period, "limit": self.oi_page_size}
            params |= {"startTime": cursor, "endTime": hi_ms - 1}
            rows = self.futures_http.get_json(OI_HIST, params)
            self.futures_http.stats.pages += 1
            required = ("sumOpenInterest", "sumOpenInterestValue", "timestamp")
            page = records_frame(rows, required, known, PROVIDER, OI_HIST)
            if page.empty:
                break
            pages.append(page)
            if len(page) < self.oi_page_size:
                break
            cursor = int(pd.to_numeric(page["timestamp"]).iloc[-1]) + step
        if not pages:
            self._refuse_truncated(symbol, lo_ms, None)
        wire = pd.concat(pages, ignore_index=True)
        first = int(decimals(wire["timestamp"][:1], "timestamp", PROVIDER, OI_HIST)[0])
        self._refuse_truncated(symbol, lo_ms, first)
        oi = decimals(wire["sumOpenInterest"], "sumOpenInterest", PROVIDER, OI_HIST)
        value = decimals(wire["sumOpenInterestValue"], "sumOpenInterestValue", PROVIDER, OI_HIST)
        stamp = decimals(wire["timestamp"], "timestamp", PROVIDER, OI_HIST).astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            mark = np.where(oi > 0, value / oi, np.nan)
        return pd.DataFrame(
            {
                "ts": pd.to_datetime(stamp, unit="ms", utc=True),
                "symbol": symbol,
                "open_interest": oi,
                "open_interest_value": value,
                "mark_price": mark,
                "venue": PROVIDER,
            }
        )
