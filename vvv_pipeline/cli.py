"""``vvv-pipeline``: run the main job from a shell.

``vvv-pipeline run`` materializes every source asset for the last N closed XNYS sessions and the
calendar days and UTC hours that cover them, on the configured provider (the simulated market by
default), records the runs in the project's Dagster instance so ``dagster dev`` shows them, and
prints what it wrote. Re-running replaces the same partitions; nothing is duplicated.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def _instance():
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    config_dir = Path.cwd()
    if not (config_dir / "dagster.yaml").is_file():
        sys.exit(
            "vvv-pipeline: no dagster.yaml in the current folder and DAGSTER_HOME is unset; "
            "run from the project root or set DAGSTER_HOME"
        )
    base = config_dir / "data" / "dagster"
    base.mkdir(parents=True, exist_ok=True)
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(base), config_dir=str(config_dir)))


def default_windows(sessions: list[str]) -> dict[str, tuple[str, str]]:
    """Partition ranges (first, last key) per job that cover ``sessions`` (oldest first)."""
    first_day = pd.Timestamp(sessions[0], tz="America/New_York")
    end_day = pd.Timestamp(sessions[-1], tz="America/New_York") + pd.Timedelta(days=1)
    first_hour = first_day.tz_convert("UTC")
    last_hour = end_day.tz_convert("UTC") - pd.Timedelta(hours=1)
    return {
        "session_sources_job": (sessions[0], sessions[-1]),
        "calendar_day_sources_job": (sessions[0], sessions[-1]),
        "hourly_sources_job": (
            first_hour.strftime("%Y-%m-%d-%H:%M"),
            last_hour.strftime("%Y-%m-%d-%H:%M"),
        ),
    }


def run(sessions_count: int, as_of: str | None, log_level: str = "WARNING") -> int:
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from vvv_pipeline import settings
    from vvv_pipeline.calendars import last_sessions
    from vvv_pipeline.definitions import build_definitions

    sessions = last_sessions(sessions_count, as_of)
    defs = build_definitions()
    windows = default_windows(sessions)
    print(f"vvv-pipeline: sessions {sessions[0]} .. {sessions[-1]} ({len(sessions)})")
    summary: list[tuple[str, str, int, int]] = []
    with _instance() as instance:
        for job_name, (first, last) in windows.items():
            started = time.perf_counter()
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=instance,
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: first,
                    ASSET_PARTITION_RANGE_END_TAG: last,
                },
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                raise_on_error=False,
            )
            took = time.perf_counter() - started
            if not result.success:
                print(
                    f"{job_name} FAILED for {first}..{last} (run {result.run_id})", file=sys.stderr
                )
                return 1
            counted: dict[str, tuple[int, int]] = {}
            for event in result.get_asset_materialization_events():
                mat = event.step_materialization_data.materialization
                name = mat.asset_key.to_user_string()
                rows = mat.metadata.get("dagster/row_count")
                partitions, total = counted.get(name, (0, 0))
                counted[name] = (partitions + 1, rows.value if rows is not None else total)
            for name, (partitions, rows) in counted.items():
                summary.append((name, f"{first} .. {last}", partitions, rows))
            print(f"  {job_name}: ok in {took:.1f}s (run {result.run_id})")
    width = max(len(row[0]) for row in summary)
    print("\nwritten:")
    for name, window, partitions, rows in summary:
        print(f"  {name:<{width}}  {partitions:>4} partitions  {rows:>10,} rows  {window}")
    print("\nwhere the data lives:")
    print(f"  data directory   {settings.data_dir()}")
    print(f"  ArcticDB         {settings.arctic_uri()}  (library tick_data)")
    print(f"  DuckDB           {settings.duckdb_path()}  (schema sources)")
    print("\nopen the UI:  dagster dev   (from the project root), then http://127.0.0.1:3000")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vvv-pipeline", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="materialize every source for the default window")
    run_cmd.add_argument("--sessions", type=int, default=5, help="closed XNYS sessions (default 5)")
    run_cmd.add_argument("--as-of", default=None, help="ISO time to count sessions back from")
    run_cmd.add_argument(
        "--scale", default=None, help="simulated density: tiny, default or heavy (env VVV_SCALE)"
    )
    run_cmd.add_argument("--verbose", action="store_true", help="print Dagster's event log")
    args = parser.parse_args(argv)
    if args.scale:
        os.environ["VVV_SCALE"] = args.scale
    return run(args.sessions, args.as_of, "DEBUG" if args.verbose else "WARNING")


if __name__ == "__main__":
    raise SystemExit(main())
