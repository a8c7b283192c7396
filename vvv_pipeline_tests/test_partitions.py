import dagster as dg
import pandas as pd

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
    window_utc,
)


def test_session_partition_keys_are_exactly_the_xnys_sessions():
    keys = session_partitions().get_partition_keys_in_range(
        dg.PartitionKeyRange("2024-01-02", "2025-12-31")
    )
    expected = [d.strftime("%Y-%m-%d") for d in sessions_between("2024-01-01", "2025-12-31")]
    assert keys == expected


def test_session_window_is_the_new_york_day():
    start, end = window_utc(session_partitions().time_window_for_partition_key("2024-11-29"))
    assert start == pd.Timestamp("2024-11-29 05:00", tz="UTC")
    assert end == pd.Timestamp("2024-11-30 05:00", tz="UTC")


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
