"""The streams' settled rows for the read API, beside the finalized partitions.

``latest_tick`` and ``search_ticks`` (:mod:`vvv_pipeline.read`) take ``include_stream=True``
for ``crypto_trades`` and ``equity_ticks``. A stream keeps its rows per symbol and UTC hour; an
hour whose partition is stored in ``tick_data`` is read from the partition, as always, and an
hour whose partition is not (not finalized yet) from the rows the collector has settled in
``tick_stream``:

- ``crypto_trades`` (the configured venue's stream): the hour's own partition. In steady state
  the current hour and, until the :05 run, the previous one come from the stream.
- ``equity_ticks`` (IQFeed's Level 1 stream): the session partition of the hour's New York date
  (no UTC hour straddles New York midnight). Today's session comes from the stream until the
  session run stores it.

The collector settles every flush (:meth:`.store.StreamStore.publish`), so a trade is readable
here within a flush interval of arriving. Those rows are what the stream heard: not validated,
holes (a reconnect, a killed collector) not filled yet, each trade id once
(:func:`.store.unique_rows`, the streamed copy before a catch-up's). Reads never settle or
write anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.streaming.finalize import to_canonical
from vvv_pipeline.streaming.iqfeed_l1 import VENUE as IQFEED
from vvv_pipeline.streaming.iqfeed_l1 import canonical_ticks
from vvv_pipeline.streaming.store import HOUR_MS, StreamStore, hour_start, unique_rows

HOUR = pd.Timedelta(milliseconds=HOUR_MS)
LIVE_SOURCES = ("crypto_trades", "equity_ticks")


@dataclass(frozen=True)
class LiveStream:
    """One source's stream as the read API sees it: where its rows are, which partition each
    of its hours belongs to, and its rows as the source's canonical frame."""

    store: StreamStore
    source: str
    venue: str

    @classmethod
    def of(cls, uri: str, source: str, crypto_venue: str) -> LiveStream:
        """``source``'s stream: ``crypto_venue``'s for crypto trades, IQFeed's for equities."""
        if source not in LIVE_SOURCES:
            raise ValueError(
                f"include_stream applies to {' and '.join(LIVE_SOURCES)} only, not {source!r}"
            )
        venue = crypto_venue if source == "crypto_trades" else IQFEED
        return cls(StreamStore.for_venue(uri, venue), source, venue)

    def partition_of(self, hour: str) -> str:
        """The key of the partition that finalizes the stream's hour ``hour``."""
        if self.source == "crypto_trades":
            return hour
        return hour_start(hour).tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d")

    def canonical(
        self, symbol: str, rows: pd.DataFrame | None, lo: pd.Timestamp, hi: pd.Timestamp
    ) -> pd.DataFrame:
        """Settled rows of ``symbol`` (``ts``-indexed, in time order) as canonical rows."""
        if self.source == "crypto_trades":
            return to_canonical(
                {symbol: rows} if rows is not None else {}, [symbol], lo, hi, self.venue
            )
        if rows is None or rows.empty:
            return SOURCE_SCHEMAS["equity_ticks"].empty()
        return canonical_ticks(rows, symbol)


def unfinalized_hours(stream: LiveStream, symbol: str, finalized: Collection[str]) -> list[str]:
    """Keys of the hours the stream settled for ``symbol`` whose partition is not stored."""
    done = set(finalized)
    return [
        key for key in stream.store.settled_hours(symbol) if stream.partition_of(key) not in done
    ]


def latest_streamed(
    stream: LiveStream, symbol: str, cutoff: pd.Timestamp | None, finalized: Collection[str]
) -> pd.DataFrame | None:
    """The last streamed trade with ``ts <= cutoff`` in an unfinalized hour, as a one-row
    canonical frame (the highest trade id at that time), or None."""
    for key in reversed(unfinalized_hours(stream, symbol, finalized)):
        start = hour_start(key)
        if cutoff is not None and start > cutoff:
            continue
        rows = stream.store.last_settled(symbol, key, cutoff)
        if len(rows):
            last = rows.iloc[[int(np.argmax(rows["trade_id"].to_numpy()))]]
            ts = last.index[0]
            return stream.canonical(symbol, last, ts, ts + pd.Timedelta(1, "ns"))
    return None


def streamed_between(
    stream: LiveStream,
    symbol: str,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    finalized: Collection[str],
) -> pd.DataFrame:
    """Canonical streamed trades with ``lo <= ts < hi`` in the unfinalized hours."""
    pieces = []
    for key in unfinalized_hours(stream, symbol, finalized):
        start = hour_start(key)
        if start >= hi or start + HOUR <= lo:
            continue
        # the read's date_range is inclusive at both ends: stop a nanosecond before ``hi``
        pieces.append(stream.store.settled(symbol, key, max(lo, start), hi - pd.Timedelta(1, "ns")))
    rows = unique_rows(pd.concat(pieces)) if pieces else None
    return stream.canonical(symbol, rows, lo, hi)
