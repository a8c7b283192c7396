"""The daily report assets alone: a range's pages drawn in one process and side by side in two
(``VVV_DERIVE_WORKERS`` 1 and 2).

Run from the repository root:

    python benchmarks/bench_report_pages.py                 # 5 sessions, 3 rounds
    python benchmarks/bench_report_pages.py --sessions 10 --rounds 2

Builds once, in a temporary data directory and on-disk instance, what the pages read: the
hourly crypto sources, the calendar-day job and the session job over the sessions up to
2025-11-25 (the main command's shape at the default density). Then materializes
``daily_report`` (one page per session) and ``crypto_daily_report`` (one per New York day) over
that range again and again, the two settings alternating, and prints each run's seconds and the
medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
REPORTS = {"session_sources_job": "daily_report", "calendar_day_sources_job": "crypto_daily_report"}


def run(defs, instance, job: str, keys: list[str], assets: list[str] | None = None) -> float:
    import dagster as dg

    selection = None if assets is None else [dg.AssetKey(a) for a in assets]
    tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
    began = time.perf_counter()
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags=tags, run_config=QUIET, asset_selection=selection
    )
    assert result.success
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import dagster as dg
    from bench_backfill import session_keys

    from vvv_pipeline.defs.definitions import build_definitions
    from vvv_pipeline_tests.instance_home import write_home

    sessions = session_keys(args.sessions, "2025-11-25")
    days = [f"{day:%Y-%m-%d}" for day in pd.date_range(sessions[0], sessions[-1])]
    # the UTC hours of those New York days (standard time: a day starts at 05:00 UTC)
    first_hour = f"{days[0]}-05:00"
    last_hour = f"{pd.Timestamp(days[-1]) + pd.Timedelta(days=1):%Y-%m-%d}-04:00"
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(VVV_DATA_DIR=f"{folder}/data", VVV_GX="0")
        home = write_home(Path(folder) / "dagster_home")
        defs = build_definitions()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run(defs, instance, "hourly_sources_job", [first_hour, last_hour])
            run(defs, instance, "calendar_day_sources_job", days)
            run(defs, instance, "session_sources_job", sessions)
            seconds: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for workers in ("1", "2"):
                    os.environ["VVV_DERIVE_WORKERS"] = workers
                    for job, asset in REPORTS.items():
                        keys = sessions if asset == "daily_report" else days
                        took = run(defs, instance, job, keys, [asset])
                        seconds.setdefault((asset, workers), []).append(took)
                        print(f"  {asset:>20} workers {workers}: {took:6.2f} s", flush=True)
    for asset in REPORTS.values():
        one = statistics.median(seconds[(asset, "1")])
        two = statistics.median(seconds[(asset, "2")])
        pages = len(sessions) if asset == "daily_report" else len(days)
        print(
            f"median {asset} ({pages} pages): one process {one:.2f} s, two {two:.2f} s, "
            f"{one / two:.2f}x"
        )


if __name__ == "__main__":
    main()
