import pandas as pd
import pytest

from vvv_pipeline.calendars import (
    is_early_close,
    is_session,
    last_sessions,
    non_session_weekdays,
    session_bounds,
    sessions_between,
)


def test_2024_and_2025_have_502_sessions():
    assert len(sessions_between("2024-01-01", "2025-12-31")) == 502


def test_holidays_and_weekends_are_not_sessions():
    assert not is_session("2024-07-04")
    assert not is_session("2024-11-28")
    assert not is_session("2024-11-30")
    assert is_session("2024-11-29")


def test_early_close_ends_at_13_new_york():
    open_, close = session_bounds("2024-11-29")
    assert open_ == pd.Timestamp("2024-11-29 14:30", tz="UTC")
    assert close == pd.Timestamp("2024-11-29 18:00", tz="UTC")
    assert is_early_close("2024-11-29")
    assert not is_early_close("2024-11-26")


def test_summer_session_bounds_follow_daylight_saving():
    assert session_bounds("2024-07-01") == (
        pd.Timestamp("2024-07-01 13:30", tz="UTC"),
        pd.Timestamp("2024-07-01 20:00", tz="UTC"),
    )


def test_non_session_weekdays_are_the_holidays():
    days = [d.strftime("%Y-%m-%d") for d in non_session_weekdays("2024-11-01", "2024-12-31")]
    assert days == ["2024-11-28", "2024-12-25"]


def test_session_bounds_rejects_a_holiday_by_name():
    with pytest.raises(ValueError, match="2024-12-25 is not an XNYS session"):
        session_bounds("2024-12-25")


def test_last_sessions_counts_only_closed_sessions():
    # Noon on the early-close Friday: it has not closed yet; Thanksgiving is skipped.
    assert last_sessions(3, pd.Timestamp("2024-11-29 12:00", tz="America/New_York")) == [
        "2024-11-25",
        "2024-11-26",
        "2024-11-27",
    ]
    assert last_sessions(2, pd.Timestamp("2024-11-29 13:00", tz="America/New_York")) == [
        "2024-11-27",
        "2024-11-29",
    ]


def test_as_utc_reads_aware_naive_and_text_stamps():
    from vvv_pipeline.calendars import as_utc

    expected = pd.Series(pd.to_datetime(["2025-03-09 06:30", "2025-07-01 13:30"], utc=True))
    tokyo = expected.dt.tz_convert("Asia/Tokyo")
    pd.testing.assert_series_equal(as_utc(tokyo), expected)
    pd.testing.assert_series_equal(as_utc(expected.dt.tz_localize(None)), expected)
    pd.testing.assert_series_equal(
        as_utc(pd.Series(["2025-03-09 06:30", "2025-07-01 13:30"])), expected
    )
