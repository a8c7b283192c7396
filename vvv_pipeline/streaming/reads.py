"""The stream's settled rows for the read API, beside the finalized partitions.

``latest_tick`` and ``search_ticks`` (:mod:`vvv_pipeline.read`) take ``include_stream=True``
for ``crypto_trades``: an hour with a stored ``tick_data`` partition is read from it, as
always; an hour without one (not finalized yet: in steady state the current hour and, until
the :05 run, the previous one) is read from the rows the collector has settled in
``tick_stream``. The collector settles every flush (:meth:`.store.StreamStore.publish`), so a
trade is readable here within a flush interval of arriving. Those rows are what the stream
heard: not validated, holes (a reconnect, a killed collector) not filled yet, each aggregate
id once (:func:`.store.unique_trades`). Reads never settle or write anything.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.streaming.finalize import to_canonical
from vvv_pipeline.streaming.store import HOUR_MS, StreamStore, unique_trades

HOUR = pd.Timedelta(milliseconds=HOUR_MS)


def _start(key: str) -> pd.Timestamp:
    return pd.Timestamp(pd.to_datetime(key, format="%Y-%m-%d-%H:%M"), tz="UTC")


def unfinalized_hours(stream: StreamStore, symbol: str, finalized: Collection[str]) -> list[str]:
    """Keys of the hours the stream settled for ``symbol`` that have no stored partition."""
    done = set(finalized)
    return [key for key in stream.settled_hours(symbol) if key not in done]


def latest_streamed(
    stream: StreamStore,
    symbol: str,
    cutoff: pd.Timestamp | None,
    finalized: Collection[str],
    venue: str,
) -> pd.DataFrame | None:
    """The last streamed trade with ``ts <= cutoff`` in an unfinalized hour, as a one-row
    canonical frame (the highest aggregate id at that time), or None."""
    for key in reversed(unfinalized_hours(stream, symbol, finalized)):
        start = _start(key)
        if cutoff is not None and start > cutoff:
            continue
        rows = stream.last_settled(symbol, key, cutoff)
        if len(rows):
            last = rows.iloc[[int(np.argmax(rows["trade_id"].to_numpy()))]]
            ts = last.index[0]
            return to_canonical({symbol: last}, [symbol], ts, ts + pd.Timedelta(1, "ns"), venue)
    return None


def streamed_between(
    stream: StreamStore,
    symbol: str,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    finalized: Collection[str],
    venue: str,
) -> pd.DataFrame:
    """Canonical streamed trades with ``lo <= ts < hi`` in the unfinalized hours."""
    pieces = []
    for key in unfinalized_hours(stream, symbol, finalized):
        start = _start(key)
        if start >= hi or start + HOUR <= lo:
            continue
        # the read's date_range is inclusive at both ends: stop a nanosecond before ``hi``
        pieces.append(stream.settled(symbol, key, max(lo, start), hi - pd.Timedelta(1, "ns")))
    rows = unique_trades(pd.concat(pieces)) if pieces else None
    return to_canonical({symbol: rows} if rows is not None else {}, [symbol], lo, hi, venue)
