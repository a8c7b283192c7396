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
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_HOUR = "2025-11-03 00:00"


def run_child(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            VVV_DATA_DIR=f"{folder}/data",
            VVV_SCALE="tiny",
            VVV_GX="0",
            VVV_HOURLY_START="2025-11-01-00:00",
        )
        import dagster as dg
        import pandas as pd

        from vvv_pipeline.defs.definitions import build_definitions
        from vvv_pipeline_tests.instance_home import write_home

        home = write_home(Path(folder) / "dagster_home")
        job = build_definitions().resolve_job_def("hourly_sources_job")
        first = pd.Timestamp(FIRST_HOUR, tz="UTC")
        seconds = []
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for hour in range(runs):
                key = (first + pd.Timedelta(hours=hour)).strftime("%Y-%m-%d-%H:%M")
                began = time.perf_counter()
                assert job.execute_in_process(instance=instance, partition_key=key).success
                seconds.append(time.perf_counter() - began)
    print(json.dumps({"median": statistics.median(seconds[1:]), "first": seconds[0]}))


def child(tree: Path, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--runs", str(runs)]
    done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
            result = child(tree, args.runs)
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
