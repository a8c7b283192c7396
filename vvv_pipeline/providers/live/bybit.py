"""Bybit v5 public market data -> ``crypto_open_interest`` and ``crypto_trades``.

Every answer is an envelope ``{"retCode", "retMsg", "result", "time"}``; a non-zero
``retCode`` is an error inside HTTP 200. The HTTP layer's ``check`` hook turns the transient
codes (10006 rate limit, waiting until ``X-Bapi-Limit-Reset-Timestamp`` when sent; 10000
timeout; 10016 restarting) into retries, and any other code into a :class:`ProviderError`
naming the code and message.

Open interest: ``/v5/market/open-interest`` (``intervalTime`` 5min at finest), newest first,
paged with ``nextPageCursor`` until it is empty. The cursor arrives URL-encoded and is
appended to the query verbatim (encoding it again would change it). The wire carries only
``openInterest`` and ``timestamp``, so the client also asks ``/v5/market/mark-price-kline``
for the same window at the same interval (:mod:`.bybit_mark_price`): the open of the candle
starting at a sample's time is its ``mark_price``. Linear contracts count open interest in the
base coin (``open_interest``; ``open_interest_value`` = it x the mark price); inverse
contracts count it in USD (``open_interest_value``; ``open_interest`` = it / the mark price).
A sample without a candle keeps NaN there, which tier 1 quarantines. There is one sample per
``intervalTime`` (5 minutes by default) rather than every 5 seconds;
:attr:`BybitClient.oi_cadence_seconds` declares it for tier 3.

Trades: ``/v5/market/recent-trade`` is a snapshot of the latest trades with no time filter
and no paging; history lives in Bybit's download archives. Each category has its own cap
(:data:`RECENT_TRADE_CAPS`: 60 rows for spot, 1000 for the others), and the request asks for
at most that. A window is served only when the snapshot reaches back past its start, or holds
fewer rows than the cap allowed (then it is every trade there is); a full snapshot that
starts inside the window is refused rather than returned as a complete partition. ``side`` is
the taker side. ``trade_id`` comes from ``execId`` (:mod:`.trade_ids`: the number itself for
spot, a 63-bit fold of the UUID for linear and inverse), never from ``seq``: Bybit documents
``seq`` as a cross sequence that trades concluded together share.

``retCode`` is read as an integer whether it arrives as a JSON number or a string (both are
seen in recorded answers).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import requests

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, RetryableError
from vvv_pipeline.providers.live.bybit_mark_price import (
    KLINE_INTERVALS,
    KLINE_PAGE_CAP,
    mark_prices,
)
from vvv_pipeline.providers.live.drift import parse_numbers as decimals
from vvv_pipeline.providers.live.drift import records_frame, require
from vvv_pipeline.providers.live.http import HttpClient, OverHttp
from vvv_pipeline.providers.live.trade_ids import trade_ids
from vvv_pipeline.providers.live.venue_frames import MS, fetch_per_symbol, refuse_partial_snapshot

PROVIDER = "bybit"
OPEN_INTEREST = "/v5/market/open-interest"
RECENT_TRADE = "/v5/market/recent-trade"
RETRYABLE_CODES = {10000: "server timeout", 10006: "rate limit", 10016: "server restarting"}
OI_FIELDS = ("openInterest", "singleOpenInterest", "timestamp")
TRADE_FIELDS = ("execId", "symbol", "price", "size", "side", "time", "isBlockTrade")
TRADE_EXTRA = ("isRPITrade", "seq", "mP", "iP", "mIv", "iv")
SIDES = {"Buy": 1, "Sell": -1}
RECENT_TRADE_CAPS = {"spot": 60, "linear": 1000, "inverse": 1000, "option": 1000}
"""Rows one recent-trade snapshot can hold, by category (Bybit v5 docs, ``limit``)."""
OI_PAGE_CAP = 200
"""Largest ``limit`` of the open-interest endpoint."""
INTERVAL_SECONDS = {"5min": 300, "15min": 900, "30min": 1800, "1h": 3600, "4h": 14400, "1d": 86400}
"""The ``intervalTime`` values of the open-interest endpoint and their sample spacing."""


def check_envelope(response: requests.Response) -> None:
    """Raise for a non-zero ``retCode`` inside an HTTP 200 (retryable codes retry)."""
    if response.status_code != 200:
        return
    try:
        body = response.json()
    except ValueError:
        return  # truncated or invalid JSON: the HTTP layer retries it
    code = return_code(body.get("retCode") if isinstance(body, dict) else None)
    if code in (0, None):
        return
    endpoint = response.request.path_url.split("?")[0] if response.request else "?"
    message = f"retCode {code}: {body.get('retMsg', '')}"
    if code in RETRYABLE_CODES:
        reset_ms = response.headers.get("X-Bapi-Limit-Reset-Timestamp")
        wait = max(0.0, int(reset_ms) / 1000 - time.time()) if reset_ms else None
        raise RetryableError(PROVIDER, endpoint, message, retry_after=wait)
    raise ProviderError(PROVIDER, endpoint, message)


def return_code(value: Any) -> int | str | None:
    """``retCode`` as an int (sent as a number or as a decimal string); other text as is."""
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value)
    return value


class BybitClient(OverHttp):
    """Linear-perpetual open interest (paged history) and recent trades (a snapshot)."""

    name = PROVIDER

    def __init__(
        self,
        base_url: str = "https://api.bybit.com",
        *,
        category: str = "linear",
        interval: str = "5min",
        requests_per_second: float = 5.0,
        page_size: int = OI_PAGE_CAP,
        kline_page_size: int = KLINE_PAGE_CAP,
        trade_limit: int | None = None,
        **http_options: Any,
    ) -> None:
        """``http_options`` go to :class:`HttpClient` (timeout, attempts, backoff, time budget).

        ``trade_limit`` defaults to the category's snapshot cap and may not exceed it.
        """
        if interval not in INTERVAL_SECONDS:
            raise ValueError(f"{PROVIDER}: interval {interval!r} not in {list(INTERVAL_SECONDS)}")
        if category not in RECENT_TRADE_CAPS:
            raise ValueError(f"{PROVIDER}: category {category!r} not in {list(RECENT_TRADE_CAPS)}")
        cap = RECENT_TRADE_CAPS[category]
        trade_limit = cap if trade_limit is None else trade_limit
        if not 1 <= trade_limit <= cap:
            raise ValueError(f"{PROVIDER}: {category} recent-trade limit must be in 1..{cap}")
        if not 1 <= page_size <= OI_PAGE_CAP:
            raise ValueError(f"{PROVIDER}: open-interest page_size must be in 1..{OI_PAGE_CAP}")
        if not 1 <= kline_page_size <= KLINE_PAGE_CAP:
            raise ValueError(f"{PROVIDER}: kline_page_size must be in 1..{KLINE_PAGE_CAP}")
        self.http = HttpClient(
            PROVIDER,
            base_url,
            requests_per_second=requests_per_second,
            **http_options,
            check=check_envelope,
        )
        self.category, self.interval = category, interval
        self.page_size, self.trade_limit = page_size, trade_limit
        self.kline_page_size = kline_page_size

    @property
    def oi_cadence_seconds(self) -> int:
        """Seconds between the open-interest samples served (the requested ``intervalTime``)."""
        return INTERVAL_SECONDS[self.interval]

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        readers = {
            Source.CRYPTO_TRADES: self._trades,
            Source.CRYPTO_OPEN_INTEREST: self._open_interest,
        }
        return fetch_per_symbol(PROVIDER, readers, source, start, end, symbols)

    def _result(self, endpoint: str, query: str) -> dict[str, Any]:
        body = self.http.get_json(f"{endpoint}?{query}")
        self.http.stats.pages += 1
        result = require(body, "result", PROVIDER, endpoint)
        require(result, "list", PROVIDER, endpoint)
        return result

    def _open_interest(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        base = urlencode(
            {
                "category": self.category,
                "symbol": symbol,
                "intervalTime": self.interval,
                "startTime": lo.value // MS,
                "endTime": hi.value // MS - 1,
                "limit": self.page_size,
            }
        )
        pages, cursor = [], ""
        while True:
            query = f"{base}&cursor={cursor}" if cursor else base  # cursor is already encoded
            result = self._result(OPEN_INTEREST, query)
            pages.append(
                records_frame(result["list"], OI_FIELDS[::2], OI_FIELDS, PROVIDER, OPEN_INTEREST)
            )
            cursor = str(result.get("nextPageCursor") or "")
            if not cursor or not result["list"]:
                break
        wire = pd.concat([p for p in pages if len(p)] or pages[:1], ignore_index=True)
        stamp = decimals(wire["timestamp"], "timestamp", PROVIDER, OPEN_INTEREST).astype(np.int64)
        amount = decimals(wire["openInterest"], "openInterest", PROVIDER, OPEN_INTEREST)
        mark = np.full(len(wire), np.nan)
        if len(wire):  # no samples: no mark prices to ask for
            query = {"category": self.category, "symbol": symbol}
            query["interval"] = KLINE_INTERVALS[self.interval]
            marks = mark_prices(self._result, PROVIDER, query, lo, hi, self.kline_page_size)
            mark = marks.reindex(stamp).to_numpy(dtype=np.float64)
        in_usd = self.category == "inverse"  # inverse contracts are counted in USD
        return pd.DataFrame(
            {
                "ts": pd.to_datetime(stamp, unit="ms", utc=True),
                "symbol": symbol,
                "open_interest": amount / mark if in_usd else amount,
                "open_interest_value": amount if in_usd else amount * mark,
                "mark_price": mark,
                "venue": PROVIDER,
            }
        )

    def recent_trades(self, symbol: str) -> pd.DataFrame:
        """The recent-trade snapshot of ``symbol`` (up to ``trade_limit`` rows), canonical
        columns in the wire's order (newest first), whatever window it reaches back to: what
        the trade stream re-reads after each subscription."""
        frame, _ = self._snapshot(symbol)
        return frame

    def _trades(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        frame, rows = self._snapshot(symbol)
        if rows:
            refuse_partial_snapshot(
                PROVIDER,
                RECENT_TRADE,
                f"{symbol}: the {self.category} recent-trade snapshot",
                frame["ts"],
                self.trade_limit,
                lo,
                "older trades are only in Bybit's history archives",
            )
        return frame

    def _snapshot(self, symbol: str) -> tuple[pd.DataFrame, int]:
        query = urlencode({"category": self.category, "symbol": symbol, "limit": self.trade_limit})
        rows = self._result(RECENT_TRADE, query)["list"]
        wire = records_frame(
            rows, TRADE_FIELDS[:6], TRADE_FIELDS + TRADE_EXTRA, PROVIDER, RECENT_TRADE
        )
        if wire.empty:
            return pd.DataFrame(), 0
        stamp = decimals(wire["time"], "time", PROVIDER, RECENT_TRADE).astype(np.int64)
        ts = pd.to_datetime(stamp, unit="ms", utc=True)
        side = wire["side"].map(SIDES)
        if side.isna().any():
            bad = wire["side"][side.isna()].iloc[0]
            raise ProviderError(PROVIDER, RECENT_TRADE, f"{symbol}: field 'side' holds {bad!r}")
        frame = pd.DataFrame(
            {
                "ts": ts,
                "symbol": symbol,
                "price": decimals(wire["price"], "price", PROVIDER, RECENT_TRADE),
                "size": decimals(wire["size"], "size", PROVIDER, RECENT_TRADE),
                "trade_id": trade_ids(wire["execId"], PROVIDER, RECENT_TRADE, symbol),
                "aggressor": side.to_numpy().astype(np.int8),
                "venue": PROVIDER,
            }
        )
        return frame, len(wire)
