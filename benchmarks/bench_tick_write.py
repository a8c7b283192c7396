"""Tick writes to ArcticDB: the pipeline's partition write against a bare ``Library.write``.

Run from the repository root:

    python benchmarks/bench_tick_write.py                      # 10 symbols x 1M heavy ticks
    python benchmarks/bench_tick_write.py --ticks 100000       # quick smoke run

The frame is one heavy simulated session of the 10 equities (canonical, sorted by symbol and
ts). "bare" is ``set_index("ts")`` and one ``Library.write`` of that whole frame to one symbol
(index validation off since the frame is sorted by symbol first); "pipeline" is what
``equity_ticks`` does for a partition: ``set_index("ts")``, split by symbol into row slices and
one ``write_batch`` of a symbol per instrument with previous versions pruned. Both write to the
same LMDB store in one process, alternating, median of ``--repeats``. The requirement is that
the pipeline writes at no less than half the bare rate (ratio <= 2).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import pandas as pd

from vvv_pipeline.defs.assets.ingest import split_by_symbol
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.universe import load_universe

SESSION = "2025-11-24"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=1_000_000, help="trades per symbol")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    symbols = list(load_universe().equities)
    start = pd.Timestamp(SESSION, tz="America/New_York").tz_convert("UTC")
    market = SimulatedMarket(SimulationConfig(ticks_per_session=args.ticks))
    built = time.perf_counter()
    frame = market.fetch("equity_ticks", start, start + pd.Timedelta(days=1), symbols)
    print(f"built {len(frame):,} ticks in {time.perf_counter() - built:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        store = ArcticStore(f"lmdb://{folder}/arctic")
        bare_lib = store.library("bare")
        bare, ours = [], []
        for _ in range(args.repeats):
            began = time.perf_counter()
            # the multi-symbol frame is sorted by (symbol, ts), not by ts alone
            bare_lib.write(
                "equity_all",
                frame.set_index("ts"),
                prune_previous_versions=True,
                validate_index=False,
            )
            bare.append(time.perf_counter() - began)
            began = time.perf_counter()
            # exactly what equity_ticks does with a validated partition (assets/sources.py)
            parts = split_by_symbol(frame.set_index("ts"), symbols)
            store.write_partition("equity", SESSION, parts)
            ours.append(time.perf_counter() - began)
        back = store.read_partitions("equity", symbols, [SESSION], frame_schema())
        assert len(back) == len(frame), "the pipeline write lost rows"
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"rows: {len(frame):,}, median of {args.repeats}")
    print(
        f"bare Library.write (one symbol)        {b:.3f} s  ({len(frame) / b / 1e6:.1f} M rows/s)"
    )
    print(
        f"pipeline partition write (10 symbols)  {o:.3f} s  ({len(frame) / o / 1e6:.1f} M rows/s)"
    )
    print(f"pipeline / bare time ratio             {o / b:.2f} (requirement <= 2)")


def frame_schema():
    from vvv_pipeline.schemas import EQUITY_TICKS

    return EQUITY_TICKS


if __name__ == "__main__":
    main()
