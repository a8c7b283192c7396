"""FRED client: economic series observations, stamped with their release time.

Wire to canonical (see ``shared/reference/source-apis.md`` section 6): one
``GET /fred/series/observations`` per series with ``file_type=json``, offset-paged
(``offset += len(page)`` while ``offset < count``), with ``output_type=4`` (initial release
only), so each observation comes back once. FRED's real-time period is closed at both ends
and every row's ``realtime_start`` is clipped to the requested start: a value first published
before the period comes back stamped with the period's first day (the documentation's own
GNPCA example shows 1929's value with ``realtime_start`` = the request day). So the request
starts one day *before* the window's first New York date, and only rows whose
``realtime_start`` falls on a window date are kept: a clipped row carries the day before and
is dropped, while a value truly first published on the window's first day keeps that date.
``value`` is a string; ``"."`` is NaN.

How ``ts`` is derived: FRED carries release *dates*, not times, so ``ts`` is ``realtime_start``
at the series' usual New York release clock (:data:`RELEASE_CLOCKS`, falling back to
:data:`DEFAULT_CLOCKS` by frequency), converted to UTC (DST-exact). The clocks are those of the
agencies' calendars, and the same the simulated market uses: Treasury yields (H.15) and the
monthly fed funds average at 16:15, BLS CPI and the Employment Situation at 08:30, other
monthly series at 10:00. Rows are then clipped to ``start <= ts < end``. ``frequency`` comes
from the universe (``load_universe().economic``); the wire does not carry it.

The API key only travels as the ``api_key`` query parameter (FRED accepts nothing else); it is
handed to the HTTP layer as a secret parameter, which masks it in every message and log line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import requests

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, RetryableError
from vvv_pipeline.providers.live.drift import parse_numbers, parse_times, records_frame, require
from vvv_pipeline.providers.live.http import HttpClient, OverHttp
from vvv_pipeline.providers.live.venue_frames import utc
from vvv_pipeline.schemas import ECONOMIC_SERIES, conform
from vvv_pipeline.universe import FREQUENCIES, load_universe

PROVIDER = "fred"
BASE_URL = "https://api.stlouisfed.org"
ENDPOINT = "/fred/series/observations"
MISSING = "."
RELEASE_CLOCKS = {"CPIAUCSL": "08:30", "UNRATE": "08:30", "FEDFUNDS": "16:15"}
"""New York release time of series whose agency publishes off the frequency's default."""
DEFAULT_CLOCKS = {"daily": "16:15", "monthly": "10:00"}
OBSERVATION_FIELDS = ("realtime_start", "date", "value")
OBSERVATION_KNOWN = (*OBSERVATION_FIELDS, "realtime_end")


def release_clock(series: str, frequency: str, overrides: Mapping[str, str] | None = None) -> str:
    """The ``HH:MM`` New York time at which ``series`` is released."""
    clocks = {**RELEASE_CLOCKS, **(overrides or {})}
    return clocks.get(series, DEFAULT_CLOCKS[frequency])


def _label(series: str) -> str:
    # Names the series in parse errors; never the query string (it carries the key).
    return f"{ENDPOINT}?series_id={series}"


class FredClient(OverHttp):
    """Real FRED provider; extra keyword options go to :class:`HttpClient`.

    ``frequencies`` maps series id -> ``daily``/``monthly`` (default: the universe);
    ``release_clocks`` overrides :data:`RELEASE_CLOCKS`; ``observation_lookback_days`` bounds
    ``observation_start`` (a release publishes observations at most that old).
    """

    name = PROVIDER
    sources = (Source.ECONOMIC_SERIES,)

    def __init__(
        self,
        base_url: str = BASE_URL,
        *,
        api_key: str,
        frequencies: Mapping[str, str] | None = None,
        release_clocks: Mapping[str, str] | None = None,
        page_size: int = 100_000,
        observation_lookback_days: int = 120,
        requests_per_second: float = 2.0,
        unregistered_key_pause: float = 5.0,
        max_pages: int = 1_000,
        **http_options: Any,
    ) -> None:
        if not api_key:
            raise ValueError("fred: a non-empty api_key is required")
        if not 1 <= page_size <= 100_000:
            raise ValueError(f"fred: page_size must be in 1..100000, got {page_size}")
        self.frequencies = dict(
            frequencies if frequencies is not None else load_universe().economic
        )
        self.release_clocks = dict(release_clocks or {})
        self.page_size = page_size
        self.lookback = pd.Timedelta(days=observation_lookback_days)
        self.unregistered_key_pause = unregistered_key_pause
        self.max_pages = max_pages
        self._key_retry_spent = False
        self.http = HttpClient(
            PROVIDER,
            base_url,
            headers={"Accept": "application/json"},
            requests_per_second=requests_per_second,
            check=self._check,
            secret_params={"api_key": api_key},
            **http_options,
        )

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        """Observations released in ``[start, end)`` for the series in ``symbols``."""
        if Source(source) != Source.ECONOMIC_SERIES:
            raise ValueError(f"{PROVIDER}: does not serve {source!r} (serves economic_series)")
        lo, hi = utc(start), utc(end)
        wanted = list(dict.fromkeys(symbols))
        unknown = [s for s in wanted if s not in self.frequencies]
        if unknown:
            raise ValueError(f"{PROVIDER}: no frequency known for series {unknown}")
        if hi <= lo or not wanted:
            return ECONOMIC_SERIES.empty()
        first = lo.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
        last = (hi - pd.Timedelta(1)).tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
        pieces = []
        for series in wanted:
            records = self._observations(series, first, last)
            frame = self._series_frame(records, series, first, last) if records else None
            if frame is not None and len(frame):
                pieces.append(frame)
        if not pieces:
            return ECONOMIC_SERIES.empty()
        frame = pd.concat(pieces, ignore_index=True)
        frame = frame.loc[((frame["ts"] >= lo) & (frame["ts"] < hi)).to_numpy()]
        frame = frame.sort_values(["symbol", "ts", "observation_date"], kind="stable")
        return conform(frame, ECONOMIC_SERIES) if len(frame) else ECONOMIC_SERIES.empty()

    def _check(self, response: requests.Response) -> None:
        # FRED sometimes rejects valid keys as "not registered" under load: one delayed retry.
        if response.status_code == 400 and b"not registered" in response.content:
            endpoint = urlsplit(response.url).path
            if self._key_retry_spent:
                raise ProviderError(
                    PROVIDER, endpoint, "api_key rejected as not registered (retried once)"
                )
            self._key_retry_spent = True
            raise RetryableError(
                PROVIDER,
                endpoint,
                "api_key reported as not registered",
                retry_after=self.unregistered_key_pause,
            )
        if response.status_code < 400:
            self._key_retry_spent = False

    def _observations(self, series: str, first: pd.Timestamp, last: pd.Timestamp) -> list[Any]:
        params = {
            "series_id": series,
            "file_type": "json",
            # a day early, so a row clipped to the period start is told apart (module docstring)
            "realtime_start": f"{first - pd.Timedelta(days=1):%Y-%m-%d}",
            "realtime_end": f"{last:%Y-%m-%d}",
            "observation_start": f"{first - self.lookback:%Y-%m-%d}",
            "observation_end": f"{last:%Y-%m-%d}",
            "output_type": 4,
            "sort_order": "asc",
            "limit": self.page_size,
        }
        records: list[Any] = []
        for _ in range(self.max_pages):
            body = self.http.get_json(ENDPOINT, {**params, "offset": len(records)})
            self.http.stats.pages += 1
            page = require(body, "observations", PROVIDER, _label(series))
            count = require(body, "count", PROVIDER, _label(series))
            if not isinstance(page, list) or not isinstance(count, int):
                raise ProviderError(
                    PROVIDER, _label(series), "'observations' must be a list, 'count' an integer"
                )
            records.extend(page)
            if not page or len(records) >= count:
                return records
        raise ProviderError(PROVIDER, _label(series), f"stopped after max_pages={self.max_pages}")

    def _series_frame(
        self, records: list[Any], series: str, first: pd.Timestamp, last: pd.Timestamp
    ) -> pd.DataFrame:
        label = _label(series)
        raw = records_frame(records, OBSERVATION_FIELDS, OBSERVATION_KNOWN, PROVIDER, label)
        released = parse_times(raw["realtime_start"], "realtime_start", PROVIDER, label)
        released = released.dt.tz_localize(None)
        # rows clipped to the requested start (a day before ``first``) were published earlier
        fresh = ((released >= first) & (released <= last)).to_numpy()
        raw = raw.loc[fresh].reset_index(drop=True)
        released = released.loc[fresh].reset_index(drop=True)
        value = raw["value"].where(raw["value"].astype(str) != MISSING)
        frequency = self.frequencies[series]
        clock = pd.Timedelta(release_clock(series, frequency, self.release_clocks) + ":00")
        ts = (released + clock).dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
        observed = parse_times(raw["date"], "date", PROVIDER, label).dt.tz_localize(None)
        return pd.DataFrame(
            {
                "ts": ts,
                "symbol": np.full(len(raw), series, dtype=object),
                "observation_date": observed,
                "value": parse_numbers(value, "value", PROVIDER, label),
                "frequency": pd.Categorical(
                    np.full(len(raw), frequency, dtype=object), categories=list(FREQUENCIES)
                ),
            }
        )
