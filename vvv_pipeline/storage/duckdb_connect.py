"""One way to open the project's DuckDB files: wait out another writer, fail anything else at once.

DuckDB admits one writing process per file and reports a held lock as an ``IOException``
(``Could not set lock on file "...": Conflicting lock is held in ... (PID n)``). The same class
also carries a corrupt file, a read-only file or file system and a full disk, which no wait can
mend, so only the lock conflict is retried: for at most :data:`LOCK_WAIT_SECONDS` in all, with a
log line per retry naming the file. Anything else raises :class:`DuckDBFileError`, naming the
file, on the first attempt.

A database file that :func:`transaction` creates and whose first transaction fails is removed
again (:mod:`.duckdb_new_file`): a full disk leaves a 0-byte file behind, and DuckDB refuses to
open a 0-byte file ever after ("not a valid DuckDB database file"). DuckDB also creates a new
file before it writes its header, so a process opening the file at that moment finds it empty:
an empty file is tried again for :data:`EMPTY_FILE_WAIT_SECONDS` before it is called a leftover.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay

from vvv_pipeline.storage.duckdb_new_file import removed_if_new_and_failed

LOCK_WAIT_SECONDS = 60.0
"""Longest total wait for another process's write lock on a DuckDB file."""
FIRST_RETRY_SECONDS = 0.05
LONGEST_RETRY_SECONDS = 2.0
"""Bounds of the exponential pause between two attempts to take the lock (jittered by up to
half, so processes waiting for one file do not retry in step)."""
EMPTY_FILE_WAIT_SECONDS = 2.0
"""How long an empty database file is taken for one another process is creating right now."""
LOCK_MESSAGES = ("Could not set lock on file", "Conflicting lock is held")
"""What DuckDB says when another process holds the file's lock (checked with DuckDB 2.0.1)."""

log = logging.getLogger(__name__)


class DuckDBFileError(RuntimeError):
    """A DuckDB file this process cannot use; the message names the file and DuckDB's reason."""

    def __init__(self, database: str, reason: str) -> None:
        super().__init__(f"DuckDB file {database}: {reason}")
        self.database = database


class DuckDBLockTimeout(DuckDBFileError):
    """Another process kept the file's write lock for longer than the wait allowed."""


def is_lock_conflict(error: BaseException) -> bool:
    """Whether ``error`` is DuckDB refusing the file because another process holds its lock."""
    return isinstance(error, duckdb.IOException) and any(m in str(error) for m in LOCK_MESSAGES)


def _empty_file_refused(database: str, error: BaseException) -> bool:
    """Whether DuckDB refused ``database`` as invalid while it is an empty file."""
    path = Path(database)
    return (
        "not a valid DuckDB database" in str(error) and path.is_file() and not path.stat().st_size
    )


def _reason(database: str, error: BaseException) -> str:
    if _empty_file_refused(database, error):
        return f"{error} (it is empty, left by a failed first write: remove it)"
    return str(error)


def _retrying(database: str, lock_wait: float) -> Retrying:
    started = time.monotonic()

    def retryable(error: BaseException) -> bool:
        if is_lock_conflict(error):
            return True
        young = time.monotonic() - started < min(EMPTY_FILE_WAIT_SECONDS, lock_wait)
        return young and _empty_file_refused(database, error)

    def pause(state: RetryCallState) -> float:
        backoff = min(FIRST_RETRY_SECONDS * 2 ** (state.attempt_number - 1), LONGEST_RETRY_SECONDS)
        left = lock_wait - state.seconds_since_start
        return max(0.0, min(backoff * random.uniform(0.5, 1.0), left))

    def announce(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause_s = state.next_action.sleep if state.next_action else 0.0
        why = (
            "is locked by another process"
            if error is not None and is_lock_conflict(error)
            else "is empty (another process may be creating it)"
        )
        log.warning(
            f"DuckDB file {database} {why}; attempt "
            f"{state.attempt_number} after {state.seconds_since_start:.1f} s, next in "
            f"{pause_s:.2f} s, giving up after {lock_wait:g} s ({error})"
        )

    return Retrying(
        retry=retry_if_exception(retryable),
        stop=stop_after_delay(lock_wait),
        wait=pause,
        before_sleep=announce,
        reraise=True,
    )


def connect(
    database: str, config: dict[str, str] | None = None, lock_wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """A read-write connection; waits up to ``lock_wait`` s for another writer's lock only."""
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DuckDBFileError(database, f"cannot create its folder: {error}") from error
    try:
        return _retrying(database, lock_wait)(
            duckdb.connect, database=database, read_only=False, config=config or {}
        )
    except duckdb.Error as error:
        if is_lock_conflict(error):
            raise DuckDBLockTimeout(
                database, f"still locked by another process after {lock_wait:g} s: {error}"
            ) from error
        raise DuckDBFileError(database, _reason(database, error)) from error


@contextmanager
def transaction(
    database: str, config: dict[str, str] | None = None, lock_wait: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection inside one transaction (UTC session time zone); always closed.

    Errors of the statements issued here (time zone, begin, commit: where a full disk or a
    read-only folder shows) become :class:`DuckDBFileError`; the body's own errors pass as
    they are. Either way, a file this call created is removed when the transaction fails.
    """
    with removed_if_new_and_failed(database):
        connection = connect(database, config, lock_wait)
        try:
            _run(database, connection, "SET TimeZone = 'UTC'")
            _run(database, connection, "BEGIN TRANSACTION")
            try:
                yield connection
            except BaseException:
                with suppress(duckdb.Error):  # an IO failure may have invalidated it
                    connection.rollback()
                raise
            _commit(database, connection)
        finally:
            connection.close()


def _run(database: str, connection: duckdb.DuckDBPyConnection, statement: str) -> None:
    try:
        connection.execute(statement).fetchall()
    except duckdb.Error as error:
        raise DuckDBFileError(database, str(error)) from error


def _commit(database: str, connection: duckdb.DuckDBPyConnection) -> None:
    try:
        connection.commit()
    except duckdb.Error as error:
        raise DuckDBFileError(database, f"commit failed: {error}") from error
