"""Bybit's mark price at each open-interest sample, from ``/v5/market/mark-price-kline``.

The open-interest endpoint carries only the open interest, but the canonical row also needs
the mark price and the position value. Bybit publishes the mark price as klines: ``GET
/v5/market/mark-price-kline`` with ``category``, ``symbol``, ``interval`` (minutes as ``5``,
``15``, ``30``, ``60``, ``240``, or ``D``), ``start``/``end`` in ms (both bounds on a candle's
start) and ``limit`` (1..1000 for futures, default 200). Each candle is a list of strings
``[startTime, open, high, low, close]``, newest first; there is no cursor, so older candles
are asked for by moving ``end`` before the oldest one received.

An open-interest sample stamped ``t`` is the position at ``t``; the candle that starts at
``t`` opens with the mark price at ``t``, so its open price is the sample's mark price (the
close of that candle is a later price, or the last trade while the candle is open).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from vvv_pipeline.providers.errors import SchemaDriftError
from vvv_pipeline.providers.live.drift import parse_numbers
from vvv_pipeline.providers.live.venue_frames import MS

MARK_PRICE_KLINE = "/v5/market/mark-price-kline"
KLINE_PAGE_CAP = 1000
"""Largest ``limit`` of the mark-price kline endpoint for futures."""
KLINE_INTERVALS = {"5min": "5", "15min": "15", "30min": "30", "1h": "60", "4h": "240", "1d": "D"}
"""Open-interest ``intervalTime`` -> the kline ``interval`` whose candles start on its samples."""
CANDLE_FIELDS = ("startTime", "openPrice", "highPrice", "lowPrice", "closePrice")

Result = Callable[[str, str], dict[str, Any]]
"""Asks one endpoint with a query string and returns the envelope's checked ``result``."""


def mark_prices(
    result: Result,
    provider: str,
    query: dict[str, Any],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    limit: int = KLINE_PAGE_CAP,
) -> pd.Series:
    """Opening mark price of every candle starting in [lo, hi), indexed by its start (ms).

    ``query`` holds ``category``, ``symbol`` and ``interval``. Pages are walked back from
    ``hi`` until a page is short or reaches ``lo``.
    """
    first, end = lo.value // MS, hi.value // MS - 1
    starts: list[np.ndarray] = []
    opens: list[np.ndarray] = []
    while end >= first:
        page = urlencode({**query, "start": first, "end": end, "limit": limit})
        rows = result(MARK_PRICE_KLINE, page)["list"]
        stamp, price = _candles(rows, provider)
        starts.append(stamp)
        opens.append(price)
        if len(rows) < limit or not len(stamp):
            break
        end = int(stamp.min()) - 1  # the next page ends before the oldest candle received
    index = np.concatenate(starts) if starts else np.array([], dtype=np.int64)
    values = np.concatenate(opens) if opens else np.array([], dtype=np.float64)
    marks = pd.Series(values, index=index)
    return marks[~marks.index.duplicated()].sort_index()


def _candles(rows: list[Any], provider: str) -> tuple[np.ndarray, np.ndarray]:
    """(start ms, open price) of each candle; SchemaDriftError when a candle is not a list of
    five fields."""
    if any(not isinstance(r, list) or len(r) < len(CANDLE_FIELDS) for r in rows):
        bad = next(r for r in rows if not isinstance(r, list) or len(r) < len(CANDLE_FIELDS))
        detail = f"candle {bad!r} is not [{', '.join(CANDLE_FIELDS)}]"
        raise SchemaDriftError(provider, MARK_PRICE_KLINE, "list", detail)
    frame = pd.DataFrame([r[:2] for r in rows], columns=list(CANDLE_FIELDS[:2]), dtype=object)
    stamp = parse_numbers(frame["startTime"], "startTime", provider, MARK_PRICE_KLINE)
    price = parse_numbers(frame["openPrice"], "openPrice", provider, MARK_PRICE_KLINE)
    return stamp.astype(np.int64), price
