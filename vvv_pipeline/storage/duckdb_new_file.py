"""A DuckDB file created by a transaction that failed is removed, never left half-made.

A full disk at creation leaves a 0-byte file, which DuckDB then refuses for good ("not a valid
DuckDB database file"); a failed first write leaves a file with no table. Neither holds data
anyone wrote, so the creator removes it (and its WAL) when its first transaction fails.

The removal must not take a file someone else has started to use since:

* another process: the file is removed only while this process holds its write lock, taken
  with the same POSIX record lock DuckDB takes (``fcntl``); if another writer opened it in the
  meantime, it stays.
* another thread of this process: DuckDB shares one open database per file within a process,
  so this process's users are counted and only the last one out removes it. Opening and
  closing a second descriptor would also drop DuckDB's own POSIX lock, which is why this only
  happens when no connection of this process is left on the file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress

log = logging.getLogger(__name__)
_users: Counter[str] = Counter()
_guard = threading.Lock()


@contextmanager
def removed_if_new_and_failed(database: str) -> Iterator[None]:
    """If ``database`` does not exist yet and the block raises, the file is removed (unless
    another user of this or another process holds it by then)."""
    key = os.path.abspath(database)
    with _guard:
        created = not os.path.exists(key)
        _users[key] += 1
    try:
        yield
    except BaseException:
        with _guard:
            last = _leave(key)
            if created and last:
                _remove_unless_held(key)
        raise
    else:
        with _guard:
            _leave(key)


def _leave(key: str) -> bool:
    _users[key] -= 1
    if _users[key]:
        return False
    del _users[key]
    return True


def _remove_unless_held(path: str) -> None:
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return  # the connect failed before creating anything
    except OSError as error:
        log.warning(f"DuckDB file {path}: created by a failed write but not removable: {error}")
        return
    try:
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log.warning(f"DuckDB file {path}: another process opened it meanwhile; left in place")
            return
        for name in (path, f"{path}.wal"):
            with suppress(FileNotFoundError):
                os.unlink(name)
        log.warning(f"DuckDB file {path}: removed, its first write failed")
    finally:
        os.close(descriptor)
