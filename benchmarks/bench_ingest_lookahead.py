"""The ingest step alone, with the next partition prepared in a thread and without.

Run from the repository root:

    python benchmarks/bench_ingest_lookahead.py                 # 20 sessions, 4 rounds
    python benchmarks/bench_ingest_lookahead.py --sessions 5 --rounds 2

Materializes ``equity_ticks`` alone (fetch from the simulated market, four validation tiers,
quarantine, ArcticDB) over the sessions up to 2025-11-21 in one run, through a fresh on-disk
instance and data directory each time, with ``VVV_INGEST_LOOKAHEAD`` true and false alternately
in this one process (great-expectations off, as in ``bench_backfill``; one untimed warm-up run
first). Prints each run's wall seconds and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def materialize(keys: list[str]) -> float:
    import dagster as dg

    from vvv_pipeline.defs.definitions import build_definitions
    from vvv_pipeline_tests.instance_home import write_home

    with tempfile.TemporaryDirectory() as folder:
        os.environ["VVV_DATA_DIR"] = f"{folder}/data"
        defs = build_definitions()
        job = dg.define_asset_job("ticks", selection=dg.AssetSelection.assets("equity_ticks"))
        job = job.resolve(asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources)
        home = write_home(Path(folder) / "dagster_home")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
            began = time.perf_counter()
            assert job.execute_in_process(instance=instance, tags=tags).success
            return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    os.environ["VVV_GX"] = "0"
    from bench_backfill import session_keys

    from vvv_pipeline import settings

    keys = session_keys(args.sessions, "2025-11-21")
    os.environ["VVV_SESSIONS_START"] = min(keys[0], settings.default("sessions_start"))
    materialize(keys[:2])  # warm-up
    seconds: dict[str, list[float]] = {"lookahead": [], "one after the other": []}
    for _ in range(args.rounds):
        for case in seconds:
            os.environ["VVV_INGEST_LOOKAHEAD"] = "true" if case == "lookahead" else "false"
            seconds[case].append(materialize(keys))
            print(f"  {case:>20}: {seconds[case][-1]:6.2f} s", flush=True)
    medians = {case: statistics.median(values) for case, values in seconds.items()}
    for case, median in medians.items():
        print(f"median {case:>20}: {median:6.2f} s ({len(keys)} sessions)")
    ratio = medians["one after the other"] / medians["lookahead"]
    print(f"one after the other / lookahead: {ratio:.2f}x")


if __name__ == "__main__":
    main()
