"""The gap sensor retries a gap whose run failed, after a doubling back-off, a bounded number of
times, and no run record can stop it."""

import json

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.automation.gap_attempts import Attempt, next_attempt
from vvv_pipeline.defs.automation.sensors import gap_requests
from vvv_pipeline_tests.dagster_internals import DagsterRunStatus
from vvv_pipeline_tests.frozen_clock import dagster_clock

NOW = pd.Timestamp("2025-11-26 09:00", tz="America/New_York").tz_convert("UTC")
HOUR = "2025-11-25-15:00"
TARGET = f"crypto_trades:{HOUR}"
T0 = pd.Timestamp("2025-11-26 12:00", tz="UTC")


def _attempt(number: int, minutes_ago: float | None, finished: bool = True) -> Attempt:
    ended = None if minutes_ago is None else T0 - pd.Timedelta(minutes=minutes_ago)
    return Attempt(number, finished, ended)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], 1),  # never tried: at once
        ([_attempt(1, None, finished=False)], None),  # in flight
        ([_attempt(1, 29)], None),  # 30 minutes after the first failure
        ([_attempt(1, 30)], 2),
        ([_attempt(1, 200), _attempt(2, 59)], None),  # then 60 minutes
        ([_attempt(1, 200), _attempt(2, 60)], 3),
        ([_attempt(1, 500), _attempt(2, 300), _attempt(3, 119)], None),  # then 120
        ([_attempt(1, 500), _attempt(2, 300), _attempt(3, 120)], 4),
        ([_attempt(n, 10_000) for n in (1, 2, 3, 4)], None),  # four attempts: given up
    ],
)
def test_next_attempt_backs_off_doubling_and_stops_at_the_maximum(history, expected):
    assert next_attempt(history, T0, max_attempts=4) == expected


def _gap_run(instance, attempt: int, status: DagsterRunStatus, ended: pd.Timestamp) -> None:
    tags = {
        "vvv/trigger": "gap_sensor",
        "vvv/gap": TARGET,
        "vvv/gap_attempt": str(attempt),
        "dagster/partition": HOUR,
    }
    run = dg.DagsterRun(job_name="__ASSET_JOB", run_id=f"gap-{attempt}", tags=tags)
    instance.add_run(run._replace(status=DagsterRunStatus.STARTED))
    if status == DagsterRunStatus.FAILURE:
        with dagster_clock(ended):
            instance.report_run_failed(instance.get_run_by_id(run.run_id))


def _requests_for(tick, target: str) -> list[dg.RunRequest]:
    return [r for r in tick.requests if r.tags.get("vvv/gap") == target]


def test_a_failed_gap_is_requested_again_after_its_back_off_until_given_up(data_dir, instance):
    first = _requests_for(gap_requests(instance, NOW, lookback_days=2, cap=1000), TARGET)
    assert [r.run_key for r in first] == [f"gap:{TARGET}:1"]
    assert first[0].tags["vvv/gap_attempt"] == "1"

    _gap_run(instance, 1, DagsterRunStatus.FAILURE, NOW - pd.Timedelta(minutes=10))
    assert _requests_for(gap_requests(instance, NOW, lookback_days=2, cap=1000), TARGET) == []
    later = NOW + pd.Timedelta(minutes=21)
    again = _requests_for(gap_requests(instance, later, lookback_days=2, cap=1000), TARGET)
    assert [r.run_key for r in again] == [f"gap:{TARGET}:2"]

    for attempt in (2, 3, 4):
        _gap_run(instance, attempt, DagsterRunStatus.FAILURE, later)
    much_later = later + pd.Timedelta(days=1)
    tick = gap_requests(instance, much_later, lookback_days=3, cap=1000)
    assert _requests_for(tick, TARGET) == []
    assert TARGET in tick.given_up and TARGET in json.loads(tick.cursor)["given_up"]


def test_a_gap_run_in_flight_is_not_requested_again(data_dir, instance):
    before = _requests_for(gap_requests(instance, NOW, lookback_days=2, cap=1000), TARGET)
    assert [r.run_key for r in before] == [f"gap:{TARGET}:1"]  # a gap until its run starts
    _gap_run(instance, 1, DagsterRunStatus.STARTED, NOW)
    assert _requests_for(gap_requests(instance, NOW, lookback_days=2, cap=1000), TARGET) == []


def test_an_orphaned_run_reaching_before_the_partitions_start_does_not_stop_the_sensor(
    data_dir, instance
):
    tags = {
        "dagster/asset_partition_range_start": "2019-06-01-00:00",  # before the first hour
        "dagster/asset_partition_range_end": HOUR,
    }
    orphan = dg.DagsterRun(job_name="hourly_sources_job", run_id="orphan", tags=tags)
    instance.add_run(orphan._replace(status=DagsterRunStatus.STARTED))
    broken = dg.DagsterRun(
        job_name="hourly_sources_job",
        run_id="broken",
        tags={
            "dagster/asset_partition_range_start": "not-a-key",
            "dagster/asset_partition_range_end": "x",
        },
    )
    instance.add_run(broken._replace(status=DagsterRunStatus.STARTED))
    tick = gap_requests(instance, NOW, lookback_days=2, cap=1000)
    hours = {r.partition_key for r in tick.requests if r.tags["vvv/gap"].startswith("crypto_")}
    # the orphan's range covers every hour up to HOUR: those are in flight, later ones are gaps
    assert HOUR not in hours and "2025-11-25-16:00" in hours
    assert all(h > HOUR for h in hours)
