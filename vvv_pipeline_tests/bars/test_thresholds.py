"""Default thresholds: average of recent days / divisor, per symbol and measure."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.bars import ThresholdSpec, default_thresholds


@pytest.fixture
def history() -> pd.DataFrame:
    days = pd.date_range("2024-11-25", periods=3, freq="D", tz="UTC")
    return pd.DataFrame(
        {
            "ts": list(days) * 2,
            "symbol": pd.Categorical(["AAA"] * 3 + ["BBB"] * 3),
            "volume": [100_000, 200_000, 300_000, 5_000, 5_000, 5_126],
            "close": [10.0, 10.0, 20.0, 1.0, 1.0, 1.0],
            "vwap": [10.0, 12.0, 14.0, 1.0, 1.0, 1.0],
            "trade_count": [1000, 1000, 1000, 0, 0, 0],
        }
    )


def test_volume_threshold_is_recent_average_daily_volume_over_50_rounded(history):
    got = default_thresholds(history, lookback_days=2)
    assert got.to_dict() == {"AAA": 5000.0, "BBB": 101.0}


def test_dollar_threshold_prefers_vwap_and_stays_float(history):
    got = default_thresholds(history, spec=ThresholdSpec("dollar", divisor=100, lookback_days=3))
    assert got["AAA"] == pytest.approx((1e6 + 2.4e6 + 4.2e6) / 3 / 100)


def test_tick_threshold_drops_symbols_without_history_and_needs_trade_count(history):
    assert default_thresholds(history, measure="ticks").to_dict() == {"AAA": 20.0}
    with pytest.raises(ValueError, match="trade_count"):
        default_thresholds(history.drop(columns="trade_count"), measure="ticks")
