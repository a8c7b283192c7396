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
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from dagster import DagsterInstance


def _instance() -> DagsterInstance:
    """The project's instance, opened under the storage lock (:mod:`vvv_pipeline.instance`)."""
    from vvv_pipeline.instance import InstanceConfigError, open_instance, project_instance_ref

    try:
        return open_instance(project_instance_ref())
    except InstanceConfigError as error:
        sys.exit(f"vvv-pipeline: {error}")


def default_windows(sessions: list[str]) -> dict[str, tuple[str, str]]:
    """Partition ranges (first, last key) per job that cover ``sessions`` (oldest first)."""
    first_day = pd.Timestamp(sessions[0], tz="America/New_York")
    end_day = pd.Timestamp(sessions[-1], tz="America/New_York") + pd.Timedelta(days=1)
    first_hour = first_day.tz_convert("UTC")
    last_hour = end_day.tz_convert("UTC") - pd.Timedelta(hours=1)
    # hourly first: the calendar-day job builds the day's crypto bars from those hours;
    # calendar days before sessions: equity metadata tier 3 reads the day's news
    return {
        "hourly_sources_job": (
            first_hour.strftime("%Y-%m-%d-%H:%M"),
            last_hour.strftime("%Y-%m-%d-%H:%M"),
        ),
        "calendar_day_sources_job": (sessions[0], sessions[-1]),
        "session_sources_job": (sessions[0], sessions[-1]),
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
    checks = {"passed": 0, "failed": 0}
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
            for event in result.all_events:
                if event.event_type_value == "ASSET_CHECK_EVALUATION":
                    evaluation = event.event_specific_data
                    if evaluation.partition is not None:
                        checks["passed" if evaluation.passed else "failed"] += 1
            for name, (partitions, rows) in counted.items():
                summary.append((name, f"{first} .. {last}", partitions, rows))
            print(f"  {job_name}: ok in {took:.1f}s (run {result.run_id})")
    width = max(len(row[0]) for row in summary)
    print("\nwritten:")
    for name, window, partitions, rows in summary:
        print(f"  {name:<{width}}  {partitions:>4} partitions  {rows:>10,} rows  {window}")
    print(
        f"\nvalidation: {checks['passed']} partition checks passed, {checks['failed']} failed "
        "(details per partition in the UI; rejected rows: vvv-pipeline quarantine)"
    )
    print("\nwhere the data lives:")
    print(f"  data directory   {settings.data_dir()}")
    print(f"  ArcticDB         {settings.arctic_uri()}  (library tick_data)")
    print(f"  DuckDB           {settings.duckdb_path()}  (schema sources)")
    print(f"  GX data docs     {settings.data_dir() / 'gx'}  (uncommitted/data_docs)")
    print(f"  daily reports    {settings.data_dir() / 'reports' / 'daily'}  (one page per session)")
    print("\nopen the UI:  dagster dev   (from the project root), then http://127.0.0.1:3000")
    return 0


def show_quarantine(source: str | None) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.schemas import SOURCE_SCHEMAS
    from vvv_pipeline.storage.quarantine import QuarantineStore

    store = QuarantineStore(settings.arctic_uri())
    sources = [source] if source else list(SOURCE_SCHEMAS)
    summary = store.summary(sources)
    if summary.empty:
        print("quarantine is empty")
        return 0
    print(summary.to_string(index=False))
    return 0


def replay_partition(source: str, partition_key: str) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.definitions import defs
    from vvv_pipeline.partitions import window_utc
    from vvv_pipeline.schemas import SOURCE_SCHEMAS
    from vvv_pipeline.storage.arctic import ArcticStore
    from vvv_pipeline.storage.quarantine import QuarantineStore
    from vvv_pipeline.storage.replay import replay
    from vvv_pipeline.universe import load_universe

    if source not in SOURCE_SCHEMAS:
        sys.exit(f"vvv-pipeline: unknown source {source!r}; expected one of {list(SOURCE_SCHEMAS)}")
    from vvv_pipeline.assets.source_specs import SOURCE_SPECS

    spec = next(s for s in SOURCE_SPECS if s.source.value == source)
    partitions_def = defs.resolve_assets_def(source).partitions_def
    window = window_utc(partitions_def.time_window_for_partition_key(partition_key))
    outcome = replay(
        source,
        partition_key,
        window,
        spec.symbols(load_universe()),
        QuarantineStore(settings.arctic_uri()),
        ArcticStore(settings.arctic_uri()),
        settings.duckdb_path(),
    )
    print(
        f"{source} {partition_key}: {outcome.replayed} rows replayed into the store, "
        f"{outcome.still_rejected} still quarantined"
    )
    return 0


def list_gaps(start: str | None, end: str | None, asset: str | None, limit: int) -> int:
    """Print expected, materialized, missing and tier-1-failed partitions per source asset."""
    from vvv_pipeline.automation.gaps import gaps_summary
    from vvv_pipeline.automation.partition_status import source_gaps

    today = pd.Timestamp.now(tz="America/New_York").tz_localize(None).normalize()
    last = pd.Timestamp(end) if end else today
    first = pd.Timestamp(start) if start else last - pd.Timedelta(days=6)
    with _instance() as instance:
        gaps = [g for g in source_gaps(instance, first, last) if asset in (None, g.asset)]
    if not gaps:
        sys.exit(f"vvv-pipeline gaps: no source asset named {asset!r}")
    print(f"gaps {first:%Y-%m-%d} .. {last:%Y-%m-%d} (New York dates, both inclusive)\n")
    print(gaps_summary(gaps).to_string(index=False))
    for g in gaps:
        for label, keys in (("missing", g.missing), ("failed tier 1", g.failed_tier1)):
            if keys:
                shown = ", ".join(keys[:limit]) + (
                    f" (+{len(keys) - limit})" if len(keys) > limit else ""
                )
                print(f"\n{g.asset} {label}: {shown}")
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
    show_cmd = commands.add_parser("quarantine", help="list rejected rows per source and partition")
    show_cmd.add_argument("--source", default=None, help="one source (default: all)")
    replay_cmd = commands.add_parser(
        "replay", help="re-validate a partition's quarantined rows and store those that now pass"
    )
    replay_cmd.add_argument("source", help="source asset name, e.g. equity_ticks")
    replay_cmd.add_argument("partition", help="partition key, e.g. 2025-11-24")
    gaps_cmd = commands.add_parser(
        "gaps", help="list missing and tier-1-failed source partitions over a date range"
    )
    gaps_cmd.add_argument("--start", default=None, help="first New York date (default: end - 6)")
    gaps_cmd.add_argument("--end", default=None, help="last New York date (default: today)")
    gaps_cmd.add_argument("--asset", default=None, help="one source asset (default: all)")
    gaps_cmd.add_argument("--limit", type=int, default=20, help="partitions listed per asset")
    args = parser.parse_args(argv)
    if args.command == "gaps":
        return list_gaps(args.start, args.end, args.asset, args.limit)
    if args.command == "quarantine":
        return show_quarantine(args.source)
    if args.command == "replay":
        return replay_partition(args.source, args.partition)
    if args.scale:
        os.environ["VVV_SCALE"] = args.scale
    return run(args.sessions, args.as_of, "DEBUG" if args.verbose else "WARNING")


if __name__ == "__main__":
    raise SystemExit(main())
