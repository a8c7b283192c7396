"""Tier 2: every estimator on a hand-computed series, grouped and end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.metadata_tiers import TIER2_COLUMNS, tier2_microstructure
from vvv_pipeline.metadata_tiers.tier2_microstructure import (
    amihud,
    bipower_variation,
    ols_slope,
    order_flow_imbalance,
    realized_variance,
    roll_spread,
)
from vvv_pipeline_tests.metadata_tiers.frames import DAY, equity

BAR = 300  # seconds


def one_row(ticks: pd.DataFrame) -> pd.Series:
    out = tier2_microstructure(ticks, "equity_ticks", DAY)
    assert list(out.columns) == list(TIER2_COLUMNS)
    assert len(out) == 1
    return out.iloc[0]


def test_realized_variance_of_three_returns() -> None:
    codes = np.zeros(3, dtype=np.int64)
    rv = realized_variance(np.array([0.01, -0.02, 0.03]), codes, 1)
    assert rv[0] == pytest.approx(0.0001 + 0.0004 + 0.0009)  # 0.0014


def test_realized_variance_groups_apart() -> None:
    codes = np.array([0, 0, 1, 1])
    rv = realized_variance(np.array([0.01, 0.02, 0.1, -0.1]), codes, 2)
    np.testing.assert_allclose(rv, [0.0005, 0.02])


def test_bipower_on_four_returns() -> None:
    codes = np.zeros(4, dtype=np.int64)
    bv = bipower_variation(np.array([0.01, -0.02, 0.03, -0.01]), codes, 1)
    # pi/2 (0.01*0.02 + 0.02*0.03 + 0.03*0.01) = pi/2 * 0.0011
    assert bv[0] == pytest.approx(math.pi / 2 * 0.0011)


def test_bipower_does_not_pair_across_groups() -> None:
    codes = np.array([0, 0, 1, 1])
    bv = bipower_variation(np.array([0.01, 0.02, 0.5, 0.03]), codes, 2)
    np.testing.assert_allclose(bv, [math.pi / 2 * 0.0002, math.pi / 2 * 0.015])


def test_rv_and_bipower_end_to_end() -> None:
    # one trade per 5-minute bar: path [p0, c1, c2, c3, c4] with p0 = c1 (first bar = 1 trade)
    logs = np.cumsum([0.0, 0.01, -0.02, 0.03])
    prices = 100.0 * np.exp(logs)
    row = one_row(equity([10 + k * BAR for k in range(4)], prices))
    assert row["n_bars"] == 4
    # returns 0, 0.01, -0.02, 0.03
    assert row["realized_variance"] == pytest.approx(0.0014)
    assert row["bipower_variation"] == pytest.approx(math.pi / 2 * (0.0002 + 0.0006))


def test_returns_fold_empty_bars_and_start_at_first_trade() -> None:
    # bar 0: 100 -> 101 (return ln 1.01), bars 1-2 empty, bar 3: 99 (return ln(99/101))
    row = one_row(equity([1, 2, 3 * BAR + 5], [100.0, 101.0, 99.0]))
    expected = math.log(1.01) ** 2 + math.log(99 / 101) ** 2
    assert row["n_bars"] == 2
    assert row["realized_variance"] == pytest.approx(expected)


def test_roll_on_bid_ask_bounce() -> None:
    # dp = 1,-1,1,-1,1 -> pairs (-1,1),(1,-1),(-1,1),(1,-1): cov = -1 -> 2 sqrt(1) = 2
    prices = np.array([100.0, 101.0, 100.0, 101.0, 100.0, 101.0])
    assert roll_spread(prices, np.zeros(6, dtype=np.int64), 1)[0] == pytest.approx(2.0)


def test_roll_on_irregular_bounce() -> None:
    # dp = .02,-.02,0,.02 -> pairs (-.02,.02),(0,-.02),(.02,0): means 0, cov = -.0004/3
    prices = np.array([10.0, 10.02, 10.0, 10.0, 10.02])
    roll = roll_spread(prices, np.zeros(5, dtype=np.int64), 1)[0]
    assert roll == pytest.approx(2 * math.sqrt(0.0004 / 3))  # 0.0230940...


def test_roll_nan_on_trend_and_short_series() -> None:
    codes = np.array([0, 0, 0, 0, 1, 1])
    prices = np.array([100.0, 101.0, 102.0, 103.0, 5.0, 6.0])
    assert np.isnan(roll_spread(prices, codes, 2)).all()


def test_roll_end_to_end_in_bps() -> None:
    prices = [100.0, 101.0, 100.0, 101.0, 100.0, 101.0]
    row = one_row(equity([1, 2, 3, 4, 5, 6], prices))
    assert row["roll_spread"] == pytest.approx(2.0)
    assert row["roll_spread_bps"] == pytest.approx(2.0 / 100.5 * 1e4)


def test_kyle_lambda_on_exact_linear_relation() -> None:
    x = np.array([0.0, 200.0, -100.0, 500.0, -300.0])
    y = 0.001 * x + 0.05
    assert ols_slope(x, y, np.zeros(5, dtype=np.int64), 1)[0] == pytest.approx(0.001)


def test_kyle_lambda_nan_without_variation() -> None:
    x = np.array([100.0, 100.0, 100.0, 5.0])
    y = np.array([0.1, 0.2, 0.3, 0.4])
    out = ols_slope(x, y, np.array([0, 0, 0, 1]), 2)
    assert np.isnan(out).all()


def test_kyle_lambda_end_to_end_signed_by_aggressor() -> None:
    # bar 0: first trade, tick sign unknown -> signed 0, dp 0; then dp = 0.001 x signed volume
    prices = [100.0, 100.2, 100.1, 100.6, 100.3]
    sizes = [100, 200, 100, 500, 300]
    aggressor = [0, 1, -1, 1, -1]
    row = one_row(equity([10 + k * BAR for k in range(5)], prices, sizes, aggressor))
    assert row["kyle_lambda"] == pytest.approx(0.001, rel=1e-9)


def test_kyle_lambda_end_to_end_tick_rule() -> None:
    # aggressor unknown everywhere: upticks buy, downticks sell, same relation
    prices = [100.0, 100.2, 100.1, 100.6, 100.3]
    sizes = [100, 200, 100, 500, 300]
    row = one_row(equity([10 + k * BAR for k in range(5)], prices, sizes))
    assert row["kyle_lambda"] == pytest.approx(0.001, rel=1e-9)


def test_amihud_on_two_bars() -> None:
    # bar 0: 100 x 10, 102 x 10 -> r = ln 1.02, $2020; bar 1: 101 x 20 -> r = ln(101/102), $2020
    row = one_row(equity([1, 2, BAR + 1], [100.0, 102.0, 101.0], [10, 10, 20]))
    expected = (0.0198026273 / 2020 + 0.0098522964 / 2020) / 2
    assert row["amihud"] == pytest.approx(expected, rel=1e-8)
    direct = amihud(np.array([0.02, -0.01, 0.5]), np.array([100.0, 50.0, 0.0]), np.zeros(3, int), 1)
    assert direct[0] == pytest.approx((0.0002 + 0.0002) / 2)  # zero dollar volume skipped


def test_order_flow_imbalance_on_signed_trades() -> None:
    # signs: unknown (first tick), +1 (uptick), -1 (aggressor), -1 (zero tick repeats the
    # downtick 10.01 -> 10.00): buy 200, sell 300 + 400
    row = one_row(
        equity([1, 2, 3, 4], [10.0, 10.01, 10.0, 10.0], [100, 200, 300, 400], [0, 0, -1, 0])
    )
    assert row["buy_volume"] == 200
    assert row["sell_volume"] == 700
    assert row["order_flow_imbalance"] == pytest.approx(-500 / 900)
    np.testing.assert_allclose(order_flow_imbalance([3.0, 0.0], [1.0, 0.0]), [0.5, np.nan])


def test_trade_size_quantiles() -> None:
    sizes = list(range(1, 101))[::-1]  # order does not matter
    row = one_row(equity(list(range(1, 101)), [50.0] * 100, sizes))
    assert row["size_p50"] == pytest.approx(50.5)
    assert row["size_p90"] == pytest.approx(90.1)
    assert row["size_p99"] == pytest.approx(99.01)


def test_two_symbols_are_independent() -> None:
    a = equity([1, 2, 3, 4, 5, 6], [100.0, 101.0, 100.0, 101.0, 100.0, 101.0], symbol="AAA")
    b = equity([1, 2, BAR + 1], [100.0, 102.0, 101.0], [10, 10, 20], symbol="BBB")
    out = tier2_microstructure(pd.concat([b, a], ignore_index=True), "equity_ticks", DAY)
    assert list(out["symbol"]) == ["AAA", "BBB"]
    assert out["roll_spread"].iloc[0] == pytest.approx(2.0)
    assert out["n_bars"].tolist() == [1, 2]


def test_empty_input_gives_empty_frame() -> None:
    out = tier2_microstructure(equity([], []), "equity_ticks", DAY)
    assert len(out) == 0
    assert list(out.columns) == list(TIER2_COLUMNS)
