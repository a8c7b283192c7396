"""Market profile: hand-computed POC, value area, TPOs, initial balance; a simulated session."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.profile import (
    COLUMNS,
    LEVEL_COLUMNS,
    level_of,
    market_profile,
    nice_row_size,
    profile_levels,
    profile_summary,
)
from vvv_pipeline.analytics.regime import daily_regime, regime_bars
from vvv_pipeline.analytics.velocity import daily_velocity
from vvv_pipeline.analytics.zones import price_zones
from vvv_pipeline.bars import time_bars
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe

DAY = "2025-11-25"
OPEN = pd.Timestamp("2025-11-25 14:30", tz="UTC")  # 09:30 New York


def bars_at(rows: list[tuple[float, float, float, float, float, int]], symbol: str = "AAA"):
    """Bars from (minutes after the open, high, low, close, vwap, volume)."""
    minutes, high, low, close, vwap, volume = (list(c) for c in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * len(rows)),
            "ts": OPEN + pd.to_timedelta(minutes, unit="min"),
            "open": close,
            "high": high,
            "low": low,
            "close": close,
            "volume": np.array(volume, dtype=np.int64),
            "vwap": vwap,
        }
    )


def volume_at(levels: dict[float, int]) -> pd.DataFrame:
    """One flat bar per level (a minute apart) carrying that level's volume."""
    rows = [(i, p, p, p, p, v) for i, (p, v) in enumerate(levels.items())]
    return bars_at(rows)


def test_value_area_adds_the_larger_pair_below_and_stops_at_seventy_percent():
    volumes = {100.0: 5, 101.0: 10, 102.0: 20, 103.0: 40, 104.0: 15, 105.0: 5, 106.0: 5}
    summary = profile_summary(volume_at(volumes), row_size=1.0)
    # POC 103 (40); above 104+105 = 20 < below 102+101 = 30: add below, 70 of 100 reached
    assert summary[["poc", "val", "vah"]].iloc[0].tolist() == [103.0, 101.0, 103.0]
    assert summary["value_area_volume_share"].iloc[0] == pytest.approx(0.70)


def test_value_area_tie_between_pairs_expands_upward():
    volumes = {100.0: 10, 101.0: 10, 102.0: 40, 103.0: 15, 104.0: 5}
    summary = profile_summary(volume_at(volumes), row_size=1.0)
    # target 56 of 80; both pairs hold 20: the upper pair wins, area 60
    assert summary[["poc", "val", "vah"]].iloc[0].tolist() == [102.0, 102.0, 104.0]
    assert summary["value_area_volume_share"].iloc[0] == pytest.approx(0.75)


def test_value_area_at_the_bottom_edge_expands_only_upward():
    volumes = {100.0: 50, 101.0: 10, 102.0: 20, 103.0: 20}
    levels = profile_levels(volume_at(volumes), row_size=1.0)
    assert levels["in_value_area"].tolist() == [True, True, True, False]
    assert levels["is_poc"].tolist() == [True, False, False, False]


def test_point_of_control_tie_goes_to_the_level_nearest_the_middle():
    volumes = {100.0: 30, 101.0: 5, 102.0: 5, 103.0: 30, 104.0: 30}
    assert profile_summary(volume_at(volumes), row_size=1.0)["poc"].iloc[0] == 103.0


def test_point_of_control_tie_at_equal_distance_goes_to_the_lower_price():
    volumes = {100.0: 5, 101.0: 20, 102.0: 20, 103.0: 5}
    assert profile_summary(volume_at(volumes), row_size=1.0)["poc"].iloc[0] == 101.0


def tpo_day() -> pd.DataFrame:
    return bars_at(
        [
            (0, 102, 100, 101, 101, 100),  # period 0: levels 100..103
            (15, 103, 101, 102, 102, 300),
            (40, 104, 102, 103, 103, 200),  # period 1: 102..104
            (70, 101, 101, 101, 101, 100),  # period 2: 101
            (125, 106, 105, 105.2, 105, 50),  # period 4: 105..106 (period 3 is empty)
        ]
    )


def test_tpo_counts_single_prints_and_initial_balance_by_hand():
    profile = market_profile(tpo_day(), row_size=1.0)
    levels, summary = profile.levels, profile.summary.iloc[0]
    assert levels["price"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0]
    assert levels["tpo_count"].tolist() == [1, 2, 2, 2, 1, 1, 1]
    assert levels["volume"].tolist() == [0, 200, 300, 200, 0, 50, 0]
    assert summary["single_prints"] == 4
    assert summary["tpo_periods"] == 4
    assert (summary["ib_high"], summary["ib_low"]) == (104.0, 100.0)
    # POC 102; tie 200/200 goes up to 104 (500), then below 101+100 = 200 beats 50: 700 of 750
    assert (summary["val"], summary["poc"], summary["vah"]) == (100.0, 102.0, 104.0)
    assert summary["value_area_volume_share"] == pytest.approx(700 / 750)
    assert summary["close"] == 105.2
    assert summary["close_location"] == "above_value"


def test_initial_balance_counts_from_the_session_open_when_sessions_are_given():
    late = tpo_day().iloc[1:]
    late = late.assign(ts=late["ts"] + pd.Timedelta(minutes=20))  # 10:05, 10:30, 11:00, 11:55
    inferred = profile_summary(late, row_size=1.0).iloc[0]
    anchored = profile_summary(late, row_size=1.0, sessions=[DAY]).iloc[0]
    # no session given: the open is the 10:00 period start, the first hour holds 10:05 and 10:30
    assert (inferred["ib_high"], inferred["ib_low"]) == (104.0, 101.0)
    # session open 09:30: the first hour ends at 10:30 and holds only the 10:05 bar
    assert (anchored["ib_high"], anchored["ib_low"]) == (103.0, 101.0)
    assert anchored["tpo_periods"] == 4 and inferred["tpo_periods"] == 4


def test_bars_outside_the_given_sessions_are_rejected_naming_bars():
    with pytest.raises(ValueError, match="bars: AAA on 2025-11-25 lie outside sessions"):
        profile_summary(tpo_day(), sessions=["2025-11-24"])


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"bars: missing columns \['vwap'\]"):
        market_profile(tpo_day().drop(columns="vwap"))


def test_row_size_is_the_smallest_nice_size_covering_the_range_in_rows():
    spans = np.array([1.77, 14.66, 0.0, 3.0, 40.0])
    assert nice_row_size(spans, 30, 0.01).tolist() == [0.1, 0.5, 0.01, 0.1, 2.0]


def test_prices_round_to_the_nearest_row_with_halves_up():
    prices = np.array([100.49, 100.5, 0.3, 0.25, 57.88])
    rows = np.array([1.0, 1.0, 0.1, 0.1, 0.02])
    assert level_of(prices, rows).tolist() == [100, 101, 3, 3, 2894]


def test_crypto_day_is_the_new_york_date_and_periods_start_at_midnight():
    # 23:30 New York on the 25th, then 00:10, 00:50 and 01:20 on the 26th
    rows = [(840, 10, 9, 9.5, 9.5, 4), (880, 12, 11, 11, 11, 6)]
    rows += [(920, 13, 12, 12, 12, 6), (950, 15, 14, 14, 14, 6)]
    summary = profile_summary(bars_at(rows, symbol="BTCUSDT"), row_size=1.0)
    assert summary["date"].tolist() == [pd.Timestamp("2025-11-25"), pd.Timestamp("2025-11-26")]
    assert summary["tpo_periods"].tolist() == [1, 3]
    assert (summary["ib_high"].iloc[1], summary["ib_low"].iloc[1]) == (13.0, 11.0)


@pytest.fixture(scope="module")
def session_bars() -> tuple[pd.DataFrame, pd.DataFrame]:
    """1-minute and 5-minute bars of one simulated session, 10 symbols, default density."""
    universe = load_universe()
    config = SimulationConfig(seed=7, ticks_per_session=20_000, crypto_trades_per_hour=3_000)
    market = SimulatedMarket(config, universe)
    start = pd.Timestamp(DAY, tz="America/New_York").tz_convert("UTC")
    ticks = market.fetch(
        Source.EQUITY_TICKS, start, start + pd.Timedelta(days=1), list(universe.equities)
    )
    return time_bars(ticks, "1min", sessions=[DAY]), time_bars(ticks, "5min", sessions=[DAY])


def test_simulated_session_analytics_hold_their_invariants_quickly(session_bars):
    one_minute, five_minute = session_bars
    started = time.perf_counter()
    profile = market_profile(one_minute, sessions=[DAY])
    zones = price_zones(profile.levels, one_minute)
    regime = daily_regime(five_minute)
    shading = regime_bars(five_minute)
    velocity = daily_velocity(one_minute)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"analytics of one session took {elapsed:.2f} s"

    summary, levels = profile.summary, profile.levels
    assert list(summary.columns) == list(COLUMNS) and list(levels.columns) == list(LEVEL_COLUMNS)
    for frame in (summary, regime, velocity):
        assert len(frame) == 10 and frame["symbol"].is_unique
        assert isinstance(frame["symbol"].dtype, pd.CategoricalDtype)
        assert (frame["date"] == pd.Timestamp(DAY)).all()
    assert (summary["val"] <= summary["poc"]).all() and (summary["poc"] <= summary["vah"]).all()
    assert (summary["value_area_volume_share"] >= 0.70).all()
    assert (summary["tpo_periods"] == 13).all()
    assert (summary["ib_low"] <= summary["ib_high"]).all()
    per_symbol = one_minute.groupby("symbol", observed=True)["volume"].sum()
    level_volume = levels.groupby("symbol", observed=True)["volume"].sum()
    assert level_volume.to_dict() == per_symbol.to_dict()
    assert (levels.groupby("symbol", observed=True)["is_poc"].sum() == 1).all()
    assert levels.groupby("symbol", observed=True).size().max() <= 31
    assert zones["strength"].between(0, 1).all() and (zones["touches"] >= 0).all()
    assert (zones["price_low"] < zones["price_high"]).all()
    assert regime["confidence"].between(0.5, 1).all()
    assert len(shading) == len(five_minute)
    assert velocity[["roc_5m", "roc_15m", "roc_60m"]].notna().all().all()


def test_a_row_size_giving_too_many_levels_is_rejected():
    with pytest.raises(ValueError, match=r"row_size 0\.0001 gives 60001 levels"):
        market_profile(tpo_day(), row_size=0.0001)
