"""Handing a large result from a forked child to its parent through shared memory.

Through a pipe, a partition of 200,000 ticks (about 11 MB of arrays) cost the receiving process
about 14 ms of CPU and 24 ms of wall time (``benchmarks/bench_handover.py``): the bytes are read
64 KiB at a time, gathered, copied again and unpickled into new arrays, in the process that also
stores each partition and records its events. Here the child pickles its result with protocol
5, keeping the arrays' memory out of the pickle, and writes that memory into a file in a
shared-memory folder (``/dev/shm``: tmpfs, never on disk); the pipe carries only the small
pickle and the file's name. The parent maps the file copy-on-write, removes its name at once,
and unpickles arrays that point into the mapping: no copy; about 5 ms of CPU with the first
reading of every column (the pages mapped in). The memory is freed when the last array using it
is dropped.

A result whose arrays hold less than :data:`MIN_FILE_BYTES`, a folder that cannot be written
(absent, full: tmpfs in a container is often 64 MB), or a platform without ``/dev/shm`` goes
through the pipe inline, as before. Each stream or round of children gets its own folder,
removed when it ends; folders left by a process that was killed are removed by the next one.
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
MIN_FILE_BYTES = 1 << 20
"""Results whose arrays hold fewer bytes go through the pipe inline."""
ALIGNMENT = 64
"""Each array starts at a multiple of this in the file, so every dtype is aligned."""


@dataclass(frozen=True)
class Handed:
    """A result as it crosses the pipe: its pickle, and its arrays' memory in a file or inline."""

    pickled: bytes
    sizes: tuple[int, ...]
    path: str | None
    inline: tuple[bytearray, ...] = ()
    """The arrays' memory when not in a file (writable, like arrays unpickled in-band)."""


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
    """``value`` pickled for the pipe, its arrays' memory written into a file in ``folder`` when
    they hold :data:`MIN_FILE_BYTES` or more (inline otherwise, or when the write fails)."""
    buffers: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    _Pickler(out, protocol=5, buffer_callback=buffers.append).dump(value)
    pickled = out.getvalue()
    raws = [buffer.raw() for buffer in buffers]
    sizes = tuple(raw.nbytes for raw in raws)
    if folder is not None and sum(sizes) >= MIN_FILE_BYTES:
        path = _written(raws, folder)
        if path is not None:
            return Handed(pickled, sizes, path)
    return Handed(pickled, sizes, None, tuple(bytearray(raw) for raw in raws))


class _Pickler(pickle.Pickler):
    """Pickles datetime and timedelta arrays as int64 views, so their memory too travels out of
    band: numpy pickles arrays of those dtypes (their unit is dtype metadata) in band."""

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "mM":
            return _viewed, (obj.view(np.int64), obj.dtype.str)
        return NotImplemented


def _viewed(values: np.ndarray, dtype: str) -> np.ndarray:
    return values.view(dtype)


def _written(raws: list[memoryview], folder: Path) -> str | None:
    """The arrays' memory in a new file in ``folder``, each at an aligned offset; None if the
    file cannot be written (the folder is gone or full)."""
    try:
        handle, path = tempfile.mkstemp(dir=folder)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as file:
            for raw in raws:
                file.write(raw)
                file.write(bytes(-raw.nbytes % ALIGNMENT))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return path


def receive(handed: Handed) -> object:
    """The value :func:`hand` pickled, its arrays pointing into the file mapped copy-on-write
    (the file's name is removed at once) or built from the inline bytes."""
    if handed.path is None:
        return pickle.loads(handed.pickled, buffers=handed.inline)
    try:
        with open(handed.path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(handed.path)
    view = memoryview(mapped)
    buffers, offset = [], 0
    for size in handed.sizes:
        buffers.append(view[offset : offset + size])
        offset += size + (-size % ALIGNMENT)
    return pickle.loads(handed.pickled, buffers=buffers)
