"""DuckDB files that cannot be used fail at once, naming the file; only a held lock is waited out.

The read-only and full-disk cases use the real mechanisms (``chattr +i``, tmpfs mounts, read-only
and 1 MiB small); they need root (CI runs as root) and fail, saying why, where the system refuses
them: they are never skipped.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from vvv_pipeline.storage.duckdb_connect import (
    DuckDBFileError,
    DuckDBLockTimeout,
    is_lock_conflict,
    transaction,
)
from vvv_pipeline.storage.duckdb_new_file import removed_if_new_and_failed

FAST_SECONDS = 5.0
"""A failure that is not a lock must surface within this (the old retries took ~7 minutes)."""
BIG_TABLE = "CREATE TABLE big AS SELECT range AS x, md5(range::VARCHAR) AS s FROM range(200000)"
"""About 4 MB in a DuckDB file: far more than the 1 MiB tmpfs holds."""
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("CREATE TABLE IF NOT EXISTS held (x INTEGER)")
print("held", flush=True)
sys.stdin.readline()  # released by the test (or by its own end: stdin closed)
connection.close()
"""


def fails_fast(database: Path, write: str = "CREATE TABLE t (x INTEGER)") -> DuckDBFileError:
    """The error of one transaction on ``database``, checked to come fast and name the file."""
    started = time.monotonic()
    with pytest.raises(DuckDBFileError) as raised, transaction(str(database)) as connection:
        connection.execute(write).fetchall()
    assert time.monotonic() - started < FAST_SECONDS
    assert str(database) in str(raised.value)
    return raised.value


def make_table(database: Path, rows: int = 3) -> None:
    with transaction(str(database)) as connection:
        connection.execute(f"CREATE TABLE t AS SELECT range AS x FROM range({rows})").fetchall()


def count_rows(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM t").fetchall()[0][0]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards; fails where mounting is not allowed."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount))
    if done.returncode:
        pytest.fail(f"cannot mount a tmpfs here (run as root): {done.stderr.strip()}", False)
    try:
        yield mount
    finally:
        run("umount", "-l", str(mount))


def hold_lock(database: Path) -> subprocess.Popen[str]:
    """Another process holding ``database``'s write lock until :func:`release` (or a kill)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()


def test_a_corrupt_file_fails_at_once_and_is_left_as_it_was(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    garbage = bytes(range(256)) * 64
    database.write_bytes(garbage)
    error = fails_fast(database)
    assert "not a valid DuckDB database file" in str(error)
    assert not isinstance(error, DuckDBLockTimeout)
    assert database.read_bytes() == garbage  # not the creator's: never removed


def test_an_empty_file_says_it_was_left_by_a_failed_first_write(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    database.touch()
    assert "left by a failed first write" in str(fails_fast(database))


def test_an_empty_file_another_process_is_creating_is_waited_for(tmp_path: Path) -> None:
    """DuckDB creates a new file before it writes its header: a process opening it in between
    finds it empty, and must wait for the creator rather than fail (seen with four processes
    materializing into one new warehouse at once)."""
    database = tmp_path / "warehouse.duckdb"
    database.touch()  # the creator's first step

    def creator() -> None:
        time.sleep(0.5)
        made = tmp_path / "made.duckdb"
        create = "CREATE TABLE t AS SELECT 7 AS x"
        code = f"import duckdb, sys; duckdb.connect(sys.argv[1]).execute({create!r})"
        subprocess.run([sys.executable, "-c", code, str(made)], check=True)
        made.replace(database)  # what the creator ends with: a complete database file

    thread = threading.Thread(target=creator)
    thread.start()
    try:
        with transaction(str(database)) as connection:
            assert connection.execute("SELECT x FROM t").fetchall() == [(7,)]
    finally:
        thread.join()


def test_an_immutable_file_fails_at_once(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    make_table(database)
    done = run("chattr", "+i", str(database))
    if done.returncode:
        pytest.fail(f"chattr +i refused (run as root on ext4/tmpfs): {done.stderr.strip()}", False)
    try:
        assert "Operation not permitted" in str(fails_fast(database))
        assert count_rows(database) == 3  # reading still works, and nothing was removed
    finally:
        run("chattr", "-i", str(database))


def test_a_read_only_file_system_fails_at_once_for_new_and_existing_files(tmpfs: Path) -> None:
    existing = tmpfs / "warehouse.duckdb"
    make_table(existing)
    done = run("mount", "-o", "remount,ro", str(tmpfs))
    if done.returncode:
        pytest.fail(f"cannot remount the tmpfs read-only: {done.stderr.strip()}", False)
    assert "Read-only file system" in str(fails_fast(existing))
    assert "Read-only file system" in str(fails_fast(tmpfs / "new.duckdb"))
    assert count_rows(existing) == 3
    assert sorted(p.name for p in tmpfs.iterdir()) == ["warehouse.duckdb"]


def test_a_full_disk_fails_at_once_and_leaves_no_file(tmpfs: Path) -> None:
    database = tmpfs / "warehouse.duckdb"
    assert "No space left on device" in str(fails_fast(database, BIG_TABLE))
    assert list(tmpfs.iterdir()) == []  # the half-written first file is gone
    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * 1024 * 1024)  # tmpfs takes what fits, then the disk is full
    assert "No space left on device" in str(fails_fast(database))
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler"]  # no 0-byte file either
    filler.unlink()
    make_table(database)  # with room again, the path is usable at once
    assert count_rows(database) == 3


def test_a_full_disk_keeps_an_existing_file_and_its_rows(tmpfs: Path) -> None:
    database = tmpfs / "warehouse.duckdb"
    make_table(database)
    assert "No space left on device" in str(fails_fast(database, BIG_TABLE))
    assert count_rows(database) == 3


def test_a_failed_first_write_removes_only_the_file_it_created(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    with pytest.raises(ZeroDivisionError), transaction(str(database)) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)").fetchall()
        _ = 1 / 0
    assert not database.exists() and not Path(f"{database}.wal").exists()
    make_table(database)
    with pytest.raises(ZeroDivisionError), transaction(str(database)) as connection:
        connection.execute("INSERT INTO t VALUES (99)").fetchall()
        _ = 1 / 0
    assert count_rows(database) == 3  # an existing file stays, without the rolled-back row


def test_a_lock_held_by_another_process_is_waited_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = hold_lock(database)
    # the lock is let go 1.5 s after this process starts waiting, however busy the machine
    threading.Timer(1.5, release, [holder]).start()
    try:
        started = time.monotonic()
        logger = "vvv_pipeline.storage.duckdb_connect"
        with caplog.at_level(logging.WARNING, logger), transaction(str(database)) as connection:
            connection.execute("INSERT INTO held VALUES (1)").fetchall()
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert 0.5 < waited < 10
    retries = [r.getMessage() for r in caplog.records]
    assert retries and all(str(database) in line and "locked" in line for line in retries)
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT x FROM held").fetchall() == [(1,)]


def test_a_lock_held_past_the_wait_fails_naming_the_file(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = hold_lock(database)
    try:
        started = time.monotonic()
        with pytest.raises(DuckDBLockTimeout) as raised, transaction(str(database), lock_wait=1.0):
            pass
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert 1.0 <= waited < 1.0 + FAST_SECONDS
    assert str(database) in str(raised.value) and is_lock_conflict(raised.value.__cause__)
    assert database.exists()  # the holder's file, not this process's to remove


def test_a_file_another_process_opened_meanwhile_is_not_removed(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = None
    try:
        with pytest.raises(RuntimeError), removed_if_new_and_failed(str(database)):
            holder = hold_lock(database)  # created and locked by another process
            raise RuntimeError("this process's first write failed")
        assert database.exists()
    finally:
        if holder is not None:
            holder.kill()
            holder.wait(timeout=30)


def test_a_file_another_user_of_this_process_still_has_is_not_removed(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    with removed_if_new_and_failed(str(database)):
        with pytest.raises(RuntimeError), removed_if_new_and_failed(str(database)):
            duckdb.connect(str(database)).close()
            raise RuntimeError("one of two first writers failed")
        assert database.exists()
    assert database.exists()


def test_the_connect_module_does_not_import_dagster() -> None:
    code = "import sys, vvv_pipeline.storage.duckdb_connect; print('dagster' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
