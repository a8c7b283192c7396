"""What a publish costs against an hour's symbol that already holds many row slices.

    .venv/bin/python benchmarks/bench_stream_slices.py [--slices 100 1000 5000 10000 20000 36000]

For each count S, a symbol of S row slices is written at once (a library whose
``rows_per_segment`` is 10, so 10·S rows make S slices), then a publish's two ArcticDB calls
(``stage`` of 10 rows, ``sort_and_finalize_staged_data`` appending them and pruning the previous
version, as :meth:`~vvv_pipeline.streaming.store.StreamStore.settle` does) are timed 40 times,
with the process's anonymous resident memory before and after. Settled at every flush (ten a
second), an hour's symbol reaches 36,000 slices a pair by its end when nothing compacts it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import arcticdb as adb
import numpy as np
import pandas as pd
from arcticdb.version_store.library import StagedDataFinalizeMethod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.streaming.binance_ws import staged_frame  # noqa: E402

ROWS = 10
"""Rows per slice, and per publish."""
FIRST_MS = pd.Timestamp("2025-11-25 15:00", tz="UTC").value // 1_000_000


def anon_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def trades(first_id: int, count: int) -> pd.DataFrame:
    ids = range(first_id, first_id + count)
    return staged_frame([(i, FIRST_MS + i, 100.0, 1.0, 1) for i in ids], 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, nargs="+", default=[100, 1000, 5000, 10000, 36000])
    parser.add_argument("--publishes", type=int, default=40)
    args = parser.parse_args()
    arctic = adb.Arctic(f"lmdb://{tempfile.mkdtemp(prefix='vvv-slices-')}/db")
    lib = arctic.create_library("s", library_options=adb.LibraryOptions(rows_per_segment=ROWS))
    for slices in args.slices:
        name = f"sym{slices}"
        lib.write(name, trades(0, slices * ROWS))
        next_id = slices * ROWS
        before = anon_mb()
        times = []
        for _ in range(args.publishes):
            started = time.perf_counter()
            lib.stage(name, trades(next_id, ROWS))
            lib.sort_and_finalize_staged_data(
                name, StagedDataFinalizeMethod.APPEND, prune_previous_versions=True
            )
            times.append(time.perf_counter() - started)
            next_id += ROWS
        ms = np.array(times) * 1e3
        print(
            f"{slices:>6} slices: publish median {np.median(ms):.1f} ms, p90 "
            f"{np.percentile(ms, 90):.1f} ms; anonymous RSS {before:.1f} -> {anon_mb():.1f} MB",
            flush=True,
        )
        lib.delete(name)


if __name__ == "__main__":
    main()
