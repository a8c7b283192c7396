"""Resident memory of the stream store's publish path alone, without a collector.

    .venv/bin/python benchmarks/bench_stream_publish_memory.py [--flushes 4000] [--rows 50]

What the collector does at each flush, in a loop: ``StreamStore.publish`` (stage, then
``sort_and_finalize_staged_data`` appending to the hour's symbol and pruning the previous
version) of ``--rows`` trades for each of three pairs, into a fresh LMDB store. Prints the
process's anonymous resident memory after 500 flushes and at the end, and how much of the
growth Python's own allocations account for (``tracemalloc``, same span). Run it with
``MALLOC_ARENA_MAX=1`` in the environment to see how much of the growth is glibc's per-thread
arenas.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.streaming.binance_ws import staged_frame  # noqa: E402
from vvv_pipeline.streaming.store import StreamStore  # noqa: E402

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
    args = parser.parse_args()
    store = StreamStore(f"lmdb://{tempfile.mkdtemp(prefix='vvv-publish-')}/db")
    first_ms = pd.Timestamp("2025-11-25 15:00", tz="UTC").value // 1_000_000
    rows = args.rows
    before = traced = None
    for flush in range(args.flushes):
        if flush == WARM:
            gc.collect()
            tracemalloc.start()
            before, traced = anon_mb(), tracemalloc.get_traced_memory()[0]
        for pair in PAIRS:
            trades = [
                (flush * rows + k, first_ms + flush * 10 + k // 10, 100.0, 1.0, 1)
                for k in range(rows)
            ]
            store.publish(pair, staged_frame(trades, 0))
    gc.collect()
    after = anon_mb()
    python = (tracemalloc.get_traced_memory()[0] - (traced or 0)) / (1 << 20)
    publishes = (args.flushes - WARM) * len(PAIRS)
    arenas = os.environ.get("MALLOC_ARENA_MAX", "unset")
    print(
        f"{publishes} publishes after a {WARM}-flush warm-up: anonymous RSS {before:.1f} -> "
        f"{after:.1f} MB ({after - (before or 0):+.1f} MB, "
        f"{(after - (before or 0)) * (1 << 20) / publishes:.0f} B a publish); "
        f"Python allocations {python:+.2f} MB; MALLOC_ARENA_MAX={arenas}"
    )


if __name__ == "__main__":
    main()
