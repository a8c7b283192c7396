"""Resident memory of the stream store's publish path alone, without a collector.

    .venv/bin/python benchmarks/bench_stream_publish_memory.py [--flushes 4000] [--rows 50]
        [--compact-every 20]

What the collector does at each flush, in a loop: ``StreamStore.publish`` (stage, then
``sort_and_finalize_staged_data`` appending to the hour's symbol and pruning the previous
version, and every ``--compact-every`` versions ``compact_data``) of ``--rows`` trades for each
of three pairs, into a fresh LMDB store; the trades are 10 ms apart a flush, so all of them fall
in one hour. Prints the process's anonymous resident memory every 500 flushes, how many row
slices the hour's symbol of one pair ends with, and the loop's time. ``--compact-every 0``
never compacts (the store before compaction). Run it with ``MALLOC_ARENA_MAX=1`` in the
environment to see how much of the growth is glibc's per-thread arenas.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.streaming.binance_ws import staged_frame  # noqa: E402
from vvv_pipeline.streaming.store import COMPACT_EVERY, StreamStore, hour_key  # noqa: E402

PAIRS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
WARM = 500


def anon_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flushes", type=int, default=4000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--compact-every", type=int, default=COMPACT_EVERY, help="0: never compact")
    args = parser.parse_args()
    every = args.compact_every or sys.maxsize  # no version number reaches it
    store = StreamStore(f"lmdb://{tempfile.mkdtemp(prefix='vvv-publish-')}/db", compact_every=every)
    first_ms = pd.Timestamp("2025-11-25 15:00", tz="UTC").value // 1_000_000
    rows = args.rows
    samples: list[float] = []
    started = time.perf_counter()
    for flush in range(args.flushes):
        if flush and flush % WARM == 0:
            gc.collect()
            samples.append(anon_mb())
        for pair in PAIRS:
            trades = [
                (flush * rows + k, first_ms + flush * 10 + k // 10, 100.0, 1.0, 1)
                for k in range(rows)
            ]
            store.publish(pair, staged_frame(trades, 0))
    elapsed = time.perf_counter() - started
    gc.collect()
    samples.append(anon_mb())
    name = store.name(PAIRS[0], hour_key(first_ms))
    slices = store.library.compact_data_explain_plan(name).num_row_slices_before
    publishes = (args.flushes - WARM) * len(PAIRS)
    growth = samples[-1] - samples[0]
    arenas = os.environ.get("MALLOC_ARENA_MAX", "unset")
    print(
        f"{publishes} publishes after a {WARM}-flush warm-up: anonymous RSS {samples[0]:.1f} -> "
        f"{samples[-1]:.1f} MB ({growth:+.1f} MB, {growth * (1 << 20) / publishes:.0f} B a "
        f"publish); compact every {args.compact_every or 'never'}; MALLOC_ARENA_MAX={arenas}"
    )
    print(f"  anonymous RSS every {WARM} flushes (MB): " + ", ".join(f"{s:.1f}" for s in samples))
    print(
        f"  {PAIRS[0]}'s hour ends with {slices} row slices; {args.flushes} flushes in "
        f"{elapsed:.0f} s ({elapsed / args.flushes / len(PAIRS) * 1e3:.1f} ms a publish)"
    )


if __name__ == "__main__":
    main()
