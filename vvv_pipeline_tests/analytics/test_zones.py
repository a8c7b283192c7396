"""Price zones: nodes, tails, strength and touches on a hand-built profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.analytics.zones import COLUMNS, price_zones, run_bounds

DATE = pd.Timestamp("2025-11-25")
OPEN = pd.Timestamp("2025-11-25 14:30", tz="UTC")


def levels_frame(volumes: list[int], tpos: list[int], symbol: str = "AAA") -> pd.DataFrame:
    """Levels 100, 101, ... (row size 1) with the given volumes and TPO counts."""
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * len(volumes)),
            "date": DATE,
            "price": 100.0 + np.arange(len(volumes)),
            "tpo_count": np.array(tpos, dtype=np.int64),
            "volume": np.array(volumes, dtype=np.int64),
        }
    )


def bars_frame(ranges: list[tuple[float, float]], symbol: str = "AAA") -> pd.DataFrame:
    """Consecutive 1-minute bars with the given (high, low)."""
    high, low = (np.array(c, dtype=np.float64) for c in zip(*ranges, strict=True))
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * len(ranges)),
            "ts": OPEN + pd.to_timedelta(np.arange(len(ranges)), "min"),
            "high": high,
            "low": low,
        }
    )


VOLUMES = [10, 50, 60, 5, 0, 5, 70, 20, 10]  # mean 230 / 9: hvn >= 38.3, lvn <= 12.8
TPOS = [1, 1, 3, 2, 1, 2, 4, 1, 1]
BARS = [(101, 100), (102, 101), (106, 104), (106.2, 105.8), (101.2, 100.8)]


def test_nodes_and_tails_of_a_hand_built_profile():
    zones = price_zones(levels_frame(VOLUMES, TPOS), bars_frame(BARS))
    assert list(zones.columns) == list(COLUMNS)
    got = zones[["kind", "price_low", "price_high", "volume"]].astype({"kind": str})
    assert got.values.tolist() == [
        ["demand", 99.5, 101.5, 60],  # single prints 100..101 up from the bottom
        ["hvn", 100.5, 102.5, 110],
        ["lvn", 102.5, 105.5, 10],  # 100 and 108 are thin too, but on the edges
        ["hvn", 105.5, 106.5, 70],
        ["supply", 106.5, 108.5, 30],  # single prints 107..108 down from the top
    ]
    assert zones["strength"].tolist() == pytest.approx([2 / 3, 60 / 70, 17 / 23, 1.0, 2 / 3])


def test_touches_count_separate_visits_not_bars():
    zones = price_zones(levels_frame(VOLUMES, TPOS), bars_frame(BARS))
    # demand: bars 1-2 then bar 5; hvn 100.5: bars 1-2, 5; lvn: bar 3; hvn 105.5: bars 3-4
    assert zones["touches"].tolist() == [2, 2, 1, 1, 0]


def test_a_long_tail_has_full_strength_and_symbols_stay_apart():
    levels = pd.concat(
        [
            levels_frame([5, 5, 5, 50, 50], [1, 1, 1, 1, 2], symbol="AAA"),
            levels_frame([10, 100, 10], [2, 2, 2], symbol="BBB"),
        ],
        ignore_index=True,
    )
    bars = pd.concat([bars_frame([(104, 100)]), bars_frame([(102, 100)], "BBB")])
    zones = price_zones(levels, bars)
    demand = zones[zones["kind"] == "demand"]
    assert demand["symbol"].astype(str).tolist() == ["AAA"]
    assert demand[["price_low", "price_high", "strength"]].values.tolist() == [[99.5, 103.5, 1.0]]
    assert set(zones.loc[zones["symbol"] == "BBB", "kind"].astype(str)) == {"hvn"}


def test_zones_from_a_profile_use_its_row_size():
    bars = pd.DataFrame(
        {
            "symbol": pd.Categorical(["AAA"] * 4),
            "ts": OPEN + pd.to_timedelta([0, 1, 2, 3], "min"),
            "high": [10.0, 10.5, 10.25, 10.0],
            "low": [10.0, 10.25, 10.25, 10.0],
            "close": [10.0, 10.5, 10.25, 10.0],
            "vwap": [10.0, 10.5, 10.25, 10.0],
            "volume": [100, 1, 1, 100],
        }
    )
    levels = market_profile(bars, row_size=0.25).levels
    zones = price_zones(levels, bars)
    hvn = zones[zones["kind"] == "hvn"]
    assert hvn[["price_low", "price_high", "volume"]].values.tolist() == [[9.875, 10.125, 200]]


def test_run_bounds_split_runs_at_day_changes():
    flag = np.array([True, True, False, True, True, True])
    day = np.array([0, 0, 0, 0, 1, 1])
    starts, ends = run_bounds(flag, day)
    assert starts.tolist() == [0, 3, 4] and ends.tolist() == [1, 3, 5]


def test_zones_need_bars_for_every_symbol_day():
    with pytest.raises(ValueError, match="bars: no bars for AAA on 2025-11-25"):
        price_zones(levels_frame(VOLUMES, TPOS), bars_frame(BARS, symbol="ZZZ"))


def test_ratios_on_the_wrong_side_of_one_are_rejected():
    with pytest.raises(ValueError, match="lvn_ratio"):
        price_zones(levels_frame(VOLUMES, TPOS), bars_frame(BARS), lvn_ratio=1.2)
