"""Per-run cost of one-partition runs: what the hourly schedule launches every hour.

Run from the repository root, optionally beside a baseline checkout of the project:

    python benchmarks/bench_partition_runs.py                        # this tree, 3 processes
    git worktree add /tmp/baseline <commit>
    python benchmarks/bench_partition_runs.py --baseline /tmp/baseline --repeats 3

Each process (the tree first on ``PYTHONPATH``, a fresh data directory and a fresh Dagster home
holding the shipped ``dagster.yaml``: the project's SQLite storage on disk) materializes
``hourly_sources_job`` at the tiny scale for ``--runs`` consecutive UTC hours, one run per
hour, with ``execute_in_process``, and reports the median wall time of a run (the first one
left out: it compiles and opens what later runs reuse). Per run: the run's creation (its
planned events), its new event-log database, resource setup, two steps of fetch, four
validation tiers, quarantine, ArcticDB write, one materialization and four check evaluations
each. Trees alternate; printed: each process's median, then each tree's median of them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from hourly_children import FIRST_HOUR, run_in_tree, tiny_hourly_job  # beside this script

ROOT = Path(__file__).resolve().parents[1]


def run_child(runs: int) -> None:
    import pandas as pd

    first = pd.Timestamp(FIRST_HOUR.replace("-00:00", " 00:00"), tz="UTC")
    seconds = []
    with tiny_hourly_job() as (job, instance):
        for hour in range(runs):
            key = (first + pd.Timedelta(hours=hour)).strftime("%Y-%m-%d-%H:%M")
            began = time.perf_counter()
            assert job.execute_in_process(instance=instance, partition_key=key).success
            seconds.append(time.perf_counter() - began)
    print(json.dumps({"median": statistics.median(seconds[1:]), "first": seconds[0]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="one-partition runs per process")
    parser.add_argument("--repeats", type=int, default=3, help="processes per tree")
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.runs)
        return
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    medians: dict[str, list[float]] = {name: [] for name in trees}
    for repeat in range(args.repeats):
        for name, tree in trees.items():
            result = run_in_tree(__file__, tree, ["--runs", str(args.runs)])
            medians[name].append(result["median"])
            print(f"process {repeat + 1} {name}: {1000 * result['median']:.1f} ms per run")
    print(f"\n{args.runs} one-partition runs of hourly_sources_job per process")
    print("| tree | per run (median of the processes' medians) |")
    print("| --- | ---: |")
    for name, values in medians.items():
        print(f"| {name} | {1000 * statistics.median(values):.1f} ms |")
    if args.baseline:
        ratio = statistics.median(medians["baseline"]) / statistics.median(medians["this tree"])
        print(f"\nbaseline / this tree: {ratio:.2f}x")


if __name__ == "__main__":
    main()
