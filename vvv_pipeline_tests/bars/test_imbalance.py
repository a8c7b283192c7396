"""Tick imbalance bars: hand case of the EWMA expectations, bounds, carry across partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vvv_pipeline.bars import ImbalanceSpec, tick_imbalance_bars
from vvv_pipeline_tests.bars.synthetic import equity_ticks
from vvv_pipeline_tests.bars.test_volume import by_day, trades

HAND = ImbalanceSpec(
    initial_expected_ticks=4, initial_expected_imbalance=0.5, alpha=0.5, bounds_ratio=10
)


def test_hand_case_threshold_is_expected_ticks_times_expected_signed_mean():
    signs = [1, 1, -1, 1, 1, 1, 1, -1, -1, -1, 1]
    bars, carry = tick_imbalance_bars(trades([10.0] * 11, [1] * 11, signs), HAND)
    # bar 1: E[T]=4, E[b]=0.5 -> threshold 2; ++ closes it (T=2, theta=2)
    # bar 2: E[T]=.5*2+.5*4=3, E[b]=.5*1+.5*.5=.75 -> 2.25; -++++ closes at theta=3 (T=5)
    # bar 3: E[T]=.5*5+.5*3=4, E[b]=.5*.6+.5*.75=.675 -> 2.7; --- closes at theta=-3 (T=3)
    # bar 4: E[T]=.5*3+.5*4=3.5, E[b]=.5*-1+.5*.675=-.1625 -> .56875; + closes it (T=1)
    assert bars["trade_count"].tolist() == [2, 5, 3, 1]
    assert bars["imbalance"].tolist() == [2.0, 3.0, -3.0, 1.0]
    assert bars["threshold"].tolist() == pytest.approx([2.0, 2.25, 2.7, 0.56875])
    assert bars["expected_ticks"].tolist() == pytest.approx([4.0, 3.0, 4.0, 3.5])
    assert bars["expected_imbalance"].tolist() == pytest.approx([0.5, 0.75, 0.675, -0.1625])
    assert bars["buy_volume"].tolist() == [2, 4, 0, 1]
    assert carry.loc["AAA", "expected_ticks"] == pytest.approx(2.25)
    assert carry.loc["AAA", "expected_imbalance"] == pytest.approx(0.41875)
    assert not carry.loc["AAA", "active"]


def test_unknown_signs_count_in_length_but_not_in_imbalance():
    bars, _ = tick_imbalance_bars(trades([10.0] * 4, [1] * 4, [0, 0, 1, 1]), HAND)
    assert bars["trade_count"].tolist() == [4]
    assert bars["imbalance"].tolist() == [2.0]


def test_expectations_stay_within_bounds_so_bars_neither_collapse_nor_explode():
    rng = np.random.default_rng(3)
    n = 20_000
    spec = ImbalanceSpec(initial_expected_ticks=50, bounds_ratio=4, min_expected_imbalance=0.1)
    for p_buy in (0.5, 0.9):
        signs = np.where(rng.random(n) < p_buy, 1, -1).tolist()
        bars, _ = tick_imbalance_bars(trades([10.0] * n, [1] * n, signs), spec)
        assert bars["expected_ticks"].between(50 / 4, 50 * 4).all()
        assert bars["threshold"].between(50 / 4 * 0.1, 50 * 4).all()
        assert 5 < len(bars) < n / 2


def test_processing_partitions_with_carry_equals_processing_the_whole():
    ticks = equity_ticks()
    spec = ImbalanceSpec(initial_expected_ticks=40)
    seeds = {"AAA": 30.0}
    whole, whole_carry = tick_imbalance_bars(ticks, spec, initial_ticks=seeds)
    parts, carry = [], None
    for part in by_day(ticks):
        bars, carry = tick_imbalance_bars(part, spec, carry=carry, initial_ticks=seeds)
        parts.append(bars)
    pieced = pd.concat(parts, ignore_index=True).sort_values("symbol", kind="stable")
    assert_frame_equal(pieced.reset_index(drop=True), whole)
    assert_frame_equal(carry, whole_carry)
    assert whole.groupby("symbol", observed=True)["expected_ticks"].first().tolist() == [30, 40]


def test_include_partial_conserves_volume():
    ticks = equity_ticks()
    bars, _ = tick_imbalance_bars(ticks, include_partial=True)
    assert bars["volume"].sum() == ticks["size"].sum()
    assert bars["trade_count"].sum() == len(ticks)
