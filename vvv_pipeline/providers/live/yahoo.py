"""Yahoo Finance chart client: daily OHLCV bars for stocks, FX pairs and futures.

Wire to canonical (see ``shared/reference/source-apis.md`` section 7): one
``GET /v8/finance/chart/{symbol}?interval=1d&period1=..&period2=..`` per symbol. Bars are
stamped with their *start* in epoch seconds (09:30 New York for stocks, local midnight for FX
in London, ...), and Yahoo's end-exclusivity is unconfirmed, so the request reaches one day
either side of the window and rows are clipped afterwards. Each timestamp is converted to a
calendar date in ``meta.exchangeTimezoneName`` (``gmtoffset`` is only the offset *now*), and
``ts`` is that session date at 00:00 America/New_York, as the canonical schema says.

Values: prices arrive as float32 values widened to double (``427.8699951171875``); they are
restored to the shortest decimal that float32 holds (``427.87``). A bar with any null price
(no trade) is dropped; a null volume is 0 (FX reports none). ``chart.error`` (HTTP 404/422 or
200) is a :class:`ProviderError` naming the symbol, code and description; an empty ``result``
or a result without ``timestamp`` is an empty window. ``asset_class`` comes from the
universe (``load_universe().daily_ohlcv``); the wire's ``instrumentType`` is not relied on.
Dividends, splits and ``adjclose`` (requested with ``events=div,splits``) are read by
:mod:`.yahoo_events`; ``adjclose`` is restored from float32 like the prices.

Requests carry the crumb of Yahoo's cookie/crumb handshake (:mod:`.yahoo_crumb`); a 401 gets
one fresh handshake. Not handled: TLS fingerprinting (section 7 quirks) and the live partial
bar of a session still open; fetch closed sessions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import numpy as np
import pandas as pd
import requests

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.drift import note_unknown_fields, parse_numbers, require
from vvv_pipeline.providers.live.http import HttpClient, OverHttp
from vvv_pipeline.providers.live.venue_frames import utc
from vvv_pipeline.providers.live.yahoo_crumb import CrumbHandshake, CrumbRejected, cookie_url_for
from vvv_pipeline.providers.live.yahoo_events import (
    adjusted_closes,
    dividends,
    session_dates,
    split_ratios,
)
from vvv_pipeline.schemas import DAILY_OHLCV, conform
from vvv_pipeline.universe import ASSET_CLASSES, load_universe

PROVIDER = "yahoo"
BASE_URL = "https://query2.finance.yahoo.com"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
PRICE_FIELDS = ("open", "high", "low", "close")
QUOTE_FIELDS = (*PRICE_FIELDS, "volume")
SIDE_DAYS = pd.Timedelta(days=1)


def chart_endpoint(symbol: str) -> str:
    return f"/v8/finance/chart/{quote(symbol, safe='=')}"


def chart_error_message(symbol: str, error: Any) -> str:
    if isinstance(error, Mapping):
        return f"{symbol}: {error.get('code', '?')}: {error.get('description', '')}".rstrip(": ")
    return f"{symbol}: {error}"


def float32_decimals(values: np.ndarray) -> np.ndarray:
    """Doubles that were float32 values, restored to their shortest decimal (NaN kept).

    numpy prints a float32 as the shortest decimal that round-trips it, so the text form
    drops the binary noise the widening to double added.
    """
    return values.astype(np.float32).astype(str).astype(np.float64)


class YahooClient(OverHttp):
    """Yahoo chart provider; extra keyword options go to :class:`HttpClient`.

    ``asset_classes`` maps chart symbol -> ``equity``/``fx``/``commodity`` (default: the
    universe's daily_ohlcv table). ``crumb=False`` skips the cookie/crumb handshake;
    ``cookie_url`` defaults to Yahoo's cookie host (or the base URL when it is not Yahoo's).
    """

    name = PROVIDER
    sources = (Source.DAILY_OHLCV,)

    def __init__(
        self,
        base_url: str = BASE_URL,
        *,
        asset_classes: Mapping[str, str] | None = None,
        requests_per_second: float = 0.5,
        user_agent: str = USER_AGENT,
        crumb: bool = True,
        cookie_url: str | None = None,
        **http_options: Any,
    ) -> None:
        classes = asset_classes if asset_classes is not None else load_universe().daily_ohlcv
        self.asset_classes = dict(classes)
        self.http = HttpClient(
            PROVIDER,
            base_url,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            requests_per_second=requests_per_second,
            check=self._check,
            **http_options,
        )
        cookies = cookie_url if cookie_url is not None else cookie_url_for(base_url)
        self.handshake = CrumbHandshake(self.http, PROVIDER, cookies) if crumb else None

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        """Daily bars whose session date (00:00 New York) lies in ``[start, end)``."""
        if Source(source) != Source.DAILY_OHLCV:
            raise ValueError(f"{PROVIDER}: does not serve {source!r} (serves daily_ohlcv)")
        lo, hi = utc(start), utc(end)
        wanted = list(dict.fromkeys(symbols))
        unknown = [s for s in wanted if s not in self.asset_classes]
        if unknown:
            raise ValueError(f"{PROVIDER}: no asset class known for symbol(s) {unknown}")
        if hi <= lo or not wanted:
            return DAILY_OHLCV.empty()
        params = {
            "period1": int((lo - SIDE_DAYS).timestamp()),
            "period2": int(np.ceil((hi + SIDE_DAYS).timestamp())),
            "interval": "1d",
            "includePrePost": "false",
            "events": "div,splits",
        }
        pieces = []
        for symbol in wanted:
            endpoint = chart_endpoint(symbol)
            body = self._chart(endpoint, params)
            self.http.stats.pages += 1
            bars = self._bars(body, symbol, endpoint)
            pieces.append(bars.loc[((bars["ts"] >= lo) & (bars["ts"] < hi)).to_numpy()])
        pieces = [piece for piece in pieces if len(piece)]
        if not pieces:
            return DAILY_OHLCV.empty()
        frame = pd.concat(pieces, ignore_index=True).sort_values(["symbol", "ts"], kind="stable")
        return conform(frame, DAILY_OHLCV)

    def _chart(self, endpoint: str, params: dict[str, Any]) -> Any:
        if self.handshake is None:
            return self.http.get_json(endpoint, params)
        try:
            return self.http.get_json(endpoint, params | {"crumb": self.handshake.crumb})
        except CrumbRejected:
            self.handshake.refresh()
            return self.http.get_json(endpoint, params | {"crumb": self.handshake.crumb})

    def _check(self, response: requests.Response) -> None:
        if response.status_code == 401:
            path = urlsplit(response.url).path
            raise CrumbRejected(PROVIDER, path, f"HTTP 401: {response.text[:120].strip()}")
        # A 404/422 carrying chart.error says more than the status: name symbol and reason.
        if response.status_code not in (404, 422):
            return
        try:
            error = json.loads(response.content)["chart"]["error"]
        except (ValueError, KeyError, TypeError):
            return
        if not error:
            return
        path = urlsplit(response.url).path
        symbol = unquote(path.rsplit("/", 1)[-1])
        raise ProviderError(PROVIDER, path, chart_error_message(symbol, error))

    def _bars(self, body: Any, symbol: str, endpoint: str) -> pd.DataFrame:
        chart = require(body, "chart", PROVIDER, endpoint)
        error = chart.get("error") if isinstance(chart, Mapping) else None
        if error:
            raise ProviderError(PROVIDER, endpoint, chart_error_message(symbol, error))
        results = require(chart, "result", PROVIDER, endpoint)
        if not results:
            return DAILY_OHLCV.empty()
        if not isinstance(results, list):
            raise SchemaDriftError(PROVIDER, endpoint, "result", "'chart.result' is not a list")
        result = results[0]
        meta = require(result, "meta", PROVIDER, endpoint)
        zone = require(meta, "exchangeTimezoneName", PROVIDER, endpoint)
        stamps = result.get("timestamp")
        if not stamps:
            return DAILY_OHLCV.empty()
        indicators = require(result, "indicators", PROVIDER, endpoint)
        quotes = require(indicators, "quote", PROVIDER, endpoint)
        if not isinstance(quotes, list) or not quotes:
            raise SchemaDriftError(PROVIDER, endpoint, "quote", "'indicators.quote' is empty")
        note_unknown_fields(quotes[0], QUOTE_FIELDS, PROVIDER, endpoint)
        columns = {}
        for field in QUOTE_FIELDS:
            values = require(quotes[0], field, PROVIDER, endpoint)
            if not isinstance(values, list) or len(values) != len(stamps):
                size = len(values) if isinstance(values, list) else type(values).__name__
                raise SchemaDriftError(
                    PROVIDER, endpoint, field, f"{field!r} has {size} values for {len(stamps)} bars"
                )
            columns[field] = parse_numbers(
                pd.Series(values, dtype=object), field, PROVIDER, endpoint
            )
        seconds = parse_numbers(pd.Series(stamps, dtype=object), "timestamp", PROVIDER, endpoint)
        try:
            sessions = session_dates(seconds, zone)
        except (KeyError, TypeError, ValueError):  # unknown zones raise KeyError subclasses
            raise SchemaDriftError(
                PROVIDER, endpoint, "exchangeTimezoneName", f"unknown time zone {zone!r}"
            ) from None
        priced = ~np.isnan(np.column_stack([columns[f] for f in PRICE_FIELDS])).any(axis=1)
        frame = pd.DataFrame(
            {
                "ts": sessions.tz_localize(EXCHANGE_TZ).tz_convert("UTC"),
                "symbol": symbol,
                "asset_class": pd.Categorical(
                    [self.asset_classes[symbol]] * len(sessions), categories=list(ASSET_CLASSES)
                ),
                **{f: float32_decimals(columns[f]) for f in PRICE_FIELDS},
                "volume": np.nan_to_num(columns["volume"], nan=0.0),
                "dividend": dividends(result, sessions, zone, endpoint),
                "split_ratio": split_ratios(result, sessions, zone, endpoint),
                "adj_close": float32_decimals(
                    adjusted_closes(indicators, columns["close"], endpoint)
                ),
            }
        )
        return frame.loc[priced].reset_index(drop=True)
