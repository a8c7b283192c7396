"""Handing a large result from a forked child to its parent through shared memory.

Through a pipe, a partition of 200,000 ticks (about 11 MB of arrays) cost the receiving process
about 14 ms of CPU and 24 ms of wall time (``benchmarks/bench_handover.py``): the bytes are read
64 KiB at a time, gathered, copied again and unpickled into new arrays, in the process that also
stores each partition and records its events. Here the child pickles its result with protocol
5, keeping the arrays' memory out of the pickle, and writes each large array into a file of its
own in a shared-memory folder (``/dev/shm``: tmpfs, never on disk); the pipe carries only the
small pickle, the small arrays and the files' names. The parent maps each file copy-on-write,
removes its name at once, and unpickles arrays that point into the mappings: no copy; about 5 ms
of CPU with the first reading of every column (the pages mapped in). An array's memory is freed
when that array (and every view of it) is dropped.

Arrays under :data:`MIN_FILE_BYTES`, a folder that cannot be written (absent, full: tmpfs in a
container is often 64 MB) and a platform without ``/dev/shm`` go through the pipe inline, as
before. Each stream or round of children gets its own folder, removed when it ends; folders left
by a process that was killed are removed by the next one.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARED_MEMORY = Path("/dev/shm")
PREFIX = "vvv-handover-"
MIN_FILE_BYTES = 256 << 10
"""An array of at least this many bytes travels in a file of its own; smaller ones inline."""


@dataclass(frozen=True)
class Handed:
    """A result as it crosses the pipe: its pickle, and each of its arrays' memory either inline
    (writable, like arrays unpickled in band) or as the name of a file holding it."""

    pickled: bytes
    buffers: tuple[bytearray | str, ...]


@contextlib.contextmanager
def shared_folder() -> Iterator[Path | None]:
    """A fresh folder in shared memory for one group of children (None where there is none),
    removed with whatever is left in it when the block ends."""
    folder = None
    if SHARED_MEMORY.is_dir():
        _remove_stale()
        with contextlib.suppress(OSError):
            folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=SHARED_MEMORY))
    try:
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _remove_stale() -> None:
    """Remove the folders of processes that no longer run (killed before their cleanup)."""
    for folder in SHARED_MEMORY.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def hand(value: object, folder: Path | None) -> Handed:
    """``value`` pickled for the pipe, each array of :data:`MIN_FILE_BYTES` or more written into
    a file of its own in ``folder`` (inline where there is no folder or the write fails).

    A file per array: a mapping lives as long as any array using it, so an array the parent
    keeps (a partition's column in the tick cache, a small table of a check's outcome) holds
    its own memory only, never the rest of the result."""
    buffers: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    _Pickler(out, protocol=5, buffer_callback=buffers.append).dump(value)
    handed: list[bytearray | str] = []
    for buffer in buffers:
        raw = buffer.raw()
        path = (
            _written(raw, folder) if folder is not None and raw.nbytes >= MIN_FILE_BYTES else None
        )
        handed.append(bytearray(raw) if path is None else path)
    return Handed(out.getvalue(), tuple(handed))


class _Pickler(pickle.Pickler):
    """Pickles datetime and timedelta arrays as int64 views, so their memory too travels out of
    band: numpy pickles arrays of those dtypes (their unit is dtype metadata) in band."""

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "mM":
            return _viewed, (obj.view(np.int64), obj.dtype.str)
        return NotImplemented


def _viewed(values: np.ndarray, dtype: str) -> np.ndarray:
    return values.view(dtype)


def _written(raw: memoryview, folder: Path) -> str | None:
    """``raw`` in a new file in ``folder``; None if it cannot be written (gone or full)."""
    try:
        handle, path = tempfile.mkstemp(dir=folder)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(raw)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return path


def receive(handed: Handed) -> object:
    """The value :func:`hand` pickled, each array pointing into its file mapped copy-on-write
    (the file's name removed at once) or built on its inline bytes. Every file's name is
    removed, even when one of them cannot be read."""
    try:
        buffers = [
            buffer if isinstance(buffer, bytearray) else _mapped(buffer)
            for buffer in handed.buffers
        ]
    finally:
        for buffer in handed.buffers:
            if isinstance(buffer, str):
                with contextlib.suppress(OSError):
                    os.unlink(buffer)
    return pickle.loads(handed.pickled, buffers=buffers)


def _mapped(path: str) -> mmap.mmap:
    with open(path, "rb") as file:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
