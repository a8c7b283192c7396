"""Volume, dollar and tick bars: exact splitting, conservation, carry across partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vvv_pipeline.bars import (
    EVENT_BAR_COLUMNS,
    dollar_bars,
    tick_bars,
    tick_imbalance_bars,
    volume_bars,
)
from vvv_pipeline.schemas import CRYPTO_TRADES
from vvv_pipeline_tests.bars.synthetic import SESSIONS, crypto_trades, equity_ticks

T0 = pd.Timestamp("2024-11-29 14:30", tz="UTC")


def trades(prices: list[float], sizes: list[float], aggressor: list[int] | None = None):
    n = len(prices)
    return pd.DataFrame(
        {
            "ts": T0 + pd.to_timedelta(np.arange(n), unit="s"),
            "symbol": pd.Categorical(["AAA"] * n),
            "price": np.array(prices, dtype=float),
            "size": np.array(sizes),
            "aggressor": np.array(aggressor or [0] * n, dtype=np.int8),
        }
    )


def at(*seconds: int) -> list[pd.Timestamp]:
    return [T0 + pd.Timedelta(seconds=s) for s in seconds]


def by_day(ticks: pd.DataFrame) -> list[pd.DataFrame]:
    """Partitions: one frame per New York day, each sorted by (symbol, ts) like a partition."""
    day = ticks["ts"].dt.tz_convert("America/New_York").dt.date
    return [ticks[day == d].reset_index(drop=True) for d in sorted(day.unique())]


def test_hand_case_six_trades_threshold_10_bars_written_out():
    ticks = trades([10, 11, 12, 11, 10, 10], [3, 25, 4, 2, 6, 5], [1, 0, -1, 0, 1, 0])
    bars, carry = volume_bars(ticks, {"AAA": 10}, include_partial=True)
    expected = pd.DataFrame(
        {
            "symbol": pd.Categorical(["AAA"] * 5),
            "ts": at(1, 1, 2, 4, 5),
            "ts_open": at(0, 1, 1, 2, 5),
            "open": [10.0, 11, 11, 12, 10],
            "high": [11.0, 11, 12, 12, 10],
            "low": [10.0, 11, 11, 10, 10],
            "close": [11.0, 11, 12, 10, 10],
            "volume": np.array([10, 10, 10, 10, 5], dtype=np.int64),
            "dollar_volume": [107.0, 110, 112, 106, 50],
            "vwap": [10.7, 11, 11.2, 10.6, 10],
            "trade_count": np.array([2, 1, 2, 3, 1], dtype=np.int64),
            "buy_volume": np.array([10, 10, 8, 6, 0], dtype=np.int64),
            "sell_volume": np.array([0, 0, 2, 4, 5], dtype=np.int64),
            "threshold": [10.0] * 5,
            "complete": [True, True, True, True, False],
        }
    )
    assert list(bars.columns) == EVENT_BAR_COLUMNS
    assert_frame_equal(bars, expected)
    assert carry.loc["AAA", "active"] and carry.loc["AAA", "filled"] == 5.0


def test_single_trade_spanning_three_bars_is_split_into_three_parts():
    bars, carry = volume_bars(trades([10, 11], [5, 25]), {"AAA": 10})
    assert bars["volume"].tolist() == [10, 10, 10]
    assert bars["trade_count"].tolist() == [2, 1, 1]
    assert bars["ts"].tolist() == at(1, 1, 1)
    assert bars["ts_open"].tolist() == at(0, 1, 1)
    assert not carry.loc["AAA", "active"]


def test_volume_bars_conserve_volume_exactly_and_every_bar_but_the_last_holds_the_threshold():
    ticks = equity_ticks()
    thresholds = {"AAA": 7_777, "BBB": 12_345}
    bars, carry = volume_bars(ticks, thresholds, include_partial=True)
    for symbol, group in bars.groupby("symbol", observed=True):
        assert (group["volume"].iloc[:-1] == thresholds[symbol]).all()
        assert group["complete"].iloc[:-1].all() and not group["complete"].iloc[-1]
        assert group["volume"].sum() == ticks.loc[ticks["symbol"] == symbol, "size"].sum()
    assert bars["volume"].dtype == np.int64
    done = bars[bars["complete"]]
    assert done["volume"].sum() + carry["volume"].sum() == ticks["size"].sum()
    assert (bars["buy_volume"] + bars["sell_volume"] <= bars["volume"]).all()


def test_float_volume_bars_conserve_volume_to_rounding():
    ticks = crypto_trades()
    bars, _ = volume_bars(ticks, {"BTCUSDT": 25.0, "ETHUSDT": 40.0}, include_partial=True)
    assert bars["volume"].sum() == pytest.approx(ticks["size"].sum(), rel=1e-12)
    done = bars[bars["complete"]]
    np.testing.assert_allclose(done["volume"], done["threshold"], rtol=1e-12)


def test_dollar_bars_hand_case_split_apportions_size_by_price():
    bars, _ = dollar_bars(trades([10, 20], [3, 4]), {"AAA": 50.0}, include_partial=True)
    assert bars["dollar_volume"].tolist() == [50.0, 50.0, 10.0]
    assert bars["volume"].tolist() == [4.0, 2.5, 0.5]
    assert bars["vwap"].tolist() == [12.5, 20.0, 20.0]


def test_dollar_bars_every_complete_bar_holds_the_threshold_and_volume_is_conserved():
    ticks = equity_ticks()
    bars, carry = dollar_bars(ticks, {"AAA": 400_000.0, "BBB": 1_000_000.0})
    np.testing.assert_allclose(bars["dollar_volume"], bars["threshold"], rtol=1e-12)
    total = bars["volume"].sum() + carry["volume"].sum()
    assert total == pytest.approx(ticks["size"].sum(), rel=1e-12)


def test_tick_bars_hold_exactly_threshold_trades_and_never_split():
    bars, _ = tick_bars(trades([10, 11, 12, 11, 10], [3, 25, 4, 2, 6]), 2, include_partial=True)
    assert bars["trade_count"].tolist() == [2, 2, 1]
    assert bars["volume"].tolist() == [28, 6, 6]
    ticks = equity_ticks()
    bars, _ = tick_bars(ticks, {"AAA": 97, "BBB": 101}, include_partial=True)
    assert bars["volume"].sum() == ticks["size"].sum()
    assert bars["trade_count"].sum() == len(ticks)


@pytest.mark.parametrize("measure", ["volume", "dollar", "ticks"])
def test_processing_partitions_with_carry_equals_processing_the_whole(measure):
    ticks = equity_ticks()
    thresholds = {"volume": 9_999, "dollar": 750_000.0, "ticks": 83}[measure]
    whole, whole_carry = volume_bars(ticks, thresholds, measure)
    parts, carry = [], None
    for part in by_day(ticks):
        bars, carry = volume_bars(part, thresholds, measure, carry=carry)
        parts.append(bars)
    pieced = pd.concat(parts, ignore_index=True)
    pieced = pieced.sort_values("symbol", kind="stable", ignore_index=True)
    assert len(SESSIONS) == len(parts)
    assert_frame_equal(pieced, whole)
    assert_frame_equal(carry, whole_carry)


def test_crypto_partitions_with_carry_equal_the_whole_and_absent_symbols_keep_their_carry():
    ticks = crypto_trades()
    whole, whole_carry = volume_bars(ticks, 30.0)
    first = ticks[ticks["ts"] < pd.Timestamp("2024-11-03 12:00", tz="UTC")]
    second = ticks.drop(first.index)
    only_btc = second[second["symbol"] == "BTCUSDT"].reset_index(drop=True)
    only_eth = second[second["symbol"] == "ETHUSDT"].reset_index(drop=True)
    a, carry = volume_bars(first.reset_index(drop=True), 30.0)
    b, carry = volume_bars(only_btc, 30.0, carry=carry)
    c, carry = volume_bars(only_eth, 30.0, carry=carry)
    pieced = pd.concat([a, b, c], ignore_index=True).sort_values("symbol", kind="stable")
    assert_frame_equal(pieced.reset_index(drop=True), whole)
    assert_frame_equal(carry, whole_carry)


def test_a_carried_bar_completes_at_the_threshold_it_opened_with():
    _, carry = volume_bars(trades([10], [5]), {"AAA": 10})
    bars, _ = volume_bars(trades([10, 10], [50, 100]), {"AAA": 100}, carry=carry)
    assert bars["volume"].tolist() == [10, 100]
    assert bars["threshold"].tolist() == [10.0, 100.0]


def test_missing_or_fractional_thresholds_are_rejected():
    with pytest.raises(ValueError, match="AAA"):
        volume_bars(trades([10], [5]), {"BBB": 10})
    with pytest.raises(ValueError, match="whole"):
        volume_bars(trades([10], [5]), {"AAA": 10.5})
    with pytest.raises(ValueError, match="whole"):
        tick_bars(trades([10], [5.0]), 2.5)


def test_an_empty_partition_gives_no_bars_and_an_empty_carry():
    empty = CRYPTO_TRADES.empty()  # no rows and no symbol categories at all
    bars, carry = volume_bars(empty, 5.0, include_partial=True)
    assert bars.empty and carry.empty
    bars, carry = tick_imbalance_bars(empty, include_partial=True)
    assert bars.empty and carry.empty
