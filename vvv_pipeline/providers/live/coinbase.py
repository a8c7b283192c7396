"""Coinbase Exchange public trades -> ``crypto_trades``.

``GET /products/{product_id}/trades`` has no time filter: it returns the newest trades
first and pages backwards with ``after=<CB-AFTER header>`` (the oldest id of the page) until
an empty array. A window is read by paging back from the newest trade until a page reaches
before the window start, then clipping to [start, end); the cost grows with the window's
age, so old windows need many pages (``max_pages`` bounds it; past it the fetch raises).

``side`` is the maker's side: ``buy`` means the taker sold (aggressor -1), ``sell`` the
taker bought (+1). ``time`` is ISO-8601 with up to six fractional digits, so ``ts`` is the
event time floored to the microsecond. Product ids differ from the universe's pair names:
``symbol_map`` maps one to the other (BTCUSDT -> BTC-USD by default; USD quotes stand in for
USDT ones, which Coinbase does not list).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import requests

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, RetryableError
from vvv_pipeline.providers.live.drift import parse_numbers as decimals
from vvv_pipeline.providers.live.drift import records_frame
from vvv_pipeline.providers.live.http import HttpClient, OverHttp
from vvv_pipeline.providers.live.venue_frames import fetch_per_symbol

PROVIDER = "coinbase"
DEFAULT_SYMBOL_MAP: dict[str, str] = {
    "BTCUSDT": "BTC-USD",
    "ETHUSDT": "ETH-USD",
    "SOLUSDT": "SOL-USD",
}
TRADE_FIELDS = ("time", "trade_id", "price", "size", "side")
MAKER_SIDE_TO_AGGRESSOR = {"buy": -1, "sell": 1}
TRADES_CAP = 1000
"""Largest ``limit`` of the trades endpoint."""


class CoinbaseClient(OverHttp):
    """Public trades of the Coinbase Exchange, paged backwards by trade id."""

    name = PROVIDER

    def __init__(
        self,
        base_url: str = "https://api.exchange.coinbase.com",
        *,
        symbol_map: Mapping[str, str] | None = None,
        requests_per_second: float = 8.0,
        page_size: int = 1000,
        max_pages: int = 10_000,
        **http_options: Any,
    ) -> None:
        """``http_options`` go to :class:`HttpClient` (timeout, attempts, backoff, time budget)."""
        if not 1 <= page_size <= TRADES_CAP:
            raise ValueError(f"{PROVIDER}: page_size must be in 1..{TRADES_CAP}")
        self.http = HttpClient(
            PROVIDER,
            base_url,
            requests_per_second=requests_per_second,
            **http_options,
            check=_complete_json,
        )
        self.symbol_map = dict(DEFAULT_SYMBOL_MAP if symbol_map is None else symbol_map)
        self.page_size, self.max_pages = page_size, max_pages

    def product(self, symbol: str) -> str:
        """The Coinbase product id of a universe symbol."""
        try:
            return self.symbol_map[symbol]
        except KeyError:
            known = sorted(self.symbol_map)
            raise ValueError(
                f"{PROVIDER}: no product id for {symbol!r} (mapped: {known})"
            ) from None

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        readers = {Source.CRYPTO_TRADES: self._trades}
        return fetch_per_symbol(PROVIDER, readers, source, start, end, symbols)

    def _trades(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        """Trades before ``hi``, paging back from the newest to the first page before ``lo``."""
        endpoint = f"/products/{self.product(symbol)}/trades"
        params: dict[str, object] = {"limit": self.page_size}
        pages: list[pd.DataFrame] = []
        for fetched in itertools.count():
            if fetched >= self.max_pages:
                raise ProviderError(
                    PROVIDER, endpoint, f"{symbol}: {lo} lies beyond {self.max_pages} pages back"
                )
            response = self.http.get(endpoint, params)
            self.http.stats.pages += 1
            rows = json.loads(response.content)  # already validated by the check hook
            page = records_frame(rows, TRADE_FIELDS, TRADE_FIELDS, PROVIDER, endpoint)
            if page.empty:
                break
            page["ts"] = _times(page["time"], symbol, endpoint)
            pages.append(page[page["ts"] < hi])  # newer pages only lead the way back
            if page["ts"].min() < lo:
                break
            after = response.headers.get("CB-AFTER") or str(page["trade_id"].min())
            params = {"limit": self.page_size, "after": after}
        if not pages:
            return pd.DataFrame()
        wire = pd.concat(pages, ignore_index=True).drop_duplicates("trade_id")
        aggressor = wire["side"].map(MAKER_SIDE_TO_AGGRESSOR)
        if aggressor.isna().any():
            bad = wire["side"][aggressor.isna()].iloc[0]
            raise ProviderError(PROVIDER, endpoint, f"{symbol}: field 'side' holds {bad!r}")
        return pd.DataFrame(
            {
                "ts": wire["ts"],
                "symbol": symbol,
                "price": decimals(wire["price"], "price", PROVIDER, endpoint),
                "size": decimals(wire["size"], "size", PROVIDER, endpoint),
                "trade_id": wire["trade_id"].astype(np.int64),
                "aggressor": aggressor.to_numpy().astype(np.int8),
                "venue": PROVIDER,
            }
        )


def _complete_json(response: requests.Response) -> None:
    """Retry a 200 whose body is not complete JSON (``get`` is used for the cursor header)."""
    if response.status_code == 200:
        try:
            json.loads(response.content)
        except ValueError:
            endpoint = response.request.path_url.split("?")[0] if response.request else "?"
            size = len(response.content)
            raise RetryableError(PROVIDER, endpoint, f"invalid JSON body ({size} bytes)") from None


def _times(values: pd.Series, symbol: str, endpoint: str) -> pd.Series:
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (TypeError, ValueError):
        raise ProviderError(PROVIDER, endpoint, f"{symbol}: field 'time' is not ISO-8601") from None
