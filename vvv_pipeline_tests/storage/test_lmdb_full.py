"""A full LMDB filesystem: writes are refused with StorageFullError, the process and data survive.

Without the guard, a write that overflows the filesystem holding an LMDB store kills the process
(SIGSEGV or SIGABRT, nothing about space). Each scenario runs in a child process
(:mod:`vvv_pipeline_tests.storage.lmdb_full_child`) on a real 8 MiB tmpfs, so a crash is a
failed assertion here rather than a dead test worker. Mounting needs root (as in CI); where the
system refuses, the tests fail saying why: they never skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline.storage.lmdb_space import (
    MIN_FREE_ENV,
    StorageFullError,
    ensure_room,
    frame_bytes,
    min_free_bytes,
)

FS_MIB = 8
FAST_SECONDS = 5.0
CHILD = "vvv_pipeline_tests.storage.lmdb_full_child"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "fs"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={FS_MIB}m", "tmpfs", str(mount)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` refused (run as root): {done.stderr.strip()}")
    try:
        assert os.statvfs(mount).f_blocks * os.statvfs(mount).f_frsize == FS_MIB << 20
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=True)


def child(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, MIN_FREE_ENV: "1", **env}
    return subprocess.run(
        [sys.executable, "-m", CHILD, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=False,
    )


def report(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, f"child died ({done.returncode}): {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["tick", "derived", "quarantine"])
def test_a_write_that_does_not_fit_is_refused_and_the_stored_version_stays(
    small_fs: Path, kind: str
) -> None:
    refused = report(child("refuse", str(small_fs), kind))
    assert refused["error_type"] == StorageFullError.__name__, refused
    message = refused["message"]
    assert str(small_fs / "arcticdb") in message
    assert "bytes free" in message and "needs about" in message
    assert refused["seconds"] < FAST_SECONDS
    assert refused["unchanged"], "the refusing process read back something else"
    assert report(child("verify", str(small_fs), kind))["unchanged"]


def test_without_the_guard_the_same_write_takes_the_process_down(small_fs: Path) -> None:
    """The failure the guard prevents (and proof that the write above really does not fit): the
    process dies by a signal or the write fails with an I/O error; the data on disk survives."""
    done = child("unguarded", str(small_fs))
    assert "SMALL-WRITTEN" in done.stdout, done.stderr[-3000:]
    assert "succeeded" not in done.stdout
    died = done.returncode < 0 or done.returncode in (128 + 6, 128 + 11)
    assert died or "Input/output error" in done.stdout, (done.returncode, done.stdout[-2000:])
    assert report(child("verify", str(small_fs), "tick"))["unchanged"]


def test_a_source_step_fails_with_the_message_and_keeps_its_partition(
    small_fs: Path, tmp_path: Path
) -> None:
    """equity_ticks for one session fits; rewriting it 100x denser does not: the step fails
    naming the store, is not retried (a full disk is a permanent error, whatever the retry
    policy), and the first run's rows stay."""
    env = {
        "VVV_DATA_DIR": str(tmp_path / "data"),
        "VVV_ARCTIC_URI": f"lmdb://{small_fs}/arcticdb",
        "VVV_UNIVERSE": str(SHIPPED_UNIVERSE),
        "VVV_SCALE": "tiny",
        "VVV_GX": "0",
        "VVV_SOURCE_RETRY_DELAY_SECONDS": "0",  # were it retried, fast: the count says so
    }
    outcome = report(child("step", str(small_fs), **env))
    assert outcome["first_success"] and outcome["first_rows"] > 0
    assert not outcome["second_success"]
    assert len(outcome["failures"]) == 1 and outcome["retries"] == 0
    assert f"StorageFullError: LMDB store {small_fs / 'arcticdb'}" in outcome["failures"][0]
    assert outcome["unchanged"]


def test_the_margin_is_configurable_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIN_FREE_ENV, "2.5")
    assert min_free_bytes() == int(2.5 * (1 << 20))
    monkeypatch.setenv(MIN_FREE_ENV, "-1")
    with pytest.raises(ValueError, match=MIN_FREE_ENV):
        min_free_bytes()
    monkeypatch.setenv(MIN_FREE_ENV, str(1 << 40))  # a margin larger than any disk
    with pytest.raises(StorageFullError, match=str(tmp_path / "store")):
        ensure_room(f"lmdb://{tmp_path / 'store'}")
    ensure_room("s3://bucket:store?region=us-east-1")  # object stores are not checked
    monkeypatch.delenv(MIN_FREE_ENV)
    ensure_room(f"lmdb://{tmp_path / 'store'}?map_size=10GB")


def test_the_size_estimate_is_the_deep_memory_usage() -> None:
    rows = 200_000
    frame = pd.DataFrame(
        {
            "price": range(rows),
            "rule": [f"rule_{i % 7}" for i in range(rows)],
            "venue": pd.Categorical(["NYSE", "ARCA"] * (rows // 2)),
        },
        index=pd.Index([f"k{i}" for i in range(rows)], name="key"),
    )
    deep = int(frame.memory_usage(deep=True).sum())
    assert abs(frame_bytes(frame) - deep) < 0.01 * deep
