"""A forked child's large result reaches its parent through a shared-memory file, unchanged
(:mod:`vvv_pipeline.handover`)."""

import gc
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline import handover
from vvv_pipeline.forked import forked_stream, map_forked
from vvv_pipeline.handover import MIN_FILE_BYTES, hand, receive, shared_folder

ROWS = 100_001  # odd: the int8 and bool columns end off the alignment


def _ticks(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2026-01-02 14:30", periods=rows, freq="ms", tz="UTC"),
            "symbol": pd.Categorical.from_codes(rng.integers(0, 3, rows), ["A", "B", "C"]),
            "price": rng.random(rows),
            "size": rng.integers(1, 1000, rows),
            "aggressor": rng.integers(-1, 2, rows).astype(np.int8),
            "extended_hours": rng.random(rows) < 0.5,
        }
    )


@pytest.fixture
def shm(tmp_path, monkeypatch):
    """A private stand-in for ``/dev/shm`` (a tmpfs there; any folder works the same)."""
    monkeypatch.setattr(handover, "SHARED_MEMORY", tmp_path)
    return tmp_path


def _files(handed) -> list[str]:
    return [b for b in handed.buffers if isinstance(b, str)]


def test_a_large_frame_goes_through_files_whose_names_are_removed_on_receipt(shm):
    frame = _ticks()
    with shared_folder() as folder:
        handed = hand(frame, folder)
        # price, size and ts (8 bytes a row) in files; the codes, int8 and bool columns inline
        assert len(_files(handed)) == 3
        assert len(pickle.dumps(handed)) < 4 * ROWS  # three one-byte columns inline, names
        received = receive(handed)
        assert not any(os.path.exists(path) for path in _files(handed))
        assert not list(folder.iterdir())
    assert not folder.exists()
    pd.testing.assert_frame_equal(received, frame)
    for name in ("ts", "price", "size", "aggressor", "extended_hours"):
        assert received[name].to_numpy().flags.writeable, name
    received.loc[0, "price"] = -1.0  # copy-on-write: the parent may change what it received
    assert received.loc[0, "price"] == -1.0


def test_an_array_kept_holds_its_own_file_only(shm):
    """A column kept (the tick cache keeps a partition's columns, a check keeps a small table)
    maps its own file only: the rest of the result is freed with the rest of the result."""
    with shared_folder() as folder:
        received = receive(hand(_ticks(), folder))
        kept = received["price"].to_numpy()[:10]  # a view, as the cache's row slices are
        del received
        gc.collect()
        mapped = [line for line in Path("/proc/self/maps").read_text().splitlines()]
        ours = [line for line in mapped if str(folder) in line]
        assert len(ours) == 1, ours  # the price column's file, nothing else
        assert kept[0] >= 0.0


def test_a_small_value_or_a_folder_that_cannot_be_written_goes_inline(shm):
    small = _ticks(rows=100)
    with shared_folder() as folder:
        inline = hand(small, folder)
        assert not _files(inline) and all(len(b) < MIN_FILE_BYTES for b in inline.buffers)
        pd.testing.assert_frame_equal(receive(pickle.loads(pickle.dumps(inline))), small)
        large = _ticks()
        folder.rmdir()  # gone (or full): the write fails, the value still arrives
        fallback = hand(large, folder)
        assert not _files(fallback)
    received = receive(pickle.loads(pickle.dumps(fallback)))
    pd.testing.assert_frame_equal(received, large)
    assert received["price"].to_numpy().flags.writeable
    assert not _files(hand(large, None))  # no shared memory on this platform


def test_folders_of_processes_that_no_longer_run_are_removed(shm):
    gone = shm / f"{handover.PREFIX}999999999-abc"  # no such pid
    gone.mkdir()
    (gone / "left").write_bytes(b"x")
    alive = shm / f"{handover.PREFIX}{os.getppid()}-abc"
    alive.mkdir()
    with shared_folder() as folder:
        assert folder.name.startswith(f"{handover.PREFIX}{os.getpid()}-")
        assert not gone.exists() and alive.exists()
    assert not folder.exists()


def _part(seed: int) -> pd.DataFrame:
    return _ticks(seed=seed)


@pytest.mark.parametrize("children", [1, 2])
def test_forked_children_hand_their_frames_over_and_leave_nothing_behind(shm, children):
    with forked_stream(_part, [1, 2, 3], children) as results:
        for seed, frame in results:
            pd.testing.assert_frame_equal(frame, _ticks(seed=seed))
    frames = map_forked(_part, [4, 5], 2)
    pd.testing.assert_frame_equal(frames[1], _ticks(seed=5))
    assert not list(shm.iterdir())
