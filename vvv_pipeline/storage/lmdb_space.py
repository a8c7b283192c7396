"""Free-space guard for local (``lmdb://``) ArcticDB stores.

When the filesystem holding an LMDB store fills up, the commit of a write fails with an I/O error
and ArcticDB's LMDB wrapper then corrupts the process heap: the same call, or the next ArcticDB
call, dies with SIGSEGV or SIGABRT ("double free or corruption"), leaving no word about space.
The stored data stays intact (LMDB never overwrites committed pages), but the step worker is gone.
So every local write first checks the free space of the store's filesystem against what the write
can need and refuses with :class:`StorageFullError` while the process is still healthy.

The estimate: the frames' in-memory size (``memory_usage(deep=True)``; the Python strings of
text columns are measured on an evenly spaced sample of :data:`SAMPLE_ROWS` rows, as measuring
each string of a 10-million-row quarantine takes seconds) times :data:`SAFETY_FACTOR`, plus a
fixed margin (``VVV_LMDB_MIN_FREE_MB``, default 64 MiB). Stored ticks take 0.4 to 0.8 of their
in-memory size (LZ4), so the factor covers incompressible data and LMDB's copied B-tree pages.
The margin covers what the frames do not show: an ``update`` rewriting the rows of a segment
that overlaps its window, version and index keys, snapshots, deletes (copy-on-write writes pages
too), writers in other processes, and a new library's environment.

LMDB's own map size (ArcticDB's default is 400 GiB per library on Linux, or ``?map_size=`` in the
URI) is not checked here: a write beyond the map raises ArcticDB's "Map Full Error" cleanly and
the process survives.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.settings import lmdb_path
from vvv_pipeline.storage.tick_cache import frame_bytes as array_bytes

MIN_FREE_ENV = settings.variable("lmdb_min_free_mb")
SAFETY_FACTOR = 1.5
SAMPLE_ROWS = 10_000
MIB = 1 << 20


class StorageFullError(OSError):
    """A write to a local ArcticDB store was refused because its filesystem lacks the room."""


def lmdb_folder(uri: str) -> Path | None:
    """The directory an ``lmdb://`` URI stores into (absolute, as ArcticDB resolves it); None
    for any other store."""
    if not uri.startswith("lmdb://"):
        return None
    return Path(os.path.abspath(lmdb_path(uri)))


def min_free_bytes() -> int:
    """The fixed margin every write must leave, read on each call so an operator's change of
    ``VVV_LMDB_MIN_FREE_MB`` applies to the next write."""
    return int(settings.current().lmdb_min_free_mb * MIB)


def frame_bytes(frame: pd.DataFrame) -> int:
    """``frame.memory_usage(deep=True).sum()``, with the Python strings of its text columns (and
    text index) measured on a sample and scaled to every row.

    Read from each array's ``nbytes`` (:func:`~.tick_cache.frame_bytes`): ``memory_usage``
    builds a Series per call, which cost as much as a small partition's write.
    """
    dtypes = list(frame.dtypes)
    total = array_bytes(frame, dtypes)
    if frame.empty:
        return total
    rows = len(frame)
    texts = [frame.index] if _holds_python_strings(frame.index.dtype) else []
    texts += [
        frame.iloc[:, position]
        for position, dtype in enumerate(dtypes)
        if _holds_python_strings(dtype)
    ]
    step = max(1, rows // SAMPLE_ROWS)
    for column in texts:
        sample = np.asarray(column[::step], dtype=object)
        total += int(sum(map(sys.getsizeof, sample)) / len(sample) * rows)
    return total


def _holds_python_strings(dtype: object) -> bool:
    """Object columns and Python-backed strings (their ``nbytes`` counts only the pointers)."""
    if isinstance(dtype, np.dtype):
        return dtype.kind == "O"
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "python"
    return pd.api.types.is_object_dtype(dtype)


def bytes_needed(frames: Iterable[pd.DataFrame]) -> int:
    """Bytes a write of ``frames`` may take on disk: in-memory size x factor + margin."""
    in_memory = sum(frame_bytes(frame) for frame in frames)
    return int(in_memory * SAFETY_FACTOR) + min_free_bytes()


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer can still use on the filesystem holding ``folder`` (or its
    nearest existing parent, before the store exists)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    stats = os.statvfs(probe)
    return stats.f_bavail * stats.f_frsize


def ensure_room(uri: str, frames: Iterable[pd.DataFrame] = ()) -> None:
    """Raise :class:`StorageFullError` unless the store's filesystem can take a write of
    ``frames`` (none: a delete, a snapshot or a new library, which need only the margin).
    Object stores (S3) are not checked."""
    folder = lmdb_folder(uri)
    if folder is None:
        return
    needed = bytes_needed(frames)
    free = free_bytes(folder)
    if free < needed:
        raise StorageFullError(
            f"LMDB store {folder} is almost full: {free:,} bytes free on its filesystem, this "
            f"write needs about {needed:,} bytes (data x {SAFETY_FACTOR} + "
            f"{MIN_FREE_ENV}={min_free_bytes() / MIB:g} MiB). Nothing was written; the stored "
            f"data is unchanged. Free space (or move the store) and run again."
        )
