"""Expected partition keys and gap splitting, on hand-made key sets and against Dagster itself."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.defs.automation.gaps import (
    _cron_weekdays,
    expected_partition_keys,
    find_gaps,
    gaps_in_range,
    gaps_summary,
)
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)
from vvv_pipeline_tests.conftest import EARLY_CLOSE, WEEK

THANKSGIVING = "2025-11-27"
AS_OF = pd.Timestamp("2026-11-22 05:00", tz="UTC")


def test_session_keys_are_the_week_with_the_early_close_and_without_holiday_or_weekend():
    keys = expected_partition_keys(session_partitions(), WEEK[0], WEEK[-1]).tolist()
    assert keys == WEEK
    assert EARLY_CLOSE in keys
    assert THANKSGIVING not in keys
    assert not {"2025-11-22", "2025-11-23"} & set(keys)  # Saturday, Sunday


def test_calendar_day_keys_include_the_holiday_and_the_weekend():
    keys = expected_partition_keys(calendar_day_partitions(), WEEK[0], WEEK[-1]).tolist()
    assert keys == [f"2025-11-{day}" for day in range(21, 29)]


@pytest.mark.parametrize(
    ("day", "count", "first", "last"),
    [
        ("2025-11-02", 25, "2025-11-02-04:00", "2025-11-03-04:00"),  # clocks fall back
        ("2026-03-08", 23, "2026-03-08-05:00", "2026-03-09-03:00"),  # clocks spring forward
        ("2025-11-03", 24, "2025-11-03-05:00", "2025-11-04-04:00"),
    ],
)
def test_a_new_york_day_holds_the_utc_hours_between_its_midnights(day, count, first, last):
    keys = expected_partition_keys(hourly_partitions(), day, day).tolist()
    assert len(keys) == count
    assert (keys[0], keys[-1]) == (first, last)
    assert len(set(keys)) == count


def test_range_is_clipped_to_the_start_of_the_partitions_definition():
    # hourly partitions start 2025-11-01 00:00 UTC, i.e. 20:00 New York on 2025-10-31
    keys = expected_partition_keys(hourly_partitions(), "2025-10-30", "2025-10-31").tolist()
    assert keys == ["2025-11-01-00:00", "2025-11-01-01:00", "2025-11-01-02:00", "2025-11-01-03:00"]
    # sessions start 2025-08-01 (a Friday): July and the weekend after are outside
    assert expected_partition_keys(session_partitions(), "2025-07-01", "2025-08-04").tolist() == [
        "2025-08-01",
        "2025-08-04",
    ]


def test_as_of_keeps_only_partitions_whose_window_has_ended():
    as_of = pd.Timestamp("2025-11-25 15:00", tz="UTC")
    sessions = expected_partition_keys(session_partitions(), WEEK[0], WEEK[-1], as_of=as_of)
    assert sessions.tolist() == WEEK[:2]  # the 25th's window ends at midnight New York
    hours = expected_partition_keys(hourly_partitions(), WEEK[2], WEEK[2], as_of=as_of).tolist()
    assert hours[0] == "2025-11-25-05:00"
    assert hours[-1] == "2025-11-25-14:00"  # ended exactly at as_of
    assert len(hours) == 10


@pytest.fixture
def years_of_history(monkeypatch):
    """Daily history from 2021, as a deployment that backfilled years would configure it."""
    monkeypatch.setenv("VVV_SESSIONS_START", "2021-01-04")
    monkeypatch.setenv("VVV_CALENDAR_DAYS_START", "2021-01-01")


@pytest.mark.parametrize(
    "partitions", [session_partitions, calendar_day_partitions, hourly_partitions]
)
def test_keys_equal_dagsters_own_over_the_whole_history(partitions, years_of_history):
    pdef = partitions()
    theirs = list(pdef.get_partition_keys(current_time=AS_OF.to_pydatetime()))
    ours = expected_partition_keys(pdef, "2020-01-01", "2026-12-31", as_of=AS_OF).tolist()
    # sessions are partitions from the day's start (end offset 1) but only a gap once ended
    assert ours == theirs[: len(theirs) - pdef.end_offset]
    assert len(ours) > 1000


def test_session_keys_equal_the_exchange_calendar_sessions(years_of_history):
    keys = expected_partition_keys(session_partitions(), "2021-01-04", "2025-12-31").tolist()
    sessions = sessions_between("2021-01-04", "2025-12-31").strftime("%Y-%m-%d").tolist()
    assert keys == sessions
    assert len(keys) == 1255


def test_cron_weekday_exclusions_parse_lists_ranges_and_seven_as_sunday():
    assert _cron_weekdays("0 0 * * 0,6") == {0, 6}
    assert _cron_weekdays("0 0 * * 1-5") == {1, 2, 3, 4, 5}
    assert _cron_weekdays("0 0 * * 7") == {0}
    assert _cron_weekdays("0 12 * * 0") is None
    assert _cron_weekdays("0 0 1 * *") is None


def test_unsupported_definitions_and_reversed_ranges_are_rejected_by_name():
    weekly = dg.WeeklyPartitionsDefinition(start_date="2025-01-05")
    with pytest.raises(ValueError, match="only daily and hourly"):
        expected_partition_keys(weekly, "2025-02-01", "2025-03-01")
    with pytest.raises(TypeError, match="partitions_def"):
        expected_partition_keys(dg.StaticPartitionsDefinition(["a"]), "2025-02-01", "2025-03-01")
    with pytest.raises(ValueError, match="end 2025-11-20 is before start 2025-11-21"):
        expected_partition_keys(session_partitions(), "2025-11-21", "2025-11-20")
    with pytest.raises(ValueError, match="as_of must be tz-aware"):
        expected_partition_keys(session_partitions(), WEEK[0], WEEK[-1], as_of=pd.Timestamp(0))


def test_find_gaps_splits_expected_keys_and_ignores_keys_outside_them():
    materialized = {WEEK[0], WEEK[1], WEEK[3], THANKSGIVING}
    gaps = find_gaps("darkpool_prints", list(reversed(WEEK)), materialized, {WEEK[1], "x"})
    assert gaps.expected == tuple(WEEK)
    assert gaps.materialized == (WEEK[0], WEEK[1], WEEK[3])
    assert gaps.missing == (WEEK[2], WEEK[4])
    assert gaps.failed_tier1 == (WEEK[1],)
    assert gaps.counts() == {"expected": 5, "materialized": 3, "missing": 2, "failed_tier1": 1}


def test_to_frame_gives_each_expected_partition_one_state_with_failed_first():
    gaps = find_gaps("a", WEEK, {WEEK[0], WEEK[1]}, {WEEK[1], WEEK[2]})
    frame = gaps.to_frame()
    assert frame.columns.tolist() == ["asset", "partition", "state"]
    assert frame["partition"].tolist() == WEEK
    assert frame["state"].tolist() == [
        "materialized",
        "failed_tier1",
        "failed_tier1",
        "missing",
        "missing",
    ]
    assert set(frame["asset"]) == {"a"}


def test_gaps_in_range_uses_the_calendar_and_markdown_lists_what_to_act_on():
    gaps = gaps_in_range("equity_ticks", session_partitions(), WEEK[0], WEEK[-1], WEEK[:3])
    assert gaps.missing == (WEEK[3], WEEK[4])
    text = gaps.to_markdown(max_listed=1)
    assert text.splitlines() == [
        "**equity_ticks**: 3 of 5 expected partitions materialized, 2 missing, 0 failed tier 1",
        f"- missing: {WEEK[3]} (+1 more)",
    ]


def test_summary_has_one_row_of_counts_per_asset():
    both = [find_gaps("a", WEEK, WEEK[:2], WEEK[:1]), find_gaps("b", ["k"], [], [])]
    summary = gaps_summary(both)
    assert summary.to_dict("records") == [
        {"asset": "a", "expected": 5, "materialized": 2, "missing": 3, "failed_tier1": 1},
        {"asset": "b", "expected": 1, "materialized": 0, "missing": 1, "failed_tier1": 0},
    ]
