"""The tick partitions a run wrote or read, kept in memory so its derived assets read each tick
from ArcticDB at most once.

Without it, every tick is read back four times after its source stored it (time bars, event
bars, metadata tiers 1 and 2, each its own asset). With it, the source's write leaves a copy
here and the readers take it; a run that only derives reads each partition once and shares it.

The contract (docs/storage.md, "Tick cache"):

- **Exactly one stored version per entry.** An entry is keyed by (store URI, library, ArcticDB
  symbol) and tagged with the :data:`StoredVersion` ArcticDB gave it: version number and write
  timestamp. :meth:`TickCache.get` serves it only when ArcticDB's latest version of that symbol,
  asked at read time, carries the same tag: a rewrite or delete by any process, another store,
  or a frame never written there can never be served (the entry is dropped, the caller reads
  ArcticDB). The timestamp also tells apart a version number reused after a delete.
- **Frames as ArcticDB returns them.** A written frame is copied when admitted (the writer's
  frame may be mutated later), unless its writer hands it over (a source's validated
  partition, never changed after it is stored), and loses its index frequency, which ArcticDB
  does not store;
  otherwise ArcticDB returns exactly what it was given (values, dtypes, categories, index:
  ``vvv_pipeline_tests/storage/test_tick_cache.py``). Readers never mutate what they are
  served (:func:`~vvv_pipeline.storage.tick_frames.stack_partitions` copies every column).
- **Bounded.** Entries take at most ``cap_bytes`` (``VVV_TICK_CACHE_MB``); one that does not fit
  is not admitted and nothing is evicted. The derived assets scan a run's partitions in the same
  order one after another, so the first ones kept give each of them hits, where least-recently-
  used eviction would drop every entry just before its next use.
- **Scoped to a run.** Only inside :meth:`TickCache.scope` (the ArcticDB resource's lifetime:
  the whole run with the in-process executor, which ``vvv-pipeline run`` uses; one step with
  the multiprocess one) are entries admitted and served; leaving the outermost scope drops them.
- **A miss is a normal read.** Steps in other processes (multiprocess or Celery executors), the
  first reader of a derived-only run, frames that did not fit: all read ArcticDB as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

StoredVersion = tuple[int, int]
"""(ArcticDB version number, its write timestamp in ns): one stored version of a symbol."""
Key = tuple[str, str, str]
"""(store URI, library, ArcticDB symbol)."""
MIB = 1 << 20


@dataclass
class _Entry:
    version: StoredVersion
    frame: pd.DataFrame
    nbytes: int


@dataclass
class CacheStats:
    """What the cache did in its current (or last) scope."""

    hits: int = 0
    """Frames served instead of an ArcticDB read."""
    stale: int = 0
    """Entries found but not served: ArcticDB's latest version was another (or none)."""
    admitted: int = 0
    refused: int = 0
    """Frames not kept: the cap was reached (or the cache is off)."""
    peak_bytes: int = 0


def as_read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame given to ArcticDB as ArcticDB returns it: values, dtypes, categories
    and index alike, but no index frequency (ArcticDB does not store one)."""
    copy = frame.copy()
    if _has_frequency(copy):
        copy.index = pd.DatetimeIndex(copy.index, freq=None)
    return copy


def _has_frequency(frame: pd.DataFrame) -> bool:
    return isinstance(frame.index, pd.DatetimeIndex) and frame.index.freq is not None


def frame_bytes(frame: pd.DataFrame, dtypes: Sequence[object] | None = None) -> int:
    """Bytes of the frame's arrays and index (category labels counted once, shallowly);
    ``dtypes``: ``frame.dtypes`` if the caller has them already.

    A numpy column's bytes are its rows x its item size, read from the frame's dtypes: taking
    each column out builds a Series per column, which cost more than the sum for the derived
    assets' frames of a dozen columns. Only extension columns (categories, tz-aware times) are
    taken out for their ``nbytes``.
    """
    rows = len(frame)
    total = int(frame.index.nbytes)
    for position, dtype in enumerate(frame.dtypes if dtypes is None else dtypes):
        if isinstance(dtype, np.dtype):
            total += rows * dtype.itemsize
        else:
            total += int(frame.iloc[:, position].nbytes)
    return total


class TickCache:
    """Stored versions of tick partitions, bounded, served only while they are still latest."""

    def __init__(self) -> None:
        self._entries: dict[Key, _Entry] = {}
        self._bytes = 0
        self._cap = 0
        self._depth = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()

    @property
    def active(self) -> bool:
        return self._depth > 0 and self._cap > 0

    @property
    def bytes(self) -> int:
        return self._bytes

    @property
    def keeps_no_more(self) -> bool:
        """Off, or it has already refused a partition for want of room (nothing is evicted,
        so what is read from now on is not kept for the run's next readers)."""
        return not self.active or self.stats.refused > 0

    @contextmanager
    def scope(self, cap_bytes: int) -> Iterator[TickCache]:
        """Keep and serve entries (up to ``cap_bytes``; 0: off) until the outermost scope ends."""
        self.open(cap_bytes)
        try:
            yield self
        finally:
            self.close()

    def open(self, cap_bytes: int) -> None:
        with self._lock:
            if self._depth == 0:
                self._cap = max(0, int(cap_bytes))
                self.stats = CacheStats()
            self._depth += 1

    def close(self) -> None:
        """Leave one scope; the outermost drops every entry (their memory goes back at once)."""
        with self._lock:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self._entries.clear()
                self._bytes = 0
                self._cap = 0

    def put(
        self, key: Key, version: StoredVersion, frame: pd.DataFrame, *, copy: bool = True
    ) -> bool:
        """Keep ``frame`` as ``version`` of ``key`` if it fits; an older entry of ``key`` goes
        either way. ``copy``: take a copy (the caller keeps its frame; pass False only for a
        frame nobody changes any more, such as one ArcticDB just returned or one its writer
        handed over). A frame kept without a copy is still kept as ArcticDB returns it: an
        index frequency is dropped on a shallow copy."""
        nbytes = frame_bytes(frame)
        if not copy and _has_frequency(frame):
            frame = frame.copy(deep=False)
            frame.index = pd.DatetimeIndex(frame.index, freq=None)
        with self._lock:
            self._drop(key)
            if not self.active or self._bytes + nbytes > self._cap:
                self.stats.refused += 1
                return False
            self._entries[key] = _Entry(version, as_read_back(frame) if copy else frame, nbytes)
            self._bytes += nbytes
            self.stats.admitted += 1
            self.stats.peak_bytes = max(self.stats.peak_bytes, self._bytes)
            return True

    def rows(self, key: Key) -> int | None:
        """Rows of ``key``'s entry, whether or not it is still ArcticDB's latest version (None:
        no entry); for planning work, never for serving data."""
        with self._lock:
            entry = self._entries.get(key) if self.active else None
            return None if entry is None else len(entry.frame)

    def held(self, uri: str, library: str, names: Sequence[str]) -> list[str]:
        """Which of ``names`` have an entry (whose version the caller must then ask ArcticDB)."""
        with self._lock:
            if not self.active:
                return []
            return [name for name in names if (uri, library, name) in self._entries]

    def get(self, key: Key, latest: StoredVersion | None) -> pd.DataFrame | None:
        """The entry of ``key`` if it is ArcticDB's ``latest`` version (None: the symbol is
        gone); a stale entry is dropped and None returned."""
        with self._lock:
            entry = self._entries.get(key) if self.active else None
            if entry is None:
                return None
            if entry.version != latest:
                self._drop(key)
                self.stats.stale += 1
                return None
            self.stats.hits += 1
            return entry.frame

    def forget(self, key: Key) -> None:
        """Drop ``key``'s entry (its symbol was deleted or rewritten without a copy here)."""
        with self._lock:
            self._drop(key)

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.nbytes


TICK_CACHE = TickCache()
"""The process's cache: ArcticDB stores and the Dagster resource share it (one per process, as
the ``Arctic`` objects are)."""
