"""ArcticDB store for tick-scale sources: one symbol per instrument and partition.

Raw ticks live in library ``tick_data`` under ``{asset_class}/{symbol}/{partition_key}``
(e.g. ``equity/AAPL/2026-11-20``, ``crypto/BTCUSDT/2026-11-20-13:00``). A partition's write is
one ``write`` of a whole symbol with previous versions pruned, so re-materializing replaces
exactly that partition, and two runs over different partitions never touch the same symbol;
overlapping runs (two backfills sharing days) take turns on the library's file lock.
An empty partition is stored as the absence of its symbol (reads give an empty canonical frame).

``ts`` is stored as the index: ArcticDB keeps the timezone of a datetime index but returns a
tz-aware *column* as naive.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import arcticdb as adb
import pandas as pd
from arcticdb.config import set_config_int
from arcticdb.version_store.library import DataError, VersionedItem
from arcticdb_ext.exceptions import ErrorCategory

from vvv_pipeline.schemas import Schema
from vvv_pipeline.settings import lmdb_path
from vvv_pipeline.storage.lmdb_space import ensure_room, lmdb_folder
from vvv_pipeline.storage.tick_cache import TICK_CACHE, StoredVersion
from vvv_pipeline.storage.tick_frames import stack_partitions

TICK_LIBRARY = "tick_data"
TICK_PREFIXES = {
    "equity_ticks": "equity",
    "crypto_trades": "crypto",
    "crypto_open_interest": "crypto_oi",
}
"""Symbol prefix (``{prefix}/{symbol}/{partition}``) of each tick-scale source."""

_ARCTICS: dict[str, adb.Arctic] = {}
_ARCTICS_LOCK = threading.Lock()
_LIBRARIES: dict[tuple[str, str], tuple[adb.Arctic, adb.library.Library]] = {}
"""(URI, library) -> the ``Arctic`` that opened it and the library: ArcticDB's
``get_library`` reads the library's configuration from the store on every call, and a source's
range run asks for its library once per partition."""

LOCAL_LOCK_WAIT_MS = 200
"""ArcticDB's ``StorageLock.WaitMs`` while this process has only local (``lmdb://``) stores.

ArcticDB takes its storage lock (on the first ``list_symbols`` of a library, to compact the
symbol list, and again after every 500 symbol adds or deletes) by writing a lock key holding
its timestamp, sleeping ``WaitMs``, and reading the key back: a competitor that also found no
lock writes its own key in that window, the later write wins and the other backs off (the
compaction is skipped, ``list_symbols`` is right either way). The wait must outlast a
competitor's check-then-write, which on object storage is network latency (the default, 1000
ms, is a whole second slept on each new library's first compaction). On local LMDB writing and
reading back the lock key takes 4 ms (median; 12 ms p99, 37 ms worst of 200) on this 2-core
machine under load, and ArcticDB's own default was 200 ms for every backend in earlier
releases: 200 ms is over 5x the worst local case. Writes of this project's processes to one
local library are serialised by its file lock besides (:func:`library_lock`)."""
REMOTE_LOCK_WAIT_MS = 1000
"""ArcticDB's default, kept once this process opens any store that is not local."""
_REMOTE_OPENED = False


def _configure_lock_wait(uri: str) -> None:
    """``StorageLock.WaitMs`` is process-wide: short only while every store is local."""
    global _REMOTE_OPENED
    _REMOTE_OPENED = _REMOTE_OPENED or not uri.startswith("lmdb://")
    set_config_int(
        "StorageLock.WaitMs", REMOTE_LOCK_WAIT_MS if _REMOTE_OPENED else LOCAL_LOCK_WAIT_MS
    )


def arctic_for(uri: str) -> adb.Arctic:
    """One ``Arctic`` per URI per process: LMDB must never be opened twice in one process."""
    with _ARCTICS_LOCK:
        if uri not in _ARCTICS:
            if uri.startswith("lmdb://"):
                path = lmdb_path(uri)
                if not path.strip():  # ArcticDB would write into the current directory
                    raise ValueError(f"ArcticDB URI {uri!r} names no directory")
                Path(path).mkdir(parents=True, exist_ok=True)
            # Every read resolves the symbol's latest version afresh: the default ~2 s version
            # cache hands back a version another process has since pruned (KeyNotFound).
            set_config_int("VersionMap.ReloadInterval", 0)
            _configure_lock_wait(uri)
            _ARCTICS[uri] = adb.Arctic(uri)
        return _ARCTICS[uri]


def library_for(uri: str, name: str) -> adb.library.Library:
    """The library ``name`` on ``uri``, created on first use.

    Two processes may both find it missing and both create it; the loser's ``ValueError``
    ("already exists") means the library is there, so it opens the winner's. Creating one writes
    to the store, so it needs the free-space margin (:func:`ensure_room`) like any write. Once
    opened, a library is kept for its ``Arctic`` (libraries are never deleted here); a store
    opened afresh (:func:`arctic_for`) opens its libraries afresh.
    """
    arctic = arctic_for(uri)
    opened = _LIBRARIES.get((uri, name))
    if opened is not None and opened[0] is arctic:
        return opened[1]
    if not arctic.has_library(name):
        ensure_room(uri)
    try:
        library = arctic.get_library(name, create_if_missing=True)
    except ValueError:
        if not arctic.has_library(name):
            raise
        library = arctic.get_library(name)
    _LIBRARIES[(uri, name)] = (arctic, library)
    return library


@contextmanager
def library_lock(
    uri: str, library: str, *, shared: bool = False, writing: Iterable[pd.DataFrame] = ()
) -> Iterator[None]:
    """Across processes for local stores, exclusive for writes and ``shared`` for reads; a no-op
    elsewhere (use the pool).

    Two processes writing one LMDB symbol at once (overlapping backfills) can break its version
    chain (``folly::BrokenPromise`` on the next write), and a read that overlaps a pruning write
    can find its version's keys deleted, so writes exclude each other and reads of pruned symbols.
    Never nest two holds of one library in a process: ``flock`` would deadlock on itself.

    An exclusive hold is a write: once the lock is held, the store's filesystem must have room
    for the frames ``writing`` (or the bare margin for deletes and snapshots), else
    :class:`~vvv_pipeline.storage.lmdb_space.StorageFullError` is raised before ArcticDB is
    called (a full LMDB filesystem crashes the process instead of raising).
    """
    if not uri.startswith("lmdb://"):
        yield
        return
    folder = lmdb_folder(uri)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{library}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            if not shared:
                ensure_room(uri, writing)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def raise_refused(
    what: str,
    payloads: Sequence[adb.WritePayload | adb.UpdatePayload],
    results: Sequence,
    where: str,
) -> None:
    """Raise for the first symbol of a batch that ArcticDB refused (its batch calls return a
    ``DataError`` in that symbol's place instead of raising), naming it and ``where``."""
    for payload, item in zip(payloads, results, strict=True):
        if isinstance(item, DataError):
            raise RuntimeError(f"ArcticDB {what} of {payload.symbol!r} in {where} failed: {item}")


PRUNED_READ_RETRIES = 3


def _pruned_mid_read(item: VersionedItem | DataError) -> bool:
    return isinstance(item, DataError) and item.error_category == ErrorCategory.STORAGE


def _symbol_major_names(
    asset_class: str, symbols: Sequence[str], partition_keys: Iterable[str]
) -> list[str]:
    """ArcticDB names of ``symbols`` x ``partition_keys``, symbols sorted, each symbol's
    partitions in the keys' order (the order the stored frames stack in)."""
    keys = list(partition_keys)
    return [partition_symbol(asset_class, s, k) for s in sorted(set(symbols)) for k in keys]


def ts_indexed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` indexed by its ``ts`` column, as stored (itself if it already is), without
    copying the other columns: ``set_index`` copies every column of a partition; on a shallow
    copy, in place, it only moves ``ts`` to the index."""
    if frame.index.name == "ts":
        return frame
    indexed = frame.copy(deep=False)
    indexed.set_index("ts", inplace=True)
    return indexed


def _stored_version(item: VersionedItem) -> StoredVersion:
    return (int(item.version), int(item.timestamp))


def partition_symbol(asset_class: str, symbol: str, partition_key: str) -> str:
    return f"{asset_class}/{symbol}/{partition_key}"


@dataclass(frozen=True)
class PartitionWrite:
    arctic_symbol: str
    rows: int
    version: int | None
    """ArcticDB version written, or None when the partition is empty (symbol deleted)."""


class ArcticStore:
    """Partition-per-symbol reads and writes on one ArcticDB URI."""

    def __init__(self, uri: str):
        self.uri = uri

    def library(self, name: str) -> adb.library.Library:
        return library_for(self.uri, name)

    def write_partition(
        self,
        asset_class: str,
        partition_key: str,
        frames: Mapping[str, pd.DataFrame],
        library: str = TICK_LIBRARY,
        *,
        handed_over: bool = False,
    ) -> list[PartitionWrite]:
        """Replace one partition of each instrument in ``frames`` (canonical; ``ts`` a column or
        already the index, which saves a copy per instrument).

        Non-empty frames go in one ``write_batch``; instruments with no rows lose their symbol.
        Each version written is also offered to the run's tick cache (:mod:`.tick_cache`), so
        the run's derived assets need not read it back. ``handed_over``: the caller changes
        neither the frames nor the arrays they share after this call (a source's validated
        partition, dropped once stored), so the cache keeps them as they are instead of a copy.
        """
        lib = self.library(library)
        names = {sym: partition_symbol(asset_class, sym, partition_key) for sym in frames}
        filled = [sym for sym, frame in frames.items() if not frame.empty]
        payloads = [adb.WritePayload(names[sym], ts_indexed(frames[sym])) for sym in filled]
        written: list[PartitionWrite] = []
        with library_lock(self.uri, library, writing=(payload.data for payload in payloads)):
            results = lib.write_batch(payloads, prune_previous_versions=True) if payloads else []
            raise_refused("write", payloads, results, self.uri)
            for sym, payload, item in zip(filled, payloads, results, strict=True):
                written.append(PartitionWrite(names[sym], len(frames[sym]), item.version))
                # ``payload.data``: the ts-indexed frame exactly as ArcticDB was given it
                TICK_CACHE.put(
                    (self.uri, library, names[sym]),
                    _stored_version(item),
                    payload.data,
                    copy=not handed_over,
                )
            for sym, frame in frames.items():
                if frame.empty:
                    TICK_CACHE.forget((self.uri, library, names[sym]))
                    if lib.has_symbol(names[sym]):
                        lib.delete(names[sym])
                    written.append(PartitionWrite(names[sym], 0, None))
        return written

    def partition_rows(
        self,
        asset_class: str,
        symbols: Sequence[str],
        partition_keys: Iterable[str],
        library: str = TICK_LIBRARY,
    ) -> dict[str, int]:
        """Stored rows of each partition over ``symbols``, from ArcticDB's descriptions (one
        batch of metadata reads, no data); a partition stored as missing symbols counts 0.

        Symbols whose frames the run's tick cache holds are counted from them, without asking
        ArcticDB whether they are still its latest versions: the counts plan a range run's
        chunks, which change no stored byte (:mod:`vvv_pipeline.defs.assets.derive`).
        """
        keys = list(partition_keys)
        rows = dict.fromkeys(keys, 0)
        wanted = []
        for key in keys:
            for symbol in set(symbols):
                name = partition_symbol(asset_class, symbol, key)
                held = TICK_CACHE.rows((self.uri, library, name))
                if held is None:
                    wanted.append((key, name))
                else:
                    rows[key] += held
        if not wanted:
            return rows
        described = self.library(library).get_description_batch([name for _, name in wanted])
        for (key, name), item in zip(wanted, described, strict=True):
            if isinstance(item, DataError):
                if item.error_category != ErrorCategory.MISSING_DATA:
                    raise RuntimeError(f"ArcticDB description of {name!r} in {self.uri}: {item}")
                continue
            rows[key] += item.row_count
        return rows

    def read_partitions(
        self,
        asset_class: str,
        symbols: Sequence[str],
        partition_keys: Iterable[str],
        schema: Schema,
        library: str = TICK_LIBRARY,
        columns: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of ``symbols`` x ``partition_keys`` in one ``read_batch``, by (symbol, ts);
        ``columns``: only those of the schema's (``ts`` and ``symbol`` always).

        Symbols are read in sorted order, so the stored frames stack without a sort (see
        :func:`~vvv_pipeline.storage.tick_frames.stack_partitions`). Partitions whose latest
        stored version the run's tick cache holds come from memory; the others are read and
        offered to it (:mod:`.tick_cache`).
        """
        wanted = _symbol_major_names(asset_class, symbols, partition_keys)
        cached = self._cached(library, wanted)
        items = self._read_settled(library, [name for name in wanted if name not in cached])
        frames = []
        for name in wanted:
            if name in cached:
                frames.append(cached[name])
                continue
            item = items[name]
            if isinstance(item, DataError):
                if item.error_category != ErrorCategory.MISSING_DATA:
                    raise RuntimeError(f"ArcticDB read of {name!r} in {self.uri} failed: {item}")
                continue  # an empty partition is stored as a missing symbol
            TICK_CACHE.put((self.uri, library, name), _stored_version(item), item.data, copy=False)
            frames.append(item.data)
        return stack_partitions(frames, schema, columns)

    def in_cache(
        self,
        asset_class: str,
        symbols: Sequence[str],
        partition_keys: Iterable[str],
        library: str = TICK_LIBRARY,
    ) -> bool:
        """Whether the run's tick cache holds every partition of ``symbols`` x
        ``partition_keys`` (each still checked against ArcticDB's latest version when read)."""
        wanted = _symbol_major_names(asset_class, symbols, partition_keys)
        return len(TICK_CACHE.held(self.uri, library, wanted)) == len(wanted)

    def _cached(self, library: str, names: list[str]) -> dict[str, pd.DataFrame]:
        """The cache's frames of ``names`` that are still ArcticDB's latest versions, asked
        with one metadata read (no data read; about 1 ms for ten symbols)."""
        held = TICK_CACHE.held(self.uri, library, names)
        if not held:
            return {}
        with library_lock(self.uri, library, shared=True):
            latest = self.library(library).read_metadata_batch(held)
        out = {}
        for name, item in zip(held, latest, strict=True):
            # a DataError is a deleted symbol, or a read that raced a rewrite: not served either way
            version = _stored_version(item) if isinstance(item, VersionedItem) else None
            frame = TICK_CACHE.get((self.uri, library, name), version)
            if frame is not None:
                out[name] = frame
        return out

    def _read_settled(self, library: str, names: list[str]) -> dict[str, VersionedItem | DataError]:
        """``read_batch`` of ``names``, re-reading any whose version a concurrent rewrite pruned
        mid-read (a STORAGE error: its keys are gone, and the latest version is whole again).

        The shared file lock rules that out on LMDB; object storage has no lock to take."""
        if not names:
            return {}
        lib = self.library(library)
        with library_lock(self.uri, library, shared=True):
            items = dict(zip(names, lib.read_batch(names), strict=True))
        for _ in range(PRUNED_READ_RETRIES):
            raced = [n for n, i in items.items() if _pruned_mid_read(i)]
            if not raced:
                break
            with library_lock(self.uri, library, shared=True):
                items.update(zip(raced, lib.read_batch(raced), strict=True))
        return items

    def partition_symbols(self, asset_class: str, library: str = TICK_LIBRARY) -> list[str]:
        prefix = f"{asset_class}/"
        return sorted(s for s in self.library(library).list_symbols() if s.startswith(prefix))
