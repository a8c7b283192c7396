"""Unusual Whales client: dark-pool prints, options-flow alerts and news headlines.

Wire to canonical (see ``shared/reference/source-apis.md`` section 1):

- ``darkpool_prints`` from ``GET /api/darkpool/{ticker}``, one ``date`` per New York session
  of the window, paged backwards with ``older_than`` (unix ms). ``executed_at`` has whole
  seconds, so pages overlap by one second and rows are deduplicated on (tracking_id,
  executed_at, price, size). ``print_id`` is ``tracking_id``; where that is 0 or repeated (the
  API does not promise uniqueness) it is replaced by a stable hash of the row's key.
  Canceled prints are dropped.
- ``options_flow`` from ``GET /api/option-trades/flow-alerts`` for all symbols at once, paged
  backwards on ``created_at`` (microseconds) and deduplicated on ``id`` (an alert without one,
  as in UW's documented examples, is named by a stable hash of ticker, contract, time and rule);
  ``ts`` is ``created_at``, ``size`` is ``total_size``, premiums are the ``total_*`` fields.
- ``news_headlines`` from ``GET /api/news/headlines``, offset-paged (``page`` from 0) from
  the newest headline back to the window start; one row per (headline, ticker in
  ``symbols``). The wire has no headline id and no sentiment score: ``headline_id`` is a
  stable hash of (created_at, headline, source) and ``sentiment_score`` is NaN.

Rate limits (section 1.5): a 429 whose usage headers show the daily count at the token's cap
is :class:`QuotaExhaustedError` (no retry, and no further request from this client until the
20:00 New York reset); any other 429 waits ``Retry-After`` or ``x-uw-req-per-minute-reset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import requests

from vvv_pipeline.calendars import EXCHANGE_TZ, sessions_between
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, QuotaExhaustedError, RetryableError
from vvv_pipeline.providers.live.drift import parse_times, require
from vvv_pipeline.providers.live.http import HttpClient, OverHttp, parse_retry_after
from vvv_pipeline.providers.live.unusual_whales_records import (
    PROVIDER,
    darkpool_frame,
    empty_frame,
    finish,
    flow_frame,
    news_frame,
)
from vvv_pipeline.providers.live.venue_frames import utc

BASE_URL = "https://api.unusualwhales.com"
PAGE_CAPS = {Source.DARKPOOL_PRINTS: 500, Source.OPTIONS_FLOW: 200, Source.NEWS_HEADLINES: 100}
"""Largest ``limit`` of each endpoint (section 1 of the wire reference)."""
QUOTA_RESET_CLOCK = "20:00"


def _ms(stamp: pd.Timestamp) -> int:
    return int(stamp.value // 1_000_000)


def _header_int(response: requests.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def next_quota_reset(now: pd.Timestamp) -> pd.Timestamp:
    """The next 20:00 America/New_York after ``now`` (when the daily counter resets)."""
    local = now.tz_convert(EXCHANGE_TZ)
    reset = local.normalize() + pd.Timedelta(QUOTA_RESET_CLOCK + ":00")
    return (reset if reset > local else reset + pd.Timedelta(days=1)).tz_convert("UTC")


class UnusualWhalesClient(OverHttp):
    """Real Unusual Whales provider; extra keyword options go to :class:`HttpClient`."""

    name = PROVIDER
    sources = (Source.DARKPOOL_PRINTS, Source.OPTIONS_FLOW, Source.NEWS_HEADLINES)

    def __init__(
        self,
        base_url: str = BASE_URL,
        *,
        token: str,
        darkpool_page_size: int = 500,
        flow_page_size: int = 200,
        news_page_size: int = 100,
        requests_per_second: float = 1.5,
        minute_reset_pad: float = 0.2,
        max_pages: int = 10_000,
        **http_options: Any,
    ) -> None:
        if not token:
            raise ValueError("unusual_whales: a non-empty API token is required")
        self.page_sizes = {
            Source.DARKPOOL_PRINTS: darkpool_page_size,
            Source.OPTIONS_FLOW: flow_page_size,
            Source.NEWS_HEADLINES: news_page_size,
        }
        for source, size in self.page_sizes.items():
            if not 1 <= size <= PAGE_CAPS[source]:
                raise ValueError(
                    f"unusual_whales: {source.value} page size must be in 1..{PAGE_CAPS[source]}"
                )
        self.minute_reset_pad = minute_reset_pad
        self.max_pages = max_pages
        self.quota_blocked_until: pd.Timestamp | None = None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.http = HttpClient(
            PROVIDER,
            base_url,
            headers=headers,
            requests_per_second=requests_per_second,
            check=self._check,
            **http_options,
        )

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        """Rows of ``source`` with ``start <= ts < end`` for ``symbols``, canonical schema."""
        src = Source(source)
        if src not in self.sources:
            raise ValueError(f"{PROVIDER}: does not serve {src.value!r} (serves {self.sources})")
        lo, hi = utc(start), utc(end)
        wanted = list(dict.fromkeys(symbols))
        if hi <= lo or not wanted:
            return empty_frame(src)
        self._refuse_if_quota_spent()
        if src == Source.DARKPOOL_PRINTS:
            frame = self._darkpool(wanted, lo, hi)
        elif src == Source.OPTIONS_FLOW:
            frame = self._flow(wanted, lo, hi)
        else:
            frame = self._news(wanted, lo, hi)
        return frame

    # -- rate limits -------------------------------------------------------------------------

    def _check(self, response: requests.Response) -> None:
        if response.status_code != 429:
            return
        endpoint = urlsplit(response.url).path
        used = _header_int(response, "x-uw-daily-req-count")
        cap = _header_int(response, "x-uw-token-req-limit")
        if used is not None and cap is not None and used >= cap:
            self.quota_blocked_until = next_quota_reset(pd.Timestamp.now(tz="UTC"))
            raise QuotaExhaustedError(
                PROVIDER,
                endpoint,
                f"daily request quota exhausted ({used} of {cap} used); no further requests "
                f"until the reset at {self.quota_blocked_until:%Y-%m-%d %H:%M} UTC",
            )
        wait = parse_retry_after(response.headers.get("Retry-After"))
        reset_ms = _header_int(response, "x-uw-req-per-minute-reset")
        if wait is None and reset_ms is not None:
            wait = reset_ms / 1000.0 + self.minute_reset_pad
        raise RetryableError(
            PROVIDER, endpoint, "per-minute rate limit (HTTP 429)", retry_after=wait
        )

    def _refuse_if_quota_spent(self) -> None:
        blocked = self.quota_blocked_until
        if blocked is not None and pd.Timestamp.now(tz="UTC") < blocked:
            raise QuotaExhaustedError(
                PROVIDER, "(any)", f"daily quota exhausted earlier; blocked until {blocked} UTC"
            )

    # -- paging ------------------------------------------------------------------------------

    def _page(self, endpoint: str, params: dict[str, Any]) -> list[Any]:
        body = self.http.get_json(endpoint, params)
        self.http.stats.pages += 1
        data = require(body, "data", PROVIDER, endpoint)
        if not isinstance(data, list):
            raise ProviderError(PROVIDER, endpoint, f"'data' is not a list: {type(data).__name__}")
        return data

    def _walk_back(
        self,
        endpoint: str,
        params: dict[str, Any],
        time_field: str,
        overlap_ms: int,
        lo: pd.Timestamp,
        hi: pd.Timestamp,
    ) -> list[Any]:
        """Records newest first, paging ``older_than`` back until a short page or ``lo``."""
        limit = params["limit"]
        older, records = _ms(hi), []
        for _ in range(self.max_pages):
            page = self._page(endpoint, {**params, "older_than": older, "newer_than": _ms(lo) - 1})
            records.extend(page)
            if len(page) < limit:
                return records
            times = parse_times(
                pd.Series([r.get(time_field) for r in page]), time_field, PROVIDER, endpoint
            )
            oldest = int(times.min().value // 1_000_000)
            if oldest < _ms(lo):
                return records
            if oldest + overlap_ms >= older:
                raise ProviderError(
                    PROVIDER,
                    endpoint,
                    f"cannot page: more than {limit} records share {time_field} at ms {oldest}",
                )
            older = oldest + overlap_ms
        raise ProviderError(PROVIDER, endpoint, f"stopped after max_pages={self.max_pages}")

    # -- sources -----------------------------------------------------------------------------

    def _darkpool(self, symbols: list[str], lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        first = lo.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
        last = (hi - pd.Timedelta(1)).tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
        limit = self.page_sizes[Source.DARKPOOL_PRINTS]
        pieces = []
        for ticker in symbols:
            endpoint = f"/api/darkpool/{ticker}"
            for day in sessions_between(first, last):
                params = {"date": f"{day:%Y-%m-%d}", "limit": limit}
                records = self._walk_back(endpoint, params, "executed_at", 1_000, lo, hi)
                if records:
                    pieces.append(darkpool_frame(records, endpoint))
        return finish(Source.DARKPOOL_PRINTS, pieces, lo, hi, symbols, ["print_id"])

    def _flow(self, symbols: list[str], lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        endpoint = "/api/option-trades/flow-alerts"
        params = {"ticker_symbol": ",".join(symbols), "limit": self.page_sizes[Source.OPTIONS_FLOW]}
        records = self._walk_back(endpoint, params, "created_at", 1, lo, hi)
        pieces = [flow_frame(records, endpoint)] if records else []
        return finish(Source.OPTIONS_FLOW, pieces, lo, hi, symbols, ["alert_id"])

    def _news(self, symbols: list[str], lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        endpoint = "/api/news/headlines"
        limit = self.page_sizes[Source.NEWS_HEADLINES]
        records: list[Any] = []
        for page_number in range(self.max_pages):
            page = self._page(endpoint, {"limit": limit, "page": page_number})
            records.extend(page)
            if len(page) < limit:
                break
            times = parse_times(
                pd.Series([r.get("created_at") for r in page]), "created_at", PROVIDER, endpoint
            )
            if times.min() < lo:
                break
        else:
            raise ProviderError(PROVIDER, endpoint, f"stopped after max_pages={self.max_pages}")
        pieces = [news_frame(records, endpoint, symbols)] if records else []
        return finish(Source.NEWS_HEADLINES, pieces, lo, hi, symbols, ["headline_id"])
