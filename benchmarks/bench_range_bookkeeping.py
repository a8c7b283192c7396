"""Per-partition cost of a single-run range of small partitions: the hourly crypto sources.

Run from the repository root, optionally beside a baseline checkout of the project:

    python benchmarks/bench_range_bookkeeping.py                        # this tree, 3 runs
    git worktree add /tmp/baseline <commit>
    python benchmarks/bench_range_bookkeeping.py --baseline /tmp/baseline --repeats 3

Each run is its own Python process with the tree first on ``PYTHONPATH``, a fresh data
directory and a fresh Dagster home holding the shipped ``dagster.yaml`` (the project's SQLite
storage on disk), and materializes ``hourly_sources_job`` (crypto trades and open interest: fetch,
four validation tiers, quarantine, ArcticDB write, one materialization and four check
evaluations per partition) over ``--hours`` UTC hours in one run, with the in-process executor.
At the tiny scale (100 trades an hour per symbol, what the tests use) the data is small, so
the time is what every partition costs whatever its size: Dagster's event records, the tiers'
machinery, the write's bookkeeping. Trees run alternately; the medians and their
ratio are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from hourly_children import FIRST_HOUR, run_in_tree, tiny_hourly_job  # beside this script

ROOT = Path(__file__).resolve().parents[1]


def run_child(hours: int) -> None:
    import pandas as pd

    first = pd.Timestamp(FIRST_HOUR.replace("-00:00", " 00:00"), tz="UTC")
    last = (first + pd.Timedelta(hours=hours - 1)).strftime("%Y-%m-%d-%H:%M")
    tags = {
        "dagster/asset_partition_range_start": FIRST_HOUR,
        "dagster/asset_partition_range_end": last,
    }
    with tiny_hourly_job() as (job, instance):
        began, cpu = time.perf_counter(), time.process_time()
        assert job.execute_in_process(instance=instance, tags=tags).success
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "partitions": 2 * hours}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=168, help="UTC hours in the range")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.hours)
        return
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for repeat in range(args.repeats):
        for name, tree in trees.items():
            result = run_in_tree(__file__, tree, ["--hours", str(args.hours)])
            results[name].append(result)
            wall, cpu = result["seconds"], result["cpu"]
            print(f"run {repeat + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    partitions = 2 * args.hours
    print(f"\n{partitions} asset partitions (2 sources x {args.hours} hours), one run each")
    print("| tree | median wall | median CPU | ms per partition |")
    print("| --- | ---: | ---: | ---: |")
    medians = {}
    for name, runs in results.items():
        wall = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        medians[name] = wall
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {1000 * wall / partitions:.1f} |")
    if "baseline" in medians:
        print(f"\nbaseline / this tree: {medians['baseline'] / medians['this tree']:.2f}x")


if __name__ == "__main__":
    main()
