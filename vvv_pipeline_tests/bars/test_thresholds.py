"""Default thresholds: average of recent days / divisor, per symbol and measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars import ThresholdSpec, default_thresholds
from vvv_pipeline.bars.partition_events import EVENT_KINDS, partition_thresholds
from vvv_pipeline_tests.name_based_baselines import thresholds_one_measure_at_a_time


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


@pytest.mark.parametrize("seed", range(6))
def test_one_grouping_for_all_measures_gives_each_measures_own_thresholds(seed):
    """partition_thresholds groups once for volume, dollar and ticks; every threshold is the
    one a grouping of that measure alone gives, to the bit (random histories with zero days,
    symbols with and without earlier rows, odd lookbacks)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-09-01", periods=40, freq="D", tz="UTC")
    rows = []
    for symbol in ["AAA", "BBB", "CCC", "DDD", "EEE"]:
        first = int(rng.integers(0, 45))  # some start after the partition: own-day fallback
        for day in days[first:]:
            volume = 0 if rng.random() < 0.1 else int(rng.integers(1, 10**7))
            rows.append((symbol, day, volume, rng.random() * 500, int(rng.integers(0, 10**5))))
    history = pd.DataFrame(rows, columns=["symbol", "ts", "volume", "vwap", "trade_count"])
    history = history.sample(frac=1.0, random_state=seed, ignore_index=True)  # any row order
    lookback = int(rng.integers(1, 30))
    divisor = float(rng.choice([7.0, 50.0, 333.3]))
    for day in days[::7]:
        window = (day, day + pd.Timedelta(days=1))
        table = partition_thresholds(history, window, divisor, lookback)
        expected = thresholds_one_measure_at_a_time(history, window, divisor, lookback)
        for kind in EVENT_KINDS:
            got, want = table[kind].dropna(), expected[kind].dropna()
            assert got.to_dict() == want.to_dict(), (seed, day, kind)
            assert (got.to_numpy() == want.reindex(got.index).to_numpy()).all()
        pd.testing.assert_frame_equal(table, expected, check_exact=True)


def test_the_windows_own_means_are_computed_only_when_a_symbol_falls_back(monkeypatch):
    """Without a symbol that lacks earlier history the window's own rows are not grouped (a
    backfill's later partitions); with one, they are and it falls back."""
    from vvv_pipeline.bars import partition_events

    calls: list[int] = []
    means = partition_events.recent_daily_means

    def counted(history, measures, lookback):
        calls.append(len(history))
        return means(history, measures, lookback)

    monkeypatch.setattr(partition_events, "recent_daily_means", counted)
    days = pd.date_range("2025-09-01", periods=5, freq="D", tz="UTC")
    history = pd.DataFrame(
        {
            "symbol": ["AAA"] * 5 + ["BBB"],
            "ts": [*days, days[4]],
            "volume": [100.0, 200.0, 300.0, 400.0, 500.0, 900.0],
            "vwap": [10.0] * 6,
            "trade_count": [10, 20, 30, 40, 50, 90],
        }
    )
    window = (days[4], days[4] + pd.Timedelta(days=1))
    settled = partition_thresholds(history[history["symbol"] == "AAA"], window, 50.0, 20)
    assert calls == [4]  # AAA's four earlier days only
    assert settled["volume"].to_dict() == {"AAA": 5.0} and not settled["bootstrapped"].any()
    calls.clear()
    table = partition_thresholds(history, window, 50.0, 20)
    assert calls == [4, 2]  # BBB has no earlier day: the window's own rows are grouped
    assert table["volume"].to_dict() == {"AAA": 5.0, "BBB": 18.0}
    assert table["bootstrapped"].to_dict() == {"AAA": False, "BBB": True}
