"""What receiving a forked child's result costs the receiving process: through the pipe (the
result pickled in band, as before) against :mod:`vvv_pipeline.handover` (arrays through a
shared-memory file).

Run from the repository root:

    python benchmarks/bench_handover.py                    # one session of 10 equities, 20x
    python benchmarks/bench_handover.py --rows 9000 --repeats 50

The result is a session of simulated equity ticks as a source's forked process prepares it
(``--rows`` trades over 10 equities, canonical columns). A forked child sends it ``--repeats``
times, one after the other, each way alternately; the parent's CPU seconds (``process_time``)
and wall seconds per result are medians over three rounds of ``--repeats``. The parent touches
every column of what it received (a sum), as the ArcticDB write that follows does.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.handover import hand, receive, shared_folder  # noqa: E402
from vvv_pipeline.providers.simulated import SimulatedMarket  # noqa: E402


def session(rows: int) -> pd.DataFrame:
    market = SimulatedMarket()
    symbols = list(market.universe.equities)
    start = pd.Timestamp("2025-11-20 14:00", tz="UTC")
    frame = market.fetch("equity_ticks", start, start + pd.Timedelta(hours=15), symbols)
    return frame.iloc[np.linspace(0, len(frame) - 1, rows).astype(int)].reset_index(drop=True)


def _touch(frame: pd.DataFrame) -> None:
    for name in frame.columns:
        values = frame[name].to_numpy() if frame[name].dtype.kind in "fiub" else None
        if values is not None:
            values.sum()


def _send_all(frame: pd.DataFrame, repeats: int, writer, folder: Path | None, way: str) -> None:
    for _ in range(repeats):
        writer.send(frame if way == "pipe" else hand(frame, folder))
    writer.close()
    os._exit(0)


def one_round(frame: pd.DataFrame, repeats: int, way: str) -> tuple[float, float]:
    """Parent CPU and wall seconds per result received ``way`` (pipe or handover)."""
    context = multiprocessing.get_context("fork")
    with shared_folder() as folder:
        reader, writer = context.Pipe(duplex=False)
        child = context.Process(target=_send_all, args=(frame, repeats, writer, folder, way))
        child.start()
        writer.close()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeats):
            received = reader.recv()
            _touch(received if way == "pipe" else receive(received))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        child.join()
        reader.close()
    return cpu / repeats, wall / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    frame = session(args.rows)
    assert receive(hand(frame, None)).equals(frame)
    with shared_folder() as folder:
        assert receive(hand(frame, folder)).equals(frame)
    size = sum(column.nbytes for _, column in frame.items()) / 1e6
    print(f"{len(frame):,} rows, {size:.1f} MB of arrays; parent per result, medians of 3 rounds")
    figures: dict[str, list[tuple[float, float]]] = {"pipe": [], "handover": []}
    for _ in range(3):
        for way in figures:
            figures[way].append(one_round(frame, args.repeats, way))
    medians = {}
    for way, runs in figures.items():
        cpu = statistics.median(c for c, _ in runs) * 1e3
        wall = statistics.median(w for _, w in runs) * 1e3
        medians[way] = cpu
        print(f"  {way:>8}: CPU {cpu:6.2f} ms, wall {wall:6.2f} ms")
    print(f"  pipe / handover CPU: {medians['pipe'] / medians['handover']:.1f}x")


if __name__ == "__main__":
    main()
