"""Single-run backfills of ticks -> bars -> metadata tiers, and their cost per partition.

Run from the repository root:

    python benchmarks/bench_backfill.py --sessions 20      # single run vs 20 one-partition runs
    python benchmarks/bench_backfill.py --sessions 252 --single-only   # a year in one run

Each case runs in a fresh temporary data directory and an ephemeral Dagster instance, at the
default simulated density (20,000 trades per symbol-session, 10 equities), materializing
``equity_ticks`` (fetch, four validation tiers, ArcticDB), ``equity_time_bars``,
``equity_event_bars`` and ``equity_metadata_tier1/2`` in process. Tier 3 is left out: it also
needs the dark-pool, options and calendar-day news sources, which a job over one partitions
definition cannot hold. The great-expectations suites are off (``VVV_GX=0``): they document,
they are not part of the ticks -> bars -> tiers path. One untimed warm-up partition runs first
(calendar, price anchors, numba cache, imports).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import dagster as dg

from vvv_pipeline.calendars import sessions_between

ASSETS = [
    "equity_ticks",
    "equity_time_bars",
    "equity_event_bars",
    "equity_metadata_tier1",
    "equity_metadata_tier2",
]
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def _job(defs: dg.Definitions):
    job = dg.define_asset_job("backfill", selection=dg.AssetSelection.assets(*ASSETS))
    return job.resolve(asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources)


def run_case(keys: list[str], one_per_run: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["VVV_DATA_DIR"] = folder
        from vvv_pipeline.defs.definitions import build_definitions

        job = _job(build_definitions())
        began = time.perf_counter()
        with dg.DagsterInstance.ephemeral() as instance:
            batches = [[k] for k in keys] if one_per_run else [keys]
            for batch in batches:
                tags = dict(zip(RANGE_TAGS, (batch[0], batch[-1]), strict=True))
                assert job.execute_in_process(instance=instance, tags=tags).success
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--end", default="2025-11-21", help="last session of the range")
    parser.add_argument("--single-only", action="store_true")
    args = parser.parse_args()
    os.environ["VVV_GX"] = "0"
    os.environ["VVV_SCALE"] = "default"
    days = sessions_between("2020-01-01", args.end)[-args.sessions :]
    keys = [d.strftime("%Y-%m-%d") for d in days]
    ticks = len(keys) * 10 * 20_000
    run_case(keys[:1], one_per_run=False)  # warm-up: calendar, anchors, numba cache, imports
    single = run_case(keys, one_per_run=False)
    print(f"{len(keys)} sessions {keys[0]}..{keys[-1]}, {ticks:,} ticks, 10 equities")
    print(f"single run:          {single:7.1f} s  {single / len(keys):.2f} s/partition")
    print(f"                     {ticks / single:,.0f} ticks/s through ticks -> bars -> tiers")
    if not args.single_only:
        multi = run_case(keys, one_per_run=True)
        print(f"one run per session: {multi:7.1f} s  {multi / len(keys):.2f} s/partition")
        print(f"cost ratio (one-per-run / single-run): {multi / single:.2f}")


if __name__ == "__main__":
    main()
