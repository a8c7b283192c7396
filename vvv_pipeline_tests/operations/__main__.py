"""Rehearse a production stretch on a fresh deployment and judge it.

    python -m vvv_pipeline_tests.operations [--storage sqlite|postgres] [--short]
                                             [--workdir DIR] [--out REPORT.json]

Creates a fresh data directory, the rehearsal's universe and holdings files
(:data:`~.scenario.UNIVERSE`), ``DAGSTER_HOME`` (the shipped ``dagster.yaml``: locked
SQLite storage, the project's run launcher, run monitoring on; or the same launcher and
monitoring on a new database of the PostgreSQL server at ``VVV_TEST_PG_HOST``, 127.0.0.1:5432,
user ``postgres``, dropped afterwards), a local webhook receiver for alerts, then runs
:func:`~.harness.rehearse` and :func:`~.verdict.judge`. Exits 0 when the verdict holds.
The environment must be set before the pipeline is imported (partition start dates are part of
the asset definitions), hence the late imports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def prepare(workdir: Path, short: bool, storage: dict | None = None) -> None:
    """The environment and a ``DAGSTER_HOME`` holding the shipped dagster.yaml (its ``storage``
    replaced by ``storage`` when given)."""
    from vvv_pipeline_tests.instance_home import write_home
    from vvv_pipeline_tests.operations.scenario import (
        HOLDINGS,
        PARTITIONS_START,
        SHORT_PARTITIONS_START,
        UNIVERSE,
    )

    home = write_home(workdir / "dagster_home", {"storage": storage} if storage else None)
    (workdir / "universe.toml").write_text(UNIVERSE)
    (workdir / "holdings.toml").write_text(HOLDINGS)
    os.environ.update(
        DAGSTER_HOME=str(home),
        VVV_UNIVERSE=str(workdir / "universe.toml"),
        VVV_HOLDINGS=str(workdir / "holdings.toml"),
        VVV_DATA_DIR=str(workdir / "data"),
        VVV_SCALE="tiny",
        VVV_GX="0",
        VVV_SOURCE_RETRY_DELAY_SECONDS="0",
        **(SHORT_PARTITIONS_START if short else PARTITIONS_START),
    )
    os.environ.pop("VVV_ARCTIC_URI", None)
    os.environ.pop("VVV_DUCKDB_PATH", None)


@contextmanager
def postgres_storage() -> Iterator[dict]:
    """Storage on a new database of the test server (``VVV_TEST_PG_*``), dropped afterwards."""
    from vvv_pipeline_tests.production.postgres import PostgresServer, fresh_database

    server = PostgresServer.from_environment()
    with fresh_database(server) as database:
        yield server.storage_config(database)  # the production yaml's, on a new database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vvv_pipeline_tests.operations")
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--short", action="store_true", help="one two-day leg with the faults")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vvv-rehearsal-"))
    if args.storage == "postgres":
        with postgres_storage() as storage:
            prepare(workdir, args.short, storage)
            return _rehearse(args, workdir)
    prepare(workdir, args.short)
    return _rehearse(args, workdir)


def _rehearse(args: argparse.Namespace, workdir: Path) -> int:

    import dagster as dg

    from vvv_pipeline_tests.operations.harness import rehearse
    from vvv_pipeline_tests.operations.scenario import LEGS, SHORT_LEGS
    from vvv_pipeline_tests.operations.verdict import judge
    from vvv_pipeline_tests.webhook_receiver import WebhookReceiver

    legs = SHORT_LEGS if args.short else LEGS
    started = time.monotonic()
    with WebhookReceiver() as receiver, dg.DagsterInstance.get() as instance:
        os.environ["VVV_ALERT_WEBHOOK"] = receiver.url
        driver, killed, catch_ups = rehearse(instance, legs, workdir)
        verdict = judge(driver, legs, killed.run_id, receiver.texts)
        wall = time.monotonic() - started
        report = {
            "storage": args.storage,
            "legs": [[str(leg.start), str(leg.end)] for leg in legs],
            "clock_days": round(sum(leg.days for leg in legs), 2),
            "wall_seconds": round(wall, 1),
            "runs": len(driver.launches) + len(catch_ups) + 1,
            "runs_by_trigger": _count(launch.trigger for launch in driver.launches),
            "requested": driver.ticks.requested,
            "skipped_ticks": driver.ticks.skipped,
            "seconds_by_activity": {k: round(v, 1) for k, v in driver.ticks.seconds.items()},
            "killed_run": killed.run_id,
            "alert_messages": receiver.bodies,
            "figures": verdict.figures,
            "launches": [
                [
                    f"{launch.at:%m-%d %H:%M}",
                    launch.trigger,
                    launch.job,
                    launch.partition,
                    len(launch.assets),
                    instance.get_run_by_id(launch.run_id).status.value,
                ]
                for launch in driver.launches
            ],
            "findings": verdict.findings,
        }
    text = json.dumps(report, indent=2, default=str)
    if args.out:
        args.out.write_text(text)
    print(text)
    print(f"verdict: {'holds' if not verdict.findings else 'FAILS'} ({wall:.0f} s wall)")
    return 0 if not verdict.findings else 1


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


if __name__ == "__main__":
    sys.exit(main())
