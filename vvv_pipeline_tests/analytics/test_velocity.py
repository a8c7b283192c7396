"""Velocity: rate of change and acceleration at the day's last bar, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.days import symbol_days
from vvv_pipeline.analytics.velocity import COLUMNS, bar_velocity, daily_velocity, reference_rows

OPEN = pd.Timestamp("2025-11-25 14:30", tz="UTC")


def minute_bars(minutes: list[int], closes: list[float], symbol: str = "AAA") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * len(minutes)),
            "ts": OPEN + pd.to_timedelta(minutes, unit="min"),
            "close": np.asarray(closes, dtype=np.float64),
        }
    )


def ramp(minutes: list[int]) -> pd.DataFrame:
    """close = 100 + minute: a known price at every instant."""
    return minute_bars(minutes, [100.0 + m for m in minutes])


def roc(now: float, then: float) -> float:
    return 100 * (now / then - 1)


def test_rates_and_accelerations_at_the_last_bar_match_hand_values():
    out = daily_velocity(ramp(list(range(70))))
    row = out.iloc[0]
    assert list(out.columns) == list(COLUMNS) and len(out) == 1
    assert row["roc_5m"] == pytest.approx(roc(169, 164))
    assert row["accel_5m"] == pytest.approx(roc(169, 164) - roc(164, 159))
    assert row["roc_15m"] == pytest.approx(roc(169, 154))
    assert row["accel_15m"] == pytest.approx(roc(169, 154) - roc(154, 139))
    assert row["roc_60m"] == pytest.approx(roc(169, 109))
    assert np.isnan(row["accel_60m"])  # 60 minutes before minute 9 is before the open
    # |roc_15m| is largest at the first bar that has a 15-minute reference: 115 vs 100
    assert row["max_abs_roc_15m"] == pytest.approx(15.0)


def test_a_missing_minute_uses_the_latest_earlier_bar_as_reference():
    minutes = [m for m in range(20) if m != 14]
    row = daily_velocity(ramp(minutes)).iloc[0]
    assert row["roc_5m"] == pytest.approx(roc(119, 113))


def test_windows_never_reach_into_the_previous_day():
    first_day = ramp(list(range(30)))
    next_day = first_day.assign(ts=first_day["ts"] + pd.Timedelta(days=1)).iloc[:10]
    out = daily_velocity(pd.concat([first_day, next_day], ignore_index=True))
    assert out["date"].tolist() == [pd.Timestamp("2025-11-25"), pd.Timestamp("2025-11-26")]
    second = out.iloc[1]
    assert second["roc_5m"] == pytest.approx(roc(109, 104))
    assert np.isnan(second["roc_15m"]) and np.isnan(second["max_abs_roc_15m"])


def test_reference_rows_point_at_or_before_the_window_start_within_the_symbol_day():
    bars = pd.concat(
        [ramp([0, 3, 5, 9]), minute_bars([0, 6], [1.0, 2.0], symbol="BBB")], ignore_index=True
    )
    days = symbol_days(bars, ("symbol", "ts", "close"), "bars")
    # AAA rows 0..3 at minutes 0, 3, 5, 9; BBB rows 4..5 at minutes 0, 6
    assert reference_rows(days, "5min").tolist() == [-1, -1, 0, 1, -1, 4]


def test_per_bar_output_keeps_one_row_per_bar_in_symbol_and_time_order():
    bars = pd.concat(
        [minute_bars([1, 0], [2.0, 1.0], symbol="ZZZ"), ramp([0, 1])], ignore_index=True
    )
    out = bar_velocity(bars)
    assert out["symbol"].astype(str).tolist() == ["AAA", "AAA", "ZZZ", "ZZZ"]
    assert out["ts"].tolist() == [OPEN, OPEN + pd.Timedelta(minutes=1)] * 2


def test_naive_timestamps_are_rejected_naming_bars():
    bars = ramp([0, 1])
    with pytest.raises(ValueError, match="bars: ts must be tz-aware"):
        daily_velocity(bars.assign(ts=bars["ts"].dt.tz_localize(None)))
