"""Staged segments of the stream in ArcticDB, and what the stream holds of an hour.

The collector stages each flush with ``Library.stage`` (arcticdb 6: the staged-write API that
replaces ``write(..., staged=True)``): staged segments are invisible to every read until a
``finalize_staged_data`` / ``sort_and_finalize_staged_data`` makes them a version, and many
processes may stage to one symbol at once. Segments go to their own library, ``tick_stream``,
under the tick store's names (``crypto/BTCUSDT/2026-11-20-13:00``, the UTC hour of each trade),
so nothing staged ever reaches a ``tick_data`` partition: only the hourly asset writes those,
through the usual validated write, from what :meth:`StreamStore.hour` returns.

:meth:`StreamStore.settle` turns an hour's staged segments into the ``tick_stream`` symbol's
next version with ``sort_and_finalize_staged_data`` (segments may arrive out of order and
overlap: a gap's backfill lands after the rows that follow it). New rows later than all the
settled ones are appended; rows that reach back into them (a late backfill, a restarted
collector's overlap) make the symbol be rewritten as the union of both. Repeats are dropped
when read (:func:`unique_rows`): settling never loses a row, reading never shows one twice.

Each append adds a row slice to the hour's symbol, and reads and rewrites the index of all its
slices: settled at every flush (ten a second), an hour would end with 36,000 slices a pair, a
publish taking ten times as long as on a fresh symbol or more, and the process's memory growing
with the slices. So every :data:`COMPACT_EVERY` versions a settle compacts the symbol
(``Library.compact_data``): slices far from :data:`COMPACT_ROWS` rows are merged (or split) to
about that many, the rows and their order unchanged.

On a local (``lmdb://``) store staging and settling take the library's file lock
(:func:`~vvv_pipeline.storage.arctic.library_lock`), so a settle never races a stage; on object
storage ArcticDB's own staging semantics apply (settle finalizes what it finds staged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import arcticdb as adb
import numpy as np
import pandas as pd
from arcticdb.exceptions import SortingException, UnsortedDataException
from arcticdb.version_store.library import StagedDataFinalizeMethod

from vvv_pipeline.storage.arctic import library_for, library_lock, partition_symbol
from vvv_pipeline.streaming.binance_ws import empty_staged
from vvv_pipeline.streaming.bybit_tickers import empty_staged_oi
from vvv_pipeline.streaming.coverage import Interval

STREAM_LIBRARY = "tick_stream"
ASSET_CLASS = "crypto"
VENUE_PREFIXES = {"binance": ASSET_CLASS, "bybit": "crypto_bybit", "iqfeed": "equity"}
"""Name prefix of each venue's stream in ``tick_stream``: Binance's is the tick store's own
(``crypto/BTCUSDT/<hour>``, what the hourly finalization reads); other venues name theirs
(IQFeed's equity ticks: ``equity/AAPL/<UTC hour>``, hours even though equity partitions are
sessions: a session's finalization reads the hours it spans)."""
OPEN_INTEREST_PREFIXES = {"bybit": "crypto_bybit_oi", "binance": "crypto_binance_oi"}
"""Name prefix of each venue's open-interest stream (Bybit's ticker states,
:mod:`.bybit_tickers`; Binance's polls, :mod:`.binance_oi`)."""
HOUR_MS = 3_600_000
COMPACT_EVERY = 20
"""Every this many versions of an hour's symbol (one a settle: two seconds of the default
flush), its row slices are compacted."""
COMPACT_ROWS = 5_000
"""Rows per compacted slice (ArcticDB keeps each within a third of it): few enough that a
compaction rewrites little (the slices appended since the last one, at most one before them)
and its buffers stay small, enough that an hour of 5,000 trades a second on three pairs holds
some 1,200 slices a pair."""


@dataclass(frozen=True)
class StagedRows:
    """What a stream's staged rows are: the column that tells two rows apart at one time
    (a trade's id, a ticker state's cross sequence) and an empty segment of their columns."""

    id_column: str
    empty: Callable[[], pd.DataFrame]


TRADES = StagedRows("trade_id", empty_staged)
OPEN_INTEREST = StagedRows("seq", empty_staged_oi)


def hour_key(ms: int) -> str:
    """The hourly partition key (UTC) of a time in epoch milliseconds."""
    return pd.Timestamp(ms - ms % HOUR_MS, unit="ms", tz="UTC").strftime("%Y-%m-%d-%H:%M")


def hour_start(key: str) -> pd.Timestamp:
    """The UTC start of an hourly partition key (the inverse of :func:`hour_key`)."""
    return pd.Timestamp(pd.to_datetime(key, format="%Y-%m-%d-%H:%M"), tz="UTC")


def unique_rows(frame: pd.DataFrame, id_column: str = TRADES.id_column) -> pd.DataFrame:
    """One row per id (the streamed copy over a backfilled one), by (ts, id)."""
    if frame.empty:
        return frame
    ids = frame[id_column].to_numpy()
    order = np.lexsort((frame["origin"].to_numpy(), ids))
    first = np.ones(len(order), dtype=bool)
    first[1:] = ids[order][1:] != ids[order][:-1]
    kept = frame.iloc[order[first]]
    return kept.iloc[np.lexsort((kept[id_column].to_numpy(), kept.index.asi8))]


class StreamStore:
    """Stage, settle and read one asset class's streamed rows (trades, or open-interest
    states with ``rows=OPEN_INTEREST``) on one ArcticDB URI."""

    def __init__(
        self,
        uri: str,
        asset_class: str = ASSET_CLASS,
        library: str = STREAM_LIBRARY,
        rows: StagedRows = TRADES,
        *,
        compact_every: int = COMPACT_EVERY,
        compact_rows: int = COMPACT_ROWS,
    ) -> None:
        self.uri, self.asset_class, self.library_name = uri, asset_class, library
        self.rows = rows
        self.compact_every, self.compact_rows = compact_every, compact_rows

    @classmethod
    def for_venue(cls, uri: str, venue: str) -> StreamStore:
        if venue not in VENUE_PREFIXES:
            raise ValueError(f"no stream for venue {venue!r}; streams: {list(VENUE_PREFIXES)}")
        return cls(uri, VENUE_PREFIXES[venue])

    @classmethod
    def open_interest(cls, uri: str, venue: str) -> StreamStore:
        """The venue's open-interest stream (Bybit's ticker states, Binance's polls)."""
        if venue not in OPEN_INTEREST_PREFIXES:
            raise ValueError(
                f"no open-interest stream for venue {venue!r}; streams: "
                f"{list(OPEN_INTEREST_PREFIXES)}"
            )
        return cls(uri, OPEN_INTEREST_PREFIXES[venue], rows=OPEN_INTEREST)

    @property
    def library(self):
        return library_for(self.uri, self.library_name)

    def name(self, symbol: str, partition_key: str) -> str:
        return partition_symbol(self.asset_class, symbol, partition_key)

    def coverage_name(self, symbol: str) -> str:
        """Where the symbol's coverage intervals are kept (no hour's name starts so)."""
        return f"{self.asset_class}-coverage/{symbol}"

    def write_coverage(self, intervals: Mapping[str, Sequence[Interval]]) -> None:
        """Replace each symbol's stored coverage intervals (:mod:`.coverage`)."""
        lib = self.library
        for symbol, spans in intervals.items():
            starts, ends = zip(*spans, strict=True) if spans else ((), ())
            frame = pd.DataFrame(
                {"start_ms": np.array(starts, np.int64), "end_ms": np.array(ends, np.int64)}
            )
            with library_lock(self.uri, self.library_name):
                lib.write(self.coverage_name(symbol), frame, prune_previous_versions=True)

    def coverage(self, symbols: Sequence[str]) -> dict[str, list[Interval]]:
        """The stored coverage intervals of ``symbols`` (a symbol never covered: none)."""
        lib = self.library
        out: dict[str, list[Interval]] = {}
        with library_lock(self.uri, self.library_name, shared=True):
            for symbol in symbols:
                name = self.coverage_name(symbol)
                if not lib.has_symbol(name):
                    out[symbol] = []
                    continue
                frame = lib.read(name).data
                out[symbol] = list(
                    zip(frame["start_ms"].tolist(), frame["end_ms"].tolist(), strict=True)
                )
        return out

    def _hours(self, segment: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        """(partition key, rows) of each UTC hour ``segment`` covers."""
        hours = segment.index.asi8 // 1_000_000 // HOUR_MS
        cuts = np.flatnonzero(np.diff(hours)) + 1
        return [
            (hour_key(int(hours[lo]) * HOUR_MS), segment.iloc[lo:hi])
            for lo, hi in zip([0, *cuts], [*cuts, len(segment)], strict=True)
        ]

    def stage(self, symbol: str, segment: pd.DataFrame) -> int:
        """Stage ``segment`` (ts-indexed, sorted) as one staged segment per UTC hour it covers."""
        if segment.empty:
            return 0
        pieces = [(self.name(symbol, key), rows) for key, rows in self._hours(segment)]
        lib = self.library
        with library_lock(self.uri, self.library_name, writing=[p for _, p in pieces]):
            for name, piece in pieces:
                lib.stage(name, piece)
        return len(segment)

    def publish(self, symbol: str, segment: pd.DataFrame) -> int:
        """Stage ``segment`` and settle the hours it touched: the collector's sink, so that the
        read API (which only reads settled rows) sees a flush as soon as it is written."""
        staged = self.stage(symbol, segment)
        if staged:
            for key, _ in self._hours(segment):
                self.settle(symbol, key)
        return staged

    def settle(self, symbol: str, partition_key: str) -> None:
        """Make the hour's staged segments part of its ``tick_stream`` symbol."""
        name = self.name(symbol, partition_key)
        lib = self.library
        with library_lock(self.uri, self.library_name):
            if name not in lib.get_staged_symbols():
                return
            if not lib.has_symbol(name):
                lib.sort_and_finalize_staged_data(name, prune_previous_versions=True)
                return
            try:
                appended = lib.sort_and_finalize_staged_data(
                    name, StagedDataFinalizeMethod.APPEND, prune_previous_versions=True
                )
            except (UnsortedDataException, SortingException):
                # the staged rows reach back into the settled ones: rewrite the union
                # (the failed append left the staged segments in place)
                settled = lib.read(name).data
                lib.sort_and_finalize_staged_data(name, prune_previous_versions=False)
                both = pd.concat([settled, lib.read(name).data])
                ids = both[self.rows.id_column].to_numpy()
                both = both.iloc[np.lexsort((ids, both.index.asi8))]
                lib.write(name, both, prune_previous_versions=True)
                return
            # counted by the symbol's versions (one an append), so whichever process settles
            # it, a restarted collector too, keeps to the same rhythm
            if appended.version % self.compact_every == 0:
                lib.compact_data(
                    name, rows_per_segment=self.compact_rows, prune_previous_versions=True
                )

    def hour(self, symbol: str, partition_key: str) -> pd.DataFrame:
        """Everything streamed (or backfilled by the collector) of one symbol-hour, settled
        first; each aggregate id once, by (ts, id). Empty when nothing was streamed."""
        self.settle(symbol, partition_key)
        return unique_rows(self._read(self.name(symbol, partition_key)), self.rows.id_column)

    def streamed(self, symbol: str, partition_key: str) -> bool:
        """Whether anything of the symbol-hour was staged (settled or not)."""
        name = self.name(symbol, partition_key)
        lib = self.library
        return lib.has_symbol(name) or name in lib.get_staged_symbols()

    def live(self, symbol: str, since: pd.Timestamp) -> pd.DataFrame:
        """Streamed rows of ``symbol`` with ``ts >= since`` (the hour of ``since`` and the
        current one, settled first): what the stream has made readable so far."""
        now_ms = pd.Timestamp.now(tz="UTC").value // 1_000_000
        first_ms = since.value // 1_000_000
        keys = sorted({hour_key(first_ms), hour_key(now_ms)})
        frames = []
        for key in keys:
            self.settle(symbol, key)
            frames.append(self._read(self.name(symbol, key), since))
        frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        return unique_rows(frame, self.rows.id_column)

    def settled_hours(self, symbol: str) -> list[str]:
        """Partition keys of the hours with settled rows for ``symbol``, oldest first."""
        prefix = f"{self.asset_class}/{symbol}/"
        names = self.library.list_symbols(regex=f"^{re.escape(prefix)}")
        return sorted(name[len(prefix) :] for name in names if name.startswith(prefix))

    def prune(
        self,
        symbol: str,
        before: str,
        finalized: Callable[[], Collection[str]],
        partition_of: Callable[[str], str] = str,
    ) -> list[str]:
        """Delete the symbol's streamed hours older than the hour key ``before`` whose
        partition (``partition_of(hour)``: the hour itself by default) is in ``finalized()``;
        the keys deleted, oldest first. Hours not finalized are kept whatever their age: their
        stream is all there is of them. ``finalized`` is asked only when the stream holds older
        hours (it lists a library)."""
        old = [key for key in self.settled_hours(symbol) if key < before]
        if not old:
            return []
        done = set(finalized())
        old = [key for key in old if partition_of(key) in done]
        names = [self.name(symbol, key) for key in old]
        if names:
            with library_lock(self.uri, self.library_name):  # a delete: the bare margin
                failed = [error for error in self.library.delete_batch(names) if error]
            if failed:
                raise RuntimeError(f"{self.library_name}: could not delete {failed}")
        return old

    def latest(self, symbol: str) -> pd.Timestamp | None:
        """The time of the newest settled row of ``symbol`` (None: nothing settled): where a
        restarted collector's catch-up from history starts."""
        hours = self.settled_hours(symbol)
        if not hours:
            return None
        tail = self.last_settled(symbol, hours[-1], None)
        return tail.index[-1] if len(tail) else None

    def settled(
        self, symbol: str, key: str, lo: pd.Timestamp | None = None, hi: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """The settled rows of one symbol-hour with ``lo <= ts <= hi`` (no settling, no
        dedup); empty when none."""
        name = self.name(symbol, key)
        lib = self.library
        with library_lock(self.uri, self.library_name, shared=True):
            if not lib.has_symbol(name):
                return self.rows.empty()
            if lo is None and hi is None:
                return lib.read(name).data
            return lib.read(name, date_range=(lo, hi)).data

    def last_settled(self, symbol: str, key: str, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        """The settled rows of one symbol-hour at its last time ``<= cutoff`` (any if None):
        one ``tail(1)`` query for that time, then the rows sharing it (a millisecond may hold
        several trades, and settling orders rows by time only)."""
        name = self.name(symbol, key)
        lib = self.library
        query = adb.QueryBuilder()
        if cutoff is not None:
            query = query.date_range((None, cutoff))
        with library_lock(self.uri, self.library_name, shared=True):
            if not lib.has_symbol(name):
                return self.rows.empty()
            tail = lib.read(name, query_builder=query.tail(1)).data
            if tail.empty:
                return tail
            last = tail.index[-1]
            return lib.read(name, date_range=(last, last)).data

    def _read(self, name: str, since: pd.Timestamp | None = None) -> pd.DataFrame:
        lib = self.library
        with library_lock(self.uri, self.library_name, shared=True):
            if not lib.has_symbol(name):
                return self.rows.empty()
            if since is None:
                return lib.read(name).data
            return lib.read(name, date_range=(since, None)).data
