"""``vvv-pipeline``: run the main job from a shell.

``vvv-pipeline run`` materializes every source asset for the last N XNYS sessions closed by
``--as-of`` (default: the start of today in New York, so the calendar days and UTC hours that
cover them have all ended), on the configured provider (the simulated market by default),
records the runs in the project's Dagster instance so ``dagster dev`` shows them, and prints what
it wrote. Re-running replaces the same partitions; nothing is duplicated. Arguments are checked
before anything runs (:mod:`vvv_pipeline.cli.args`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, get_args

import pandas as pd

if TYPE_CHECKING:
    from dagster import DagsterInstance


def _instance() -> DagsterInstance:
    """The project's instance, opened under the storage lock (:mod:`vvv_pipeline.defs.instance`)."""
    from vvv_pipeline.defs.instance import InstanceConfigError, open_instance, project_instance_ref

    try:
        return open_instance(project_instance_ref())
    except InstanceConfigError as error:
        sys.exit(f"vvv-pipeline: {error}")


def run(sessions: list[str], log_level: str = "WARNING") -> int:
    """Launch the three source jobs over ``sessions`` (checked by :func:`cli_args.run_sessions`)
    as real runs of the code location (:mod:`vvv_pipeline.cli.runs`), one after the other:
    hourly, calendar-day (builds the day's crypto from its hours), then session (tier 3 reads the
    day's news); then the coverage report of those days (:mod:`vvv_pipeline.cli.coverage`)."""
    from vvv_pipeline import settings
    from vvv_pipeline.cli.args import default_windows
    from vvv_pipeline.cli.coverage import build_coverage_report
    from vvv_pipeline.cli.runs import (
        launch_and_follow,
        open_workspace,
        preload,
        range_tags,
        run_config,
    )
    from vvv_pipeline.defs.jobs import JOB_ASSETS
    from vvv_pipeline.portfolio_holdings import HoldingsError, load_holdings
    from vvv_pipeline.universe import UniverseError, load_universe
    from vvv_pipeline.validation.expectations_helper import expectations_helper

    try:  # a bad universe or holdings file is refused before any run is launched
        load_holdings(universe=load_universe(settings.universe_path()))
    except (UniverseError, HoldingsError, FileNotFoundError) as error:
        print(f"vvv-pipeline: {error}", file=sys.stderr)
        return 1
    windows = default_windows(sessions)
    print(f"vvv-pipeline: sessions {sessions[0]} .. {sessions[-1]} ({len(sessions)})", flush=True)
    summary: list[tuple[str, str, int, int]] = []
    checks = {"passed": 0, "failed": 0}
    with (
        expectations_helper(enabled=settings.current().gx),  # imports GX meanwhile
        _instance() as instance,
        open_workspace(instance, meanwhile=preload()) as workspace,
    ):
        for job_name, (first, last) in windows.items():
            outcome = launch_and_follow(
                instance,
                workspace,
                job_name,
                range_tags(first, last),
                run_config(log_level),
                (first, last),
            )
            if outcome is None:
                return 1
            for name, partitions, rows in outcome.written(JOB_ASSETS.get(job_name, ())):
                summary.append((name, f"{first} .. {last}", partitions, rows))
            checks["passed"] += outcome.checks_passed
            checks["failed"] += outcome.checks_failed
        coverage = build_coverage_report(instance, workspace, sessions, log_level)
        if coverage is None:
            return 1
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
    print(f"  GX results       {settings.data_dir() / 'gx'}  (a table in each tier-4 check)")
    print(f"  daily reports    {settings.data_dir() / 'reports' / 'daily'}  (one page per session)")
    print(f"  coverage report  {coverage}  (sources x days of this run)")
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
    from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS
    from vvv_pipeline.defs.partitions import window_utc
    from vvv_pipeline.storage.arctic import ArcticStore
    from vvv_pipeline.storage.quarantine import QuarantineStore
    from vvv_pipeline.storage.replay import replay
    from vvv_pipeline.universe import load_universe

    spec = next(s for s in SOURCE_SPECS if s.source.value == source)
    window = window_utc(spec.partitions().time_window_for_partition_key(partition_key))
    outcome = replay(
        source,
        partition_key,
        window,
        spec.symbols(load_universe()),
        QuarantineStore(settings.arctic_uri()),
        ArcticStore(settings.arctic_uri()),
        settings.duckdb_path(),
    )
    already = (
        f", {outcome.already_stored} already stored (left the quarantine)"
        if outcome.already_stored
        else ""
    )
    print(
        f"{source} {partition_key}: {outcome.replayed} rows replayed into the store, "
        f"{outcome.still_rejected} still quarantined{already}"
    )
    return 0


def list_gaps(first: pd.Timestamp, last: pd.Timestamp, asset: str | None, limit: int) -> int:
    """Print expected, materialized, missing and tier-1-failed partitions per source asset, then
    (for all assets) the derived partitions the gap sensor would build: inputs complete, the
    derived asset missing or older than an input."""
    from vvv_pipeline.defs.automation.clock import now_utc
    from vvv_pipeline.defs.automation.derived_gaps import derived_gaps
    from vvv_pipeline.defs.automation.gaps import gaps_summary
    from vvv_pipeline.defs.automation.partition_status import source_gaps

    with _instance() as instance:
        gaps = [g for g in source_gaps(instance, first, last) if asset in (None, g.asset)]
        derived = derived_gaps(instance, first, last, now_utc()) if asset is None else []
    print(f"gaps {first:%Y-%m-%d} .. {last:%Y-%m-%d} (New York dates, both inclusive)\n")
    print(gaps_summary(gaps).to_string(index=False))
    for g in gaps:
        for label, keys in (("missing", g.missing), ("failed tier 1", g.failed_tier1)):
            if keys:
                shown = ", ".join(keys[:limit]) + (
                    f" (+{len(keys) - limit})" if len(keys) > limit else ""
                )
                print(f"\n{g.asset} {label}: {shown}")
    if derived:
        print("\nderived partitions to build (inputs complete; missing or older than an input):")
        for gap in derived[:limit]:
            print(f"  {gap.job} {gap.partition}: {', '.join(gap.assets)}")
        if len(derived) > limit:
            print(f"  (+{len(derived) - limit} more)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.cli import args as cli_args
    from vvv_pipeline.schemas import SOURCE_SCHEMAS

    sources = list(SOURCE_SCHEMAS)
    parser = cli_args.OneLineParser(prog="vvv-pipeline", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="materialize every source for the default window")
    run_cmd.add_argument(
        "--sessions",
        type=cli_args.session_count,
        default=5,
        help=f"XNYS sessions, 1..{cli_args.MAX_SESSIONS} (default 5); more is a backfill",
    )
    run_cmd.add_argument(
        "--as-of",
        type=cli_args.past_instant,
        default=None,
        help="ISO time (New York unless it has an offset) to count closed sessions back from; "
        "not in the future (default: the start of today, so every partition exists)",
    )
    run_cmd.add_argument(
        "--scale",
        choices=list(get_args(settings.ScaleName)),
        default=None,
        help="simulated density (VVV_SCALE)",
    )
    run_cmd.add_argument("--verbose", action="store_true", help="print Dagster's event log")
    show_cmd = commands.add_parser("quarantine", help="list rejected rows per source and partition")
    show_cmd.add_argument("--source", choices=sources, default=None, help="one source (all)")
    replay_cmd = commands.add_parser(
        "replay", help="re-validate a partition's quarantined rows and store those that now pass"
    )
    replay_cmd.add_argument("source", choices=sources, help="source asset name")
    replay_cmd.add_argument("partition", help="partition key, e.g. 2025-11-24")
    gaps_cmd = commands.add_parser(
        "gaps", help="list missing and tier-1-failed source partitions over a date range"
    )
    gaps_cmd.add_argument(
        "--start", type=cli_args.ny_date, default=None, help="first date (default: end - 6)"
    )
    gaps_cmd.add_argument("--end", type=cli_args.ny_date, default=None, help="last date (today)")
    gaps_cmd.add_argument("--asset", choices=sources, default=None, help="one source (all)")
    gaps_cmd.add_argument(
        "--limit", type=cli_args.positive_int, default=20, help="partitions listed per asset"
    )
    stream_cmd = commands.add_parser(
        "stream", help="collect a live stream into ArcticDB staging until SIGTERM/Ctrl-C"
    )
    stream_cmd.add_argument(
        "feed",
        choices=["crypto", "open-interest", "equities"],
        help="crypto: a venue's trades; open-interest: Bybit's linear tickers, or Binance's "
        "REST polled (it streams no open interest); equities: IQFeed Level 1 trades",
    )
    stream_cmd.add_argument(
        "--venue",
        choices=list(settings.STREAM_VENUES),
        default=None,
        help="crypto: binance (aggTrade stream, the default) or bybit (publicTrade, linear); "
        "open-interest: bybit (the default) or binance",
    )
    stream_cmd.add_argument(
        "--symbols",
        nargs="+",
        default=None,
        help="pairs or equity symbols (default: the universe's crypto or equities)",
    )
    stream_cmd.add_argument(
        "--url",
        default=None,
        help="WebSocket endpoint (VVV_BINANCE_WS_URL, VVV_BYBIT_WS_URL); equities: "
        "tcp://host:port of IQConnect's Level 1 socket (VVV_IQFEED_HOST, VVV_IQFEED_LEVEL1_PORT)",
    )
    stream_cmd.add_argument(
        "--lookup",
        default=None,
        help="equities: host:port of IQConnect's Lookup socket, for the catch-up after each "
        "(re)connection (VVV_IQFEED_HOST, VVV_IQFEED_PORT)",
    )
    stream_cmd.add_argument(
        "--rest-url",
        default=None,
        help="REST API for gap backfills or recent trades (VVV_BINANCE_URL, VVV_BYBIT_URL); "
        "open-interest --venue binance: the USD-M API polled (VVV_BINANCE_FUTURES_URL)",
    )
    stream_cmd.add_argument(
        "--flush-rows", type=cli_args.positive_int, default=None, help="VVV_STREAM_FLUSH_ROWS"
    )
    stream_cmd.add_argument(
        "--flush-ms", type=cli_args.positive_int, default=None, help="VVV_STREAM_FLUSH_MS"
    )
    stream_cmd.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="open-interest --venue binance: seconds between polls of each pair (default 5)",
    )
    stream_cmd.add_argument(
        "--no-backfill",
        action="store_true",
        help="fetch nothing from REST: leave gaps to the hour's finalization",
    )
    args = parser.parse_args(argv)
    if getattr(args, "scale", None):
        os.environ["VVV_SCALE"] = args.scale
    try:  # settings that cannot work are refused before anything runs or is written
        settings.arctic_uri()
        settings.scale()
    except settings.SettingsError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if args.command == "gaps":
        first, last = cli_args.gaps_range(gaps_cmd, args.start, args.end)
        return list_gaps(first, last, args.asset, args.limit)
    if args.command == "stream" and args.feed == "equities":
        from vvv_pipeline.cli.stream import stream_equities

        return stream_equities(
            args.symbols,
            args.url,
            args.lookup,
            args.flush_rows,
            args.flush_ms,
            not args.no_backfill,
        )
    if args.command == "stream" and args.feed == "open-interest":
        from vvv_pipeline.cli.stream import stream_open_interest

        return stream_open_interest(
            args.venue or "bybit",
            args.symbols,
            args.url,
            args.rest_url,
            args.interval,
            args.flush_rows,
            args.flush_ms,
        )
    if args.command == "stream":
        from vvv_pipeline.cli.stream import stream_crypto

        return stream_crypto(
            args.venue or "binance",
            args.symbols,
            args.url,
            args.rest_url,
            args.flush_rows,
            args.flush_ms,
            not args.no_backfill,
        )
    if args.command == "quarantine":
        return show_quarantine(args.source)
    if args.command == "replay":
        cli_args.replay_key(replay_cmd, args.source, args.partition)
        return replay_partition(args.source, args.partition)
    sessions = cli_args.run_sessions(run_cmd, args.sessions, args.as_of)
    return run(sessions, "DEBUG" if args.verbose else "WARNING")


if __name__ == "__main__":
    raise SystemExit(main())
