import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
    window_utc,
)
from vvv_pipeline_tests.conftest import EARLY_CLOSE, HOUR, WEEK

DECEMBER_2026 = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
START_VARIABLES = ("VVV_SESSIONS_START", "VVV_CALENDAR_DAYS_START", "VVV_HOURLY_START")


@pytest.fixture
def default_starts(monkeypatch):
    for variable in START_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_session_partition_keys_are_exactly_the_xnys_sessions(monkeypatch):
    monkeypatch.setenv("VVV_SESSIONS_START", "2024-01-02")  # two years, holidays of both
    keys = session_partitions().get_partition_keys_in_range(
        dg.PartitionKeyRange("2024-01-02", "2025-12-31")
    )
    expected = [d.strftime("%Y-%m-%d") for d in sessions_between("2024-01-01", "2025-12-31")]
    assert keys == expected


def test_session_window_is_the_new_york_day():
    start, end = window_utc(session_partitions().time_window_for_partition_key(EARLY_CLOSE))
    assert start == pd.Timestamp("2025-11-28 05:00", tz="UTC")
    assert end == pd.Timestamp("2025-11-29 05:00", tz="UTC")


def test_default_history_is_months_not_years_and_holds_the_dates_in_use(default_starts):
    sessions, days, hours = session_partitions(), calendar_day_partitions(), hourly_partitions()
    assert sessions.get_first_partition_key() == "2025-08-01"
    assert days.get_first_partition_key() == "2025-08-01"
    assert hours.get_first_partition_key() == "2025-11-01-00:00"
    # what "Materialize all" backfills per asset in December 2026 (a 2021 start: 1,488 / 2,163)
    assert len(sessions.get_partition_keys(current_time=DECEMBER_2026)) == 339
    assert len(days.get_partition_keys(current_time=DECEMBER_2026)) == 490
    assert all(sessions.has_partition_key(key) for key in WEEK)  # the docs' examples too
    assert all(days.has_partition_key(key) for key in WEEK)
    assert hours.has_partition_key(HOUR)


def test_history_start_is_configuration(monkeypatch):
    monkeypatch.setenv("VVV_SESSIONS_START", "2021-01-04")
    monkeypatch.setenv("VVV_CALENDAR_DAYS_START", "2021-01-01")
    monkeypatch.setenv("VVV_HOURLY_START", "2025-10-01-00:00")
    assert len(session_partitions().get_partition_keys(current_time=DECEMBER_2026)) == 1488
    assert len(calendar_day_partitions().get_partition_keys(current_time=DECEMBER_2026)) == 2163
    assert hourly_partitions().get_first_partition_key() == "2025-10-01-00:00"


def _hours_of_day(day: str) -> list[str]:
    start, end = window_utc(calendar_day_partitions().time_window_for_partition_key(day))
    hourly = hourly_partitions()
    first = start.strftime("%Y-%m-%d-%H:%M")
    last = (end - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")
    return hourly.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))


def test_calendar_days_map_onto_utc_hours_exactly_across_dst():
    assert len(_hours_of_day("2025-11-02")) == 25  # fall back
    assert len(_hours_of_day("2026-03-08")) == 23  # spring forward
    normal = _hours_of_day("2025-11-20")
    assert len(normal) == 24
    assert normal[0] == "2025-11-20-05:00" and normal[-1] == "2025-11-21-04:00"


def test_hourly_partitions_are_utc_hours():
    window = hourly_partitions().time_window_for_partition_key("2025-11-02-06:00")
    start, end = window_utc(window)
    assert start == pd.Timestamp("2025-11-02 06:00", tz="UTC")
    assert end - start == pd.Timedelta(hours=1)
