"""Risk on adjusted prices: a split and a dividend, hand-computed, with and without adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.adjustment import back_adjusted
from vvv_pipeline.analytics.risk import risk_metrics

REL = 1e-9


def split_history() -> pd.DataFrame:
    """AAA gains 1 % a day for 20 days (100 -> 100 x 1.01^20), then splits 2-for-1 and gains
    1 % again: the as-traded close is 100 x 1.01^21 / 2 on day 21."""
    closes = 100.0 * 1.01 ** np.arange(22)
    closes[21] /= 2.0
    split = np.ones(22)
    split[21] = 2.0
    return pd.DataFrame(
        {
            "symbol": "AAA",
            "date": pd.bdate_range("2025-01-02", periods=22),
            "close": closes,
            "dividend": 0.0,
            "split_ratio": split,
        }
    )


def test_unadjusted_closes_show_a_fake_crash_of_49_5_percent() -> None:
    # the split day's return is 1.01 / 2 - 1 = -0.495; with 21 returns k = ceil(21 x 1 %) = 1
    out = risk_metrics(split_history()[["symbol", "date", "close"]], min_returns=5).iloc[0]
    assert out["var_99"] == pytest.approx(0.495, rel=REL)
    assert out["max_drawdown"] == pytest.approx(0.495, rel=REL)


def test_adjusted_closes_show_the_steady_one_percent_gain() -> None:
    history = split_history()
    adjusted = history.assign(adj_close=back_adjusted(history))
    # every earlier close is halved: 50 x 1.01^t, and the last one is its own close
    assert adjusted["adj_close"].to_numpy() == pytest.approx(50.0 * 1.01 ** np.arange(22))
    out = risk_metrics(adjusted, min_returns=5).iloc[0]
    assert out["var_99"] == pytest.approx(-0.01, rel=1e-6)  # the worst day was a 1 % gain
    assert out["max_drawdown"] == pytest.approx(0.0, abs=1e-12)
    assert out["rolling_vol_20d"] == pytest.approx(0.0, abs=1e-9)


def test_a_dividend_is_no_loss_once_adjusted() -> None:
    # 100, 100 (2.00 ex), 100: the close is flat, the holder got 2 % in cash on day 1;
    # the multiplier 1 - 2 / 100 = 0.98 makes day 0's adjusted close 98
    frame = pd.DataFrame(
        {
            "symbol": "BBB",
            "date": pd.bdate_range("2025-01-02", periods=3),
            "close": [100.0, 100.0, 100.0],
            "dividend": [0.0, 2.0, 0.0],
            "split_ratio": 1.0,
        }
    )
    assert back_adjusted(frame).tolist() == pytest.approx([98.0, 100.0, 100.0])


def test_adjustment_is_per_symbol_and_keeps_the_frames_order() -> None:
    # rows interleaved and reversed; CCC's split must not touch DDD
    frame = pd.DataFrame(
        {
            "symbol": ["DDD", "CCC", "DDD", "CCC"],
            "date": pd.to_datetime(["2025-01-03", "2025-01-03", "2025-01-02", "2025-01-02"]),
            "close": [21.0, 30.0, 20.0, 60.0],
            "dividend": 0.0,
            "split_ratio": [1.0, 2.0, 1.0, 1.0],
        }
    )
    assert back_adjusted(frame).tolist() == pytest.approx([21.0, 30.0, 20.0, 30.0])
