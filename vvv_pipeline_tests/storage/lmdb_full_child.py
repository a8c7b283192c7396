"""Writes that do not fit a small filesystem, in a process of their own.

A full LMDB filesystem kills the writing process (SIGSEGV or SIGABRT), so every scenario runs
here, in a child, and reports one JSON line on stdout; the test judges it and the exit status.

``python -m vvv_pipeline_tests.storage.lmdb_full_child MODE MOUNT [KIND]``

- ``refuse MOUNT KIND``: store a small frame, then try a frame larger than the filesystem in the
  same place (KIND ``tick``, ``derived`` or ``quarantine``); report the error, its delay and
  whether the small frame reads back unchanged in this same process afterwards.
- ``verify MOUNT KIND``: in a fresh process, does the small frame read back unchanged?
- ``unguarded MOUNT``: the same large tick write with the free-space guard switched off, to show
  what the guard prevents (the process dies, or the write fails with an I/O error).
- ``step MOUNT``: materialize ``equity_ticks`` for one session at tiny scale, then again denser
  than the filesystem holds and with another seed; report the run's failure and whether the
  first run's partition is still what is stored.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SESSION = "2025-11-24"
SMALL_ROWS = 2_000
LARGE_ROWS = 400_000
"""Four float64 columns of random values, ten a second (inside one day's window): 12.8 MB that
do not compress, on an 8 MiB tmpfs."""
DERIVED_LIBRARY = "bars_time_bars"
DERIVED_SYMBOL = "AAPL/1min"


def uri(mount: Path) -> str:
    return f"lmdb://{mount}/arcticdb"


def frame(rows: int, seed: int, every: str = "1s") -> pd.DataFrame:
    """Random, incompressible rows from the session's UTC midnight (``ts`` index)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(pd.Timestamp(SESSION, tz="UTC"), periods=rows, freq=every, name="ts")
    data = {name: rng.random(rows) for name in ("price", "bid", "ask", "size")}
    return pd.DataFrame(data, index=index)


def window() -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(SESSION, tz="UTC")
    return start, start + pd.Timedelta(days=1)


def store(mount: Path, kind: str, rows: pd.DataFrame) -> None:
    """Write ``rows`` where ``kind`` writes: a tick partition, a derived window, a quarantine."""
    from vvv_pipeline.storage.arctic import ArcticStore
    from vvv_pipeline.storage.derived import DerivedStore
    from vvv_pipeline.storage.quarantine import QuarantineStore

    if kind == "tick":
        ArcticStore(uri(mount)).write_partition("equity", SESSION, {"AAPL": rows})
    elif kind == "derived":
        DerivedStore(uri(mount)).replace_window(DERIVED_LIBRARY, {DERIVED_SYMBOL: rows}, *window())
    elif kind == "quarantine":
        rules = pd.Series("price_positive", index=range(len(rows)))
        QuarantineStore(uri(mount)).replace_partition(
            "equity_ticks", SESSION, rows.reset_index(), rules, "run"
        )
    else:
        raise SystemExit(f"unknown kind {kind!r}")


def read_back(mount: Path, kind: str) -> pd.DataFrame:
    """What ``kind`` holds now, as the frame it was given."""
    from vvv_pipeline.storage.arctic import ArcticStore
    from vvv_pipeline.storage.derived import DerivedStore
    from vvv_pipeline.storage.quarantine import QuarantineStore

    if kind == "tick":
        return ArcticStore(uri(mount)).library("tick_data").read(f"equity/AAPL/{SESSION}").data
    if kind == "derived":
        rows = DerivedStore(uri(mount)).read(DERIVED_LIBRARY, [DERIVED_SYMBOL])
        return rows.drop(columns="key").set_index("ts")
    rows = QuarantineStore(uri(mount)).read("equity_ticks", SESSION)
    return rows.set_index("ts")[["price", "bid", "ask", "size"]]


def unchanged(mount: Path, kind: str) -> bool:
    try:
        stored = read_back(mount, kind)
        pd.testing.assert_frame_equal(stored, frame(SMALL_ROWS, 1), check_freq=False)
    except AssertionError:
        return False
    return True


def large() -> pd.DataFrame:
    """Larger than the filesystem, in the small frame's partition window (a replacement)."""
    return frame(LARGE_ROWS, 2, every="100ms")


def refuse(mount: Path, kind: str) -> dict[str, object]:
    store(mount, kind, frame(SMALL_ROWS, 1))
    started = time.monotonic()
    try:
        store(mount, kind, large())
    except Exception as error:  # judged by the test: the type and message are reported
        return {
            "error_type": type(error).__name__,
            "message": str(error),
            "seconds": time.monotonic() - started,
            "unchanged": unchanged(mount, kind),
        }
    return {"error_type": None, "seconds": time.monotonic() - started}


def unguarded(mount: Path) -> dict[str, object]:
    import vvv_pipeline.storage.arctic as arctic

    arctic.ensure_room = lambda *_args, **_kwargs: None  # the guard, switched off
    store(mount, "tick", frame(SMALL_ROWS, 1))
    print("SMALL-WRITTEN", flush=True)
    try:
        store(mount, "tick", large())
    except Exception as error:
        print(f"WRITE-FAILED {type(error).__name__}: {error}", flush=True)
        # what a step worker does next: more ArcticDB calls in the same process
        return {"after_failure_read_unchanged": unchanged(mount, "tick")}
    return {"write": "succeeded"}


def step(mount: Path) -> dict[str, object]:
    import dagster as dg

    from vvv_pipeline_tests.assets.helpers import materialize_alone, stored_partition

    first = materialize_alone("equity_ticks", [SESSION], [])
    before = stored_partition("equity_ticks", SESSION)
    second = materialize_alone(
        "equity_ticks", [SESSION], [], seed=7, ticks_per_session=50_000, scale="tiny"
    )
    events = second.all_events
    failures = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    retries = [e for e in events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    after = stored_partition("equity_ticks", SESSION)
    return {
        "first_success": first.success,
        "first_rows": len(before),
        "second_success": second.success,
        "failures": [e.step_failure_data.error.to_string() for e in failures],
        "retries": len(retries),
        "unchanged": before.equals(after),
    }


def main(argv: list[str]) -> None:
    mode, mount = argv[0], Path(argv[1])
    if mode == "refuse":
        report = refuse(mount, argv[2])
    elif mode == "verify":
        report = {"unchanged": unchanged(mount, argv[2])}
    elif mode == "unguarded":
        report = unguarded(mount)
    elif mode == "step":
        report = step(mount)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
