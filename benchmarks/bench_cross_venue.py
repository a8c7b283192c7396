"""``crypto_cross_venue``'s computation over the main command's five New York days: each venue's
open interest, value and mark put on the as-of grid with one grouping per column (the code
before) against one grouping of the three columns (``as_of_grids``).

Run from the repository root:

    python benchmarks/bench_cross_venue.py                  # 7 rounds
    python benchmarks/bench_cross_venue.py --rounds 3

The samples (every venue's 5-second open interest of the three pairs, 2026-11-30 05:00 to
2026-12-05 05:00 UTC) are simulated once, outside the timing. Timed, the two ways alternating in
this process: ``cross_venue_days`` and ``aggregate_open_interest`` of those samples, what the
asset computes. The per-column way is ``as_of_grids`` replaced by one ``as_of_grid`` grouping
per column; both ways' results are checked equal first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vvv_pipeline.analytics import cross_venue
from vvv_pipeline.providers.simulated import (
    SCALE_PRESETS,
    SimulatedMarket,
    SimulationConfig,
)
from vvv_pipeline.universe import load_universe

ONE_GROUPING = cross_venue.as_of_grids


def one_grouping_per_column(
    samples: pd.DataFrame, columns: Sequence[str], freq: str
) -> dict[str, pd.DataFrame]:
    return {column: ONE_GROUPING(samples, [column], freq)[column] for column in columns}


def computed(samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    days, venues = cross_venue.cross_venue_days(samples)
    return days, venues, cross_venue.aggregate_open_interest(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    universe = load_universe()
    market = SimulatedMarket(SimulationConfig(20240601, *SCALE_PRESETS["default"]), universe)
    start, end = (
        pd.Timestamp("2026-11-30 05:00", tz="UTC"),
        pd.Timestamp("2026-12-05 05:00", tz="UTC"),
    )
    samples = market.venue_open_interest(start, end, list(universe.crypto))
    ways = {"per column": one_grouping_per_column, "one grouping": ONE_GROUPING}
    results = {}
    for way, grids in ways.items():
        cross_venue.as_of_grids = grids
        results[way] = computed(samples)
    for before, after in zip(results["per column"], results["one grouping"], strict=True):
        pd.testing.assert_frame_equal(before, after, check_exact=True)
    times: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(args.rounds):
        for way, grids in ways.items():
            cross_venue.as_of_grids = grids
            began = time.perf_counter()
            computed(samples)
            times[way].append(time.perf_counter() - began)
    cross_venue.as_of_grids = ONE_GROUPING
    medians = {way: statistics.median(t) for way, t in times.items()}
    print(f"{len(samples):,} venue samples, 3 pairs, 5 days; medians of {args.rounds}")
    for way, seconds in medians.items():
        print(f"  {way:>12}: {seconds:.3f} s")
    print(f"  per column / one grouping: {medians['per column'] / medians['one grouping']:.2f}x")


if __name__ == "__main__":
    main()
