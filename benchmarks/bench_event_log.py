"""Event-log write cost: Dagster's stock SQLite storage vs the project's (``LockedSqliteStorage``).

Run from the repository root:

    python benchmarks/bench_event_log.py                 # 200 events per round, 3 rounds
    python benchmarks/bench_event_log.py --events 50     # quicker

Each side is a fresh instance in a temporary folder (on the same disk as the system's temp
folder), configured as ``storage: sqlite`` (stock) or as the shipped ``dagster.yaml`` configures
it (``vvv_pipeline.defs.instance.LockedSqliteStorage``, whose event log keeps engines and idle
connections and commits with ``synchronous=NORMAL``; see docs/storage.md). Each round writes
``--events`` asset materializations, as many asset-check evaluations, and the first event of as
many new runs (each creates its run's database file), to both sides alternately; printed: the
median milliseconds per event of each side over all rounds. Every materialization written is
read back and counted on both sides first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
import warnings
from functools import partial
from pathlib import Path

import dagster as dg
from timing import call_times  # benchmarks/timing.py, beside this script

STOCK = "storage:\n  sqlite:\n    base_dir: {base}\n"
PROJECT = (
    "storage:\n  custom:\n    module: vvv_pipeline.defs.instance\n"
    "    class: LockedSqliteStorage\n    config:\n      base_dir: {base}\n"
)
KEY = dg.AssetKey("bench_asset")


def _instance(home: Path, storage: str) -> dg.DagsterInstance:
    home.mkdir()
    config = storage.format(base=home / "storage") + "telemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(config)
    return dg.DagsterInstance.from_config(str(home))


def materialization(instance: dg.DagsterInstance, i: int) -> None:
    event = dg.AssetMaterialization(KEY, partition=f"p{i}", metadata={"rows": i})
    instance.report_runless_asset_event(event)


def check_evaluation(instance: dg.DagsterInstance, i: int) -> None:
    event = dg.AssetCheckEvaluation(
        asset_key=KEY, check_name="bench_check", passed=True, metadata={"i": i}
    )
    instance.report_runless_asset_event(event)


def new_run(instance: dg.DagsterInstance, _i: int) -> None:
    instance.report_engine_event("first event", job_name="bench_job", run_id=str(uuid.uuid4()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        sides = {
            "stock": _instance(Path(tmp) / "stock", STOCK),
            "project": _instance(Path(tmp) / "project", PROJECT),
        }
        print(type(sides["project"].event_log_storage).__name__)
        kinds = {
            "materialization": materialization,
            "check evaluation": check_evaluation,
            "a new run's first event": new_run,
        }
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for kind, write in kinds.items():
                for side, instance in sides.items():
                    times.setdefault((kind, side), []).extend(
                        call_times(partial(write, instance), args.events)
                    )
        expected = args.events * args.rounds
        for side, instance in sides.items():
            mats = instance.fetch_materializations(KEY, limit=expected + 1).records
            assert len(mats) == expected, (side, len(mats))
        print(f"{args.rounds} rounds x {args.events} events, median ms per event")
        print("| event | stock SQLite storage | project storage | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for kind in kinds:
            stock = statistics.median(times[(kind, "stock")]) * 1e3
            ours = statistics.median(times[(kind, "project")]) * 1e3
            print(f"| {kind} | {stock:.2f} | {ours:.2f} | {stock / ours:.1f}x |")
        for instance in sides.values():
            instance.dispose()


if __name__ == "__main__":
    main()
