"""Trade signing: aggressor where known, tick rule otherwise, first trade unknown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars import tick_rule, trade_signs


def ticks(symbols: list[str], prices: list[float], aggressor: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts": pd.date_range("2024-11-29 14:30", periods=len(prices), freq="s", tz="UTC"),
            "symbol": pd.Categorical(symbols),
            "price": prices,
            "size": np.ones(len(prices), dtype=np.int64),
            "aggressor": np.array(aggressor, dtype=np.int8),
        }
    )


def test_tick_rule_hand_case_first_trade_unknown_zero_tick_repeats_last_sign():
    frame = ticks(["A"] * 8, [10, 10, 11, 11, 10.5, 10.5, 12, 12], [0] * 8)
    assert tick_rule(frame).tolist() == [0, 0, 1, 1, -1, -1, 1, 1]


def test_aggressor_overrides_the_tick_rule_where_known():
    frame = ticks(["A"] * 5, [10, 11, 12, 11, 11], [0, -1, 0, 1, 0])
    assert trade_signs(frame).tolist() == [0, -1, 1, 1, -1]
    assert tick_rule(frame).tolist() == [0, 1, 1, -1, -1]


def test_each_symbol_keeps_its_own_tick_state():
    frame = ticks(["A", "A", "B", "B", "B"], [10, 11, 50, 49, 49], [0] * 5)
    assert tick_rule(frame).tolist() == [0, 1, 0, -1, -1]
