"""PostgreSQL storage cost: dagster-postgres as shipped vs the project's ``PooledPostgresStorage``.

Run from the repository root with the test server up (``VVV_TEST_PG_*``, default
127.0.0.1:5432 as postgres, trust auth):

    python benchmarks/bench_postgres_storage.py                 # 200 operations a round, 3 rounds
    python benchmarks/bench_postgres_storage.py --ops 50        # quicker

Each side is an instance on a fresh database of the server (dropped afterwards), configured as
``storage: postgres:`` (stock: a new connection per statement group) or as
``deploy/production/dagster.yaml`` configures it (``vvv_pipeline.defs.postgres_storage``: one
kept connection per storage). Each round times, alternately on both sides: ``--ops`` asset
materializations, as many asset-check evaluations, and as many reads of what a sensor asks
(a run count by tag and an asset's materialized partitions). Printed: the median milliseconds
per operation of each side over all rounds. Every event written is counted on both sides first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import dagster as dg
import yaml
from bench_event_log import KEY, check_evaluation, materialization  # beside this script
from timing import call_times  # benchmarks/timing.py, beside this script

from vvv_pipeline_tests.production.postgres import PostgresServer, fresh_database


@contextmanager
def _instance(home: Path, server: PostgresServer, pooled: bool) -> Iterator[dg.DagsterInstance]:
    with fresh_database(server) as database:
        storage = server.storage_config(database, stock=not pooled)
        home.mkdir()
        config = {"storage": storage, "telemetry": {"enabled": False}}
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            yield instance
        finally:
            instance.dispose()


def _sensor_reads(instance: dg.DagsterInstance, i: int) -> None:
    instance.get_runs_count(dg.RunsFilter(tags={"dagster/run_key": f"k{i}"}))
    instance.get_materialized_partitions(KEY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    server = PostgresServer.from_environment()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sides = {
            side: stack.enter_context(_instance(Path(tmp) / side, server, side == "pooled"))
            for side in ("stock", "pooled")
        }
        print({side: type(i.run_storage).__name__ for side, i in sides.items()})
        kinds = {
            "materialization": materialization,
            "check evaluation": check_evaluation,
            "sensor reads (run count + materialized partitions)": _sensor_reads,
        }
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for kind, work in kinds.items():
                for side, instance in sides.items():
                    times.setdefault((kind, side), []).extend(
                        call_times(partial(work, instance), args.ops)
                    )
        expected = args.ops * args.rounds
        for side, instance in sides.items():
            mats = instance.fetch_materializations(KEY, limit=expected + 1).records
            assert len(mats) == expected, (side, len(mats))
        print(f"{args.rounds} rounds x {args.ops} operations, median ms per operation")
        print("| operation | dagster-postgres | PooledPostgresStorage | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for kind in kinds:
            stock = statistics.median(times[(kind, "stock")]) * 1e3
            ours = statistics.median(times[(kind, "pooled")]) * 1e3
            print(f"| {kind} | {stock:.2f} | {ours:.2f} | {stock / ours:.1f}x |")


if __name__ == "__main__":
    main()
