"""Windows: sessions with early closes, local calendar days across DST, validation."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.bars import calendar_day_windows, session_windows
from vvv_pipeline.bars.session_grid import as_windows


def test_session_windows_honour_the_early_close():
    windows = session_windows(["2024-11-29", "2024-11-27"])
    assert list(windows["close"]) == [
        pd.Timestamp("2024-11-27 21:00", tz="UTC"),
        pd.Timestamp("2024-11-29 18:00", tz="UTC"),
    ]


def test_new_york_calendar_days_are_23_24_25_hours_across_dst():
    windows = calendar_day_windows("2024-11-02", "2024-11-04")
    hours = ((windows["close"] - windows["open"]) / pd.Timedelta("1h")).tolist()
    assert hours == [24.0, 25.0, 24.0]
    spring = calendar_day_windows("2024-03-10", "2024-03-10")
    assert (spring["close"] - spring["open"]).iloc[0] == pd.Timedelta("23h")


def test_windows_accept_days_pairs_or_frames_and_reject_overlaps():
    days = as_windows(["2024-11-29"])
    pairs = as_windows([(pd.Timestamp("2024-11-29 14:30", tz="UTC"), "2024-11-29 18:00Z")])
    assert days[0].tolist() == pairs[0].tolist() and days[1].tolist() == pairs[1].tolist()
    with pytest.raises(ValueError, match="overlap"):
        as_windows(
            [("2024-11-29 14:30Z", "2024-11-29 18:00Z"), ("2024-11-29 17:00Z", "2024-11-29 19:00Z")]
        )
