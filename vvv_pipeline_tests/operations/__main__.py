"""Rehearse a production stretch on a fresh deployment and judge it.

    python -m vvv_pipeline_tests.operations [--storage sqlite|postgres] [--short]
                                             [--workdir DIR] [--out REPORT.json]

Creates a fresh data directory and ``DAGSTER_HOME`` (the shipped ``dagster.yaml``: locked
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
import uuid
from pathlib import Path

DAGSTER_YAML = """
{storage}
run_launcher:
  module: vvv_pipeline.automation.run_launcher
  class: LocalRunLauncher
run_monitoring:
  enabled: true
  max_resume_run_attempts: 0
telemetry:
  enabled: false
"""
POSTGRES = (
    "storage:\n  postgres:\n    postgres_url: postgresql+psycopg2://{user}@{host}:{port}/{db}"
)


def _admin(sql: str) -> dict[str, str]:
    import psycopg2

    server = {
        "host": os.environ.get("VVV_TEST_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("VVV_TEST_PG_PORT", "5432"),
        "user": os.environ.get("VVV_TEST_PG_USER", "postgres"),
    }
    connection = psycopg2.connect(**server, dbname=os.environ.get("VVV_TEST_PG_ADMIN_DB", "test"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()
    return server


def prepare(workdir: Path, storage: str, short: bool) -> str | None:
    """Environment, DAGSTER_HOME and (for PostgreSQL) a new database, whose name is returned."""
    from vvv_pipeline_tests.operations.scenario import PARTITIONS_START, SHORT_PARTITIONS_START

    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    database = None
    if storage == "postgres":
        database = f"vvv_rehearsal_{uuid.uuid4().hex[:8]}"
        section = POSTGRES.format(**_admin(f"CREATE DATABASE {database}"), db=database)
        (home / "dagster.yaml").write_text(DAGSTER_YAML.format(storage=section))
    else:
        from vvv_pipeline_tests.ui.webserver import project_instance_yaml

        (home / "dagster.yaml").write_text(project_instance_yaml(home))
    os.environ.update(
        DAGSTER_HOME=str(home),
        VVV_DATA_DIR=str(workdir / "data"),
        VVV_SCALE="tiny",
        VVV_GX="0",
        VVV_SOURCE_RETRY_DELAY_SECONDS="0",
        **(SHORT_PARTITIONS_START if short else PARTITIONS_START),
    )
    os.environ.pop("VVV_ARCTIC_URI", None)
    os.environ.pop("VVV_DUCKDB_PATH", None)
    return database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vvv_pipeline_tests.operations")
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--short", action="store_true", help="one two-day leg with the faults")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vvv-rehearsal-"))
    database = prepare(workdir, args.storage, args.short)
    try:
        return _rehearse(args, workdir)
    finally:
        if database:
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _rehearse(args: argparse.Namespace, workdir: Path) -> int:

    import dagster as dg

    from vvv_pipeline_tests.operations.harness import rehearse
    from vvv_pipeline_tests.operations.receiver import WebhookReceiver
    from vvv_pipeline_tests.operations.scenario import LEGS, SHORT_LEGS
    from vvv_pipeline_tests.operations.verdict import judge

    legs = SHORT_LEGS if args.short else LEGS
    started = time.monotonic()
    with WebhookReceiver() as receiver, dg.DagsterInstance.get() as instance:
        os.environ["VVV_ALERT_WEBHOOK"] = receiver.url
        driver, killed, catch_ups = rehearse(instance, legs, workdir)
        verdict = judge(driver, legs, killed.run_id, receiver.texts())
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
