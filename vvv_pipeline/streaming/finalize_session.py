"""An ``equity_ticks`` session from IQFeed's stream, the spans its coverage misses filled from
IQFeed's history.

The session partition is the New York day ``[lo, hi)``; the stream keeps it as UTC hours (no
hour straddles New York midnight). Per symbol, the settled rows of those hours are kept (one row
per ``trade_id``, the streamed copy first) and every span of the day the collector's coverage
does not vouch for (:mod:`.coverage`: a collector started mid-day, a restart whose resync could
not reach back, the time before the first resync) is asked of the Lookup socket, keeping only
the ids the stream lacks. The day's rows are then exactly what a fetch of the day returns
(:func:`~vvv_pipeline.providers.live.iqfeed.finish_ticks`), each with its origin counted. A
symbol that streamed nothing is one span, the whole day: the fetch it would have been.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.providers.live.iqfeed import finish_ticks
from vvv_pipeline.streaming.coverage import Interval
from vvv_pipeline.streaming.finalize import ORIGINS, FinalizedHour, RestWindow, complete_covered
from vvv_pipeline.streaming.iqfeed_l1 import canonical_ticks, staged_from_ticks, staged_rows
from vvv_pipeline.streaming.store import StreamStore, hour_start


def streamed_hours(
    store: StreamStore, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp
) -> list[str]:
    """Keys of the symbol's settled hours in ``[lo, hi)`` (a listing: no rows are read)."""
    return [key for key in store.settled_hours(symbol) if lo <= hour_start(key) < hi]


def streamed_day(
    store: StreamStore, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp
) -> pd.DataFrame:
    """The symbol's settled rows of the hours in ``[lo, hi)``, in time order."""
    pieces = [store.settled(symbol, key) for key in streamed_hours(store, symbol, lo, hi)]
    pieces = [piece for piece in pieces if len(piece)]
    return pd.concat(pieces) if pieces else staged_rows([], 0)


def finalize_session(
    store: StreamStore,
    history: RestWindow,
    symbols: Sequence[str],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    coverage: Mapping[str, Sequence[Interval]],
) -> FinalizedHour:
    """The day's canonical ``equity_ticks`` from the stream plus the history of its holes."""
    out = FinalizedHour(pd.DataFrame(), dict.fromkeys(ORIGINS.values(), 0))
    pieces = []
    for symbol in symbols:
        streamed = streamed_day(store, symbol, lo, hi)
        if len(streamed):
            out.streamed_symbols.append(symbol)
        covered = coverage.get(symbol, [])
        rows, requests = complete_covered(
            symbol, streamed, lo, hi, covered, history, staged=staged_from_ticks
        )
        out.rest_requests += requests
        origins = np.bincount(rows["origin"].to_numpy(), minlength=len(ORIGINS))
        for code, label in ORIGINS.items():
            out.rows_by_origin[label] += int(origins[code])
        pieces.append(canonical_ticks(rows, symbol))
    out.frame = finish_ticks(pieces, symbols, lo, hi)
    return out
