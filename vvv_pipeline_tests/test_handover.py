"""A forked child's large result reaches its parent through a shared-memory file, unchanged
(:mod:`vvv_pipeline.handover`)."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline import handover
from vvv_pipeline.forked import forked_stream, map_forked
from vvv_pipeline.handover import ALIGNMENT, MIN_FILE_BYTES, hand, receive, shared_folder

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


def test_a_large_frame_goes_through_a_file_whose_name_is_removed_on_receipt(shm):
    frame = _ticks()
    with shared_folder() as folder:
        handed = hand(frame, folder)
        assert handed.path is not None and not handed.inline
        assert len(pickle.dumps(handed)) < 10_000  # the pipe carries the pickle and the name
        received = receive(handed)
        assert not os.path.exists(handed.path) and not list(folder.iterdir())
    assert not folder.exists()
    pd.testing.assert_frame_equal(received, frame)
    for name in ("price", "size", "aggressor", "extended_hours"):
        values = received[name].to_numpy()
        assert values.ctypes.data % ALIGNMENT == 0, name
        assert values.flags.writeable, name
    codes = received["symbol"].cat.codes.to_numpy()
    assert codes.ctypes.data % ALIGNMENT == 0
    received.loc[0, "price"] = -1.0  # copy-on-write: the parent may change what it received
    assert received.loc[0, "price"] == -1.0


def test_a_small_value_or_a_folder_that_cannot_be_written_goes_inline(shm):
    small = _ticks(rows=100)
    with shared_folder() as folder:
        inline = hand(small, folder)
        assert inline.path is None and sum(inline.sizes) < MIN_FILE_BYTES
        pd.testing.assert_frame_equal(receive(pickle.loads(pickle.dumps(inline))), small)
        large = _ticks()
        folder.rmdir()  # gone (or full): the write fails, the value still arrives
        fallback = hand(large, folder)
        assert fallback.path is None and fallback.inline
    received = receive(pickle.loads(pickle.dumps(fallback)))
    pd.testing.assert_frame_equal(received, large)
    assert received["price"].to_numpy().flags.writeable
    assert hand(large, None).path is None  # no shared memory on this platform


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
