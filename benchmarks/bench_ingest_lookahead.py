"""Source steps alone, with the next partitions prepared as ``auto`` decides, always in forked
processes, in a thread, and not ahead at all (``VVV_INGEST_LOOKAHEAD`` auto, process, thread,
off); ``auto1`` is ``auto`` with one forked process (``VVV_INGEST_PROCESSES=1``, two as shipped).

Run from the repository root:

    python benchmarks/bench_ingest_lookahead.py                       # equity ticks, 20 sessions
    python benchmarks/bench_ingest_lookahead.py --sessions 5 --rounds 2
    python benchmarks/bench_ingest_lookahead.py --hourly 120          # the main command's hours
    python benchmarks/bench_ingest_lookahead.py --sessions 20 --assets darkpool_prints \
        options_flow daily_ohlcv                                      # warehouse sources
    python benchmarks/bench_ingest_lookahead.py --cases auto auto1 thread   # some cases only

With ``--sessions``, materializes ``equity_ticks`` alone (fetch from the simulated market, four
validation tiers, quarantine, ArcticDB), or the session sources named by ``--assets``, over
the sessions up to 2025-11-21 in one run; with
``--hourly H``, the main command's hourly job (``crypto_trades`` and ``crypto_open_interest``)
over the H UTC hours up to 2025-11-26 04:00. Each run goes through a fresh on-disk instance and
data directory, the cases alternating in this one process (great-expectations off unless
``--gx``; one untimed warm-up run first). Prints each run's wall seconds, the medians and their
ratios to the first case's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
CASES = ("auto", "auto1", "process", "thread", "off")
LAST_HOUR = pd.Timestamp("2025-11-26 04:00", tz="UTC")


def materialize(assets: list[str], keys: list[str]) -> float:
    import dagster as dg

    from vvv_pipeline.defs.definitions import build_definitions
    from vvv_pipeline_tests.instance_home import write_home

    with tempfile.TemporaryDirectory() as folder:
        os.environ["VVV_DATA_DIR"] = f"{folder}/data"
        defs = build_definitions()
        job = dg.define_asset_job("step", selection=dg.AssetSelection.assets(*assets))
        job = job.resolve(asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources)
        home = write_home(Path(folder) / "dagster_home")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
            began = time.perf_counter()
            quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
            assert job.execute_in_process(instance=instance, tags=tags, run_config=quiet).success
            return time.perf_counter() - began


def hour_keys(hours: int) -> list[str]:
    first = LAST_HOUR - pd.Timedelta(hours=hours - 1)
    return [f"{t:%Y-%m-%d-%H:%M}" for t in pd.date_range(first, LAST_HOUR, freq="h")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--hourly", type=int, default=0, help="UTC hours of the hourly job")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--gx", action="store_true", help="run the great-expectations suites")
    parser.add_argument("--assets", nargs="+", default=["equity_ticks"], help="session sources")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    args = parser.parse_args()
    os.environ["VVV_GX"] = "1" if args.gx else "0"
    from bench_backfill import session_keys

    from vvv_pipeline import settings

    if args.hourly:
        assets, keys = ["crypto_trades", "crypto_open_interest"], hour_keys(args.hourly)
        what = f"{len(keys)} hours, 2 sources"
    else:
        assets, keys = args.assets, session_keys(args.sessions, "2025-11-21")
        os.environ["VVV_SESSIONS_START"] = min(keys[0], settings.default("sessions_start"))
        what = f"{len(keys)} sessions, {', '.join(assets)}"
    materialize(assets, keys[:2])  # warm-up
    seconds: dict[str, list[float]] = {case: [] for case in args.cases}
    for _ in range(args.rounds):
        for case in args.cases:
            os.environ["VVV_INGEST_LOOKAHEAD"] = "auto" if case == "auto1" else case
            os.environ["VVV_INGEST_PROCESSES"] = "1" if case == "auto1" else "2"
            seconds[case].append(materialize(assets, keys))
            print(f"  {case:>7}: {seconds[case][-1]:6.2f} s", flush=True)
    medians = {case: statistics.median(values) for case, values in seconds.items()}
    for case, median in medians.items():
        ratio = median / medians[args.cases[0]]
        print(f"median {case:>7}: {median:6.2f} s ({what}), {ratio:.2f}x {args.cases[0]}'s time")


if __name__ == "__main__":
    main()
