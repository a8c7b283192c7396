"""The main command's hourly and calendar-day jobs with the imported objects frozen out of the
garbage collector's full passes (as shipped, ``vvv_pipeline.long_lived``) and not.

Run from the repository root:

    python benchmarks/bench_gc_freeze.py                  # 3 rounds, both orders
    python benchmarks/bench_gc_freeze.py --rounds 2
    python benchmarks/bench_gc_freeze.py --rounds 1 --log-level DEBUG   # more events, more objects

Each case runs in its own Python process: it imports the definitions (which freeze what they
imported) and great-expectations (as ``vvv-pipeline run`` preloads it), then either freezes
again (``frozen``, what the command does once its preloads are done) or unfreezes everything
(``unfrozen``, the code before). It then executes ``hourly_sources_job`` over the main command's
120 UTC hours and ``calendar_day_sources_job`` over its five New York days in one fresh on-disk
instance and data directory, with the in-process executor and Dagster's console log at
``--log-level`` (WARNING, the command's default), as the command does. Printed per run:
each job's wall seconds and the garbage collector's collections and seconds per generation (from
``gc.callbacks``, so the time of the passes themselves, not what their page writes cost the
forked children). Rounds alternate the order of the cases (frozen first, then unfrozen first).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("frozen", "unfrozen")
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
JOBS = (
    ("hourly_sources_job", "2026-11-30-05:00", "2026-12-05-04:00"),
    ("calendar_day_sources_job", "2026-11-30", "2026-12-04"),
)


class CollectionTimes:
    """Collections and seconds per generation, from the collector's own callbacks."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            generation = info["generation"]
            self.counts[generation] += 1
            self.seconds[generation] += time.perf_counter() - self._began


def run_child(case: str, log_level: str) -> None:
    import dagster as dg

    from vvv_pipeline.defs.definitions import build_definitions
    from vvv_pipeline.defs.jobs import JOB_ASSETS
    from vvv_pipeline.validation.expectations import import_great_expectations
    from vvv_pipeline_tests.instance_home import write_home

    import_great_expectations()
    if case == "frozen":
        gc.freeze()
    else:
        gc.unfreeze()
    collections = CollectionTimes()
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        os.environ["VVV_DATA_DIR"] = f"{folder}/data"
        defs = build_definitions()
        home = write_home(Path(folder) / "dagster_home")
        console = {"loggers": {"console": {"config": {"log_level": log_level}}}}
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for name, first, last in JOBS:
                job = dg.define_asset_job(
                    name, selection=dg.AssetSelection.assets(*JOB_ASSETS[name])
                )
                job = job.resolve(
                    asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
                )
                tags = dict(zip(RANGE_TAGS, (first, last), strict=True))
                began = time.perf_counter()
                assert job.execute_in_process(
                    instance=instance, tags=tags, run_config=console
                ).success
                seconds[name] = time.perf_counter() - began
    print(
        json.dumps(
            {
                "case": case,
                "seconds": seconds,
                "gc_counts": collections.counts,
                "gc_seconds": collections.seconds,
                "frozen_objects": gc.get_freeze_count(),
            }
        )
    )


def child(case: str, log_level: str) -> dict:
    argv = [sys.executable, __file__, "--child", case, "--log-level", log_level]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each order")
    parser.add_argument("--log-level", default="WARNING", choices=("WARNING", "INFO", "DEBUG"))
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.log_level)
        return
    totals: dict[str, list[float]] = {case: [] for case in CASES}
    for order in (CASES, CASES[::-1]):
        for _ in range(args.rounds):
            for case in order:
                result = child(case, args.log_level)
                total = sum(result["seconds"].values())
                totals[case].append(total)
                jobs = " / ".join(f"{s:.2f}" for s in result["seconds"].values())
                collections = ", ".join(
                    f"gen{g} {n} in {s:.2f} s"
                    for g, (n, s) in enumerate(
                        zip(result["gc_counts"], result["gc_seconds"], strict=True)
                    )
                )
                print(f"{case:>9}: {total:6.2f} s (hourly / calendar-day {jobs}); {collections}")
    medians = {case: statistics.median(times) for case, times in totals.items()}
    for case in CASES:
        print(f"median {case:>9}: {medians[case]:6.2f} s over {len(totals[case])} runs")
    print(f"unfrozen / frozen: {medians['unfrozen'] / medians['frozen']:.2f}x")


if __name__ == "__main__":
    main()
