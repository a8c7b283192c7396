"""Deleting a stream's hours once their partitions are stored, after a retention.

A stream's hour is redundant once the partition that covers it is stored (a ``crypto_trades``
hour finalized from it, or the ``equity_ticks`` session of its New York date) and readers take
the partition instead (:mod:`.reads`). The runs that store those partitions delete each
symbol's streamed hours older than the newest partition they stored by more than
``VVV_STREAM_RETENTION_HOURS``, and only those whose partition is stored: an hour no partition
covers keeps its stream, whatever its age, since the stream may be all there is of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import pandas as pd

from vvv_pipeline.streaming.reads import LiveStream
from vvv_pipeline.streaming.store import hour_key


def prune_stored_hours(
    stream: LiveStream,
    symbols: Sequence[str],
    newest: pd.Timestamp,
    retention: pd.Timedelta,
    stored: Callable[[str], Collection[str]],
) -> int:
    """Delete, per symbol, the streamed hours that start more than ``retention`` before
    ``newest`` and whose partition is in ``stored(symbol)`` (asked only when there are such
    hours); how many were deleted. A retention of zero keeps everything."""
    if retention <= pd.Timedelta(0):
        return 0
    before = hour_key((newest - retention).value // 1_000_000)
    pruned = 0
    for symbol in symbols:

        def finalized(symbol: str = symbol) -> Collection[str]:
            return stored(symbol)

        pruned += len(stream.store.prune(symbol, before, finalized, stream.partition_of))
    return pruned
