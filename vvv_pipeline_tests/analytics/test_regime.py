"""Regime: hand-computed trend, range and volatile days, ADX against a loop, per-bar labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.regime import COLUMNS, daily_regime, regime_bars

OPEN = pd.Timestamp("2025-11-25 14:30", tz="UTC")


def five_minute_bars(closes: list[float], first_open: float) -> pd.DataFrame:
    """Flat bars (high = low = close) five minutes apart; the first opens at ``first_open``."""
    closes = np.asarray(closes, dtype=np.float64)
    opens = np.r_[first_open, closes[:-1]]
    return pd.DataFrame(
        {
            "symbol": pd.Categorical(["AAA"] * len(closes)),
            "ts": OPEN + pd.to_timedelta(5 * np.arange(len(closes)), "min"),
            "open": opens,
            "high": np.maximum(opens, closes),
            "low": np.minimum(opens, closes),
            "close": closes,
        }
    )


def zigzag(step: float, n: int = 78) -> pd.DataFrame:
    """100 -> 100 + step -> 100 -> ... ending back at 100 (n even)."""
    return five_minute_bars([100 + step * (i % 2 == 0) for i in range(n)], 100.0)


def test_a_straight_rise_is_trend_up_with_full_confidence():
    out = daily_regime(five_minute_bars(list(100 + np.arange(1, 79)), 100.0))
    row = out.iloc[0]
    assert list(out.columns) == list(COLUMNS) and len(out) == 1
    assert row["regime"] == "trend_up" and row["confidence"] == 1.0
    assert row["efficiency_ratio"] == 1.0 and row["adx"] > 90


def test_a_straight_fall_is_trend_down():
    out = daily_regime(five_minute_bars(list(200 - np.arange(1, 79)), 200.0))
    assert out["regime"].iloc[0] == "trend_down"


def test_a_tiny_zigzag_is_range_with_confidence_from_the_volatility_shortfall():
    row = daily_regime(zigzag(0.01)).iloc[0]
    realized = 100 * math.sqrt(78) * math.log(1.0001)
    assert row["efficiency_ratio"] == 0.0
    assert row["realized_vol"] == pytest.approx(realized)
    assert row["adx"] < 20
    assert np.isnan(row["vol_percentile"])
    # margin = min(er shortfall 1, volatility shortfall (2.5 - rv) / 2.5)
    assert row["regime"] == "range"
    assert row["confidence"] == pytest.approx(0.5 + 0.5 * (2.5 - realized) / 2.5)


def test_a_wide_zigzag_without_history_is_volatile_by_the_absolute_threshold():
    row = daily_regime(zigzag(1.0)).iloc[0]
    assert row["realized_vol"] > 2.5 * 2
    assert (row["regime"], row["confidence"]) == ("volatile", 1.0)


def trailing(vols: list[float]) -> pd.DataFrame:
    dates = pd.date_range(end="2025-11-24", periods=len(vols), freq="B")
    return pd.DataFrame({"symbol": "AAA", "date": dates, "realized_vol": vols})


def test_percentile_on_the_threshold_is_volatile_with_half_confidence():
    # today's rv (about 8.8) is above 4 of 5 earlier days: percentile 0.8 exactly
    row = daily_regime(zigzag(1.0), trailing=trailing([1, 2, 3, 4, 100])).iloc[0]
    assert row["vol_percentile"] == 0.8
    assert (row["regime"], row["confidence"]) == ("volatile", 0.5)


def test_percentile_below_the_threshold_overrides_a_high_absolute_vol():
    row = daily_regime(zigzag(1.0), trailing=trailing([1, 2, 3, 100, 100])).iloc[0]
    assert row["vol_percentile"] == 0.6
    # range margin = min(er shortfall 1, (0.8 - 0.6) / 0.8)
    assert (row["regime"], row["confidence"]) == ("range", pytest.approx(0.5 + 0.5 * 0.25))


def test_percentile_uses_only_the_last_twenty_days_and_needs_five():
    history = trailing([1.0] * 5 + [100.0] * 20)
    assert daily_regime(zigzag(1.0), trailing=history)["vol_percentile"].iloc[0] == 0.0
    short = daily_regime(zigzag(1.0), trailing=trailing([1.0] * 4))
    assert np.isnan(short["vol_percentile"].iloc[0])


def test_percentile_also_ranks_earlier_days_of_the_same_input():
    days = [zigzag(0.01 * (k + 1)) for k in range(7)]
    days = [day.assign(ts=day["ts"] + pd.Timedelta(days=k)) for k, day in enumerate(days)]
    out = daily_regime(pd.concat(days, ignore_index=True), min_history=5)
    assert out["vol_percentile"].iloc[:5].isna().all()
    assert out["vol_percentile"].iloc[5:].tolist() == [1.0, 1.0]


def test_a_day_with_fewer_than_three_bars_is_range_with_zero_confidence():
    row = daily_regime(five_minute_bars([101.0, 102.0], 100.0)).iloc[0]
    assert (row["regime"], row["confidence"]) == ("range", 0.0)


def reference_adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, first_open: float):
    """Wilder's ADX(14) written as a plain loop: alpha = 1/14 smoothing seeded at bar one."""
    alpha, smooth = 1 / 14, {"tr": 0.0, "plus": 0.0, "minus": 0.0, "adx": 0.0}
    values = []
    for i in range(len(close)):
        prev_close = first_open if i == 0 else close[i - 1]
        tr = max(high[i], prev_close) - min(low[i], prev_close)
        up = 0.0 if i == 0 else high[i] - high[i - 1]
        down = 0.0 if i == 0 else low[i - 1] - low[i]
        plus = up if up > down and up > 0 else 0.0
        minus = down if down > up and down > 0 else 0.0
        for name, value in (("tr", tr), ("plus", plus), ("minus", minus)):
            smooth[name] = value if i == 0 else smooth[name] + alpha * (value - smooth[name])
        plus_di = 100 * smooth["plus"] / smooth["tr"]
        minus_di = 100 * smooth["minus"] / smooth["tr"]
        total = plus_di + minus_di
        dx = 100 * abs(plus_di - minus_di) / total if total else 0.0
        smooth["adx"] = dx if i == 0 else smooth["adx"] + alpha * (dx - smooth["adx"])
        values.append(smooth["adx"])
    return np.mean(values[27:])  # from the 28th bar (2 x 14) on


def test_adx_matches_a_plain_loop_on_a_random_walk():
    rng = np.random.default_rng(3)
    closes = 100 + np.cumsum(rng.normal(0, 0.2, 78))
    bars = five_minute_bars(list(closes), 100.0)
    bars["high"] += rng.uniform(0, 0.1, 78)
    bars["low"] -= rng.uniform(0, 0.1, 78)
    want = reference_adx(*(bars[c].to_numpy() for c in ("high", "low", "close")), 100.0)
    assert daily_regime(bars)["adx"].iloc[0] == pytest.approx(want)


def test_regime_bars_label_a_rise_after_a_flat_start_as_trend_once_adx_is_warm():
    flat = [100 + 0.01 * (i % 2) for i in range(20)]
    rise = [100 + i for i in range(1, 21)]
    labels = regime_bars(five_minute_bars(flat + rise, 100.0))["regime"].astype(str)
    assert len(labels) == 40
    assert (labels.iloc[:14] != "trend_up").all()  # ADX needs 14 bars
    assert (labels.iloc[30:] == "trend_up").all()
    assert (labels.iloc[:20] != "trend_down").all()


def test_regime_bars_flag_a_volatility_burst_as_volatile():
    quiet = [100 + 0.01 * (i % 2) for i in range(30)]
    burst = [101.0, 99.0, 101.0, 99.0]
    labels = regime_bars(five_minute_bars(quiet + burst, 100.0))["regime"].astype(str)
    # the first burst bar may read as a trend (its window rises 1%); the swings after it cannot
    assert (labels.iloc[31:] == "volatile").all()
    assert (labels.iloc[:30] == "range").all()
