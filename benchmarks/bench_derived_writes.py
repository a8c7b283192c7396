"""A derived chunk's write: one ArcticDB call per series (the code before) against
``DerivedStore.replace_window``'s batches (one ``write_batch`` of the new series, one
``update_batch`` of the existing ones).

Run from the repository root:

    python benchmarks/bench_derived_writes.py                 # 50 series x 7,800 rows, 7 rounds
    python benchmarks/bench_derived_writes.py --series 10 --rows 400

The frames are a 20-session chunk of the 1-minute time bars' shape (``--series`` symbols of
``--rows`` rows, eight float columns, a UTC ``ts`` index). Each round writes them into a fresh
LMDB library (every series new), then writes the same window again (every series updated),
once per way, the ways alternating. Printed: the median seconds of each pass and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.storage.arctic import library_lock  # noqa: E402
from vvv_pipeline.storage.derived import DerivedStore  # noqa: E402

LIBRARY = "bars_time_bars"


def chunk(series: int, rows: int) -> tuple[dict[str, pd.DataFrame], pd.Timestamp, pd.Timestamp]:
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2025-10-27", tz="UTC")
    index = pd.Index(start + pd.to_timedelta(np.arange(rows), unit="min"), name="ts")
    columns = ("open", "high", "low", "close", "volume", "vwap", "trades", "dollar")
    frames = {
        f"SYM{i:03d}/1min": pd.DataFrame({c: rng.random(rows) for c in columns}, index=index)
        for i in range(series)
    }
    return frames, start, index[-1] + pd.Timedelta(minutes=1)


def one_call_per_series(
    store: DerivedStore, frames: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """``replace_window`` as it was: ``has_symbol``, then ``update`` or ``write``, per series."""
    lib = store.library(LIBRARY)
    last = end - pd.Timedelta(1, "ns")
    with library_lock(store.uri, LIBRARY, writing=frames.values()):
        for symbol, frame in frames.items():
            if lib.has_symbol(symbol):
                lib.update(symbol, frame, date_range=(start, last))
            else:
                lib.write(symbol, frame)


def batched(
    store: DerivedStore, frames: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> None:
    store.replace_window(LIBRARY, frames, start, end)


WAYS = {"one call per series": one_call_per_series, "batched": batched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--rows", type=int, default=20 * 390)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    frames, start, end = chunk(args.series, args.rows)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for way, write in WAYS.items():
            with tempfile.TemporaryDirectory() as folder:
                store = DerivedStore(f"lmdb://{folder}/arcticdb")
                store.library(LIBRARY)  # created outside the timing
                for phase in ("new", "update"):
                    began = time.perf_counter()
                    write(store, frames, start, end)
                    times.setdefault((way, phase), []).append(time.perf_counter() - began)
    print(f"{args.series} series x {args.rows:,} rows, medians of {args.rounds}")
    for phase in ("new", "update"):
        before = statistics.median(times[("one call per series", phase)])
        after = statistics.median(times[("batched", phase)])
        print(
            f"  {phase:>6}: one call per series {before:.3f} s, batched {after:.3f} s "
            f"({before / after:.2f}x)"
        )


if __name__ == "__main__":
    main()
