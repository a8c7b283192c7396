"""Metadata tiers 1 and 2 of one session's ticks: pandas' grouped median and quantile (the code
before) against each group's own partition and sort (``group_medians``, ``group_quantiles``),
and every stored column against the columns each tier reads (``READS``).

Run from the repository root:

    python benchmarks/bench_tier_groups.py                  # 5 sessions, 7 rounds
    python benchmarks/bench_tier_groups.py --rounds 3

Each session's ten equities (200,000 ticks at the default density) are simulated, validated and
stacked as a derived asset reads them (``stack_partitions``), outside the timing. Timed, the ways
alternating in this process: ``tier1_summary`` and ``tier2_microstructure`` of every session,
and the stacking itself of every stored column or of each tier's. The pandas way is the tiers
with ``group_medians`` and ``group_quantiles`` replaced by pandas' groupings; the results of
every way are checked equal first.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import call_times  # benchmarks/timing.py, beside this script

from vvv_pipeline.defs.assets.ingest import split_by_symbol
from vvv_pipeline.defs.partitions import session_partitions, window_utc
from vvv_pipeline.metadata_tiers import (
    TIER1_READS,
    TIER2_READS,
    tier1_summary,
    tier2_microstructure,
)
from vvv_pipeline.metadata_tiers.windows import group_medians, group_quantiles
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SCALE_PRESETS, SimulatedMarket, SimulationConfig
from vvv_pipeline.schemas import EQUITY_TICKS
from vvv_pipeline.storage.arctic import ts_indexed
from vvv_pipeline.storage.tick_frames import stack_partitions
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.gate import validate_partition

SESSIONS = ["2025-11-17", "2025-11-18", "2025-11-19", "2025-11-20", "2025-11-21"]
# the modules (the package exports their functions under the same names)
TIER1 = importlib.import_module("vvv_pipeline.metadata_tiers.tier1_summary")
TIER2 = importlib.import_module("vvv_pipeline.metadata_tiers.tier2_microstructure")


def pandas_medians(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    return pd.Series(values).groupby(codes).median().reindex(range(groups)).to_numpy()


def pandas_quantiles(codes: np.ndarray, values: np.ndarray, groups: int, qs) -> np.ndarray:
    return pd.Series(values).groupby(codes).quantile(list(qs)).unstack().to_numpy()


def use(medians, quantiles) -> None:
    TIER1.group_medians = medians
    TIER2.group_quantiles = quantiles


def stored_frames(market: SimulatedMarket, symbols: list[str], session: str) -> list:
    """The session's per-symbol frames as ArcticDB returns them (ts-indexed, sorted)."""
    window = window_utc(session_partitions().time_window_for_partition_key(session))
    frame = market.fetch(Source.EQUITY_TICKS, *window, symbols)
    clean = validate_partition(frame, "equity_ticks", window, symbols).clean
    parts = split_by_symbol(ts_indexed(clean), symbols)
    return [parts[symbol] for symbol in sorted(symbols) if len(parts[symbol])]


def tiers(stacked: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    return [
        tier(stacked[session], "equity_ticks", session)
        for session in SESSIONS
        for tier in (tier1_summary, tier2_microstructure)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    universe = load_universe()
    symbols = list(universe.equities)
    market = SimulatedMarket(SimulationConfig(20240601, *SCALE_PRESETS["default"]), universe)
    frames = {session: stored_frames(market, symbols, session) for session in SESSIONS}
    stacked = {s: stack_partitions(f, EQUITY_TICKS) for s, f in frames.items()}
    ways = {
        "pandas groupings": (pandas_medians, pandas_quantiles),
        "own sorts": (group_medians, group_quantiles),
    }
    results = {}
    for way, helpers in ways.items():
        use(*helpers)
        results[way] = tiers(stacked)
    for before, after in zip(*results.values(), strict=True):
        pd.testing.assert_frame_equal(before, after, check_exact=True)
    narrow = {1: TIER1_READS, 2: TIER2_READS}
    for session in SESSIONS:
        for number, tier in ((1, tier1_summary), (2, tier2_microstructure)):
            few = stack_partitions(frames[session], EQUITY_TICKS, narrow[number])
            want = tier(stacked[session], "equity_ticks", session)
            pd.testing.assert_frame_equal(
                tier(few, "equity_ticks", session), want, check_exact=True
            )

    times: dict[str, list[float]] = {way: [] for way in ways}
    stacks: dict[str, list[float]] = {"every column": [], "each tier's": []}
    for _ in range(args.rounds):
        for way, helpers in ways.items():
            use(*helpers)
            times[way] += call_times(lambda _call: tiers(stacked), 1)
        stacks["every column"] += call_times(
            lambda _call: [
                stack_partitions(f, EQUITY_TICKS) for f in frames.values() for _ in "12"
            ],
            1,
        )
        stacks["each tier's"] += call_times(
            lambda _call: [
                stack_partitions(f, EQUITY_TICKS, columns)
                for f in frames.values()
                for columns in narrow.values()
            ],
            1,
        )
    use(group_medians, group_quantiles)
    rows = sum(len(frame) for frame in stacked.values())
    print(f"{len(SESSIONS)} sessions, {rows:,} ticks; medians of {args.rounds} rounds")
    medians = {way: statistics.median(t) for way, t in times.items()}
    for way, value in medians.items():
        print(
            f"  tiers 1 and 2, {way:>16}: {value:.3f} s "
            f"({value / len(SESSIONS) * 1e3:.1f} ms a session)"
        )
    print(f"  pandas / own sorts: {medians['pandas groupings'] / medians['own sorts']:.2f}x")
    stacked_medians = {way: statistics.median(t) for way, t in stacks.items()}
    for way, value in stacked_medians.items():
        print(f"  stacking for both tiers, {way:>12}: {value:.3f} s")
    ratio = stacked_medians["every column"] / stacked_medians["each tier's"]
    print(f"  every column / each tier's: {ratio:.2f}x")


if __name__ == "__main__":
    main()
