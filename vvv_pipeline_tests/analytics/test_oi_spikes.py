"""OI spike classes, whole-number flags and the daily summary on hand-made 5-second windows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.oi_spikes import (
    COLUMNS,
    SPIKE_COLUMNS,
    SpikeFloor,
    classify_oi_spikes,
    oi_spike_summary,
    whole_number_levels,
)

# 13 measured changes: median 0, MAD 1e-4 (7th smallest |x|), so z = |x| / 1.4826e-4
BACKGROUND = [-2e-4, -1e-4, -1e-4, 0.0, 0.0, 0.0, 0.0, 1e-4, 1e-4, 2e-4]
SPIKES = [0.002, 0.02, 0.06]  # medium (z 13.5), large (z 135), whale (z 405)
START = pd.Timestamp("2025-01-15 15:00", tz="UTC")


def windows(
    symbol: str,
    fractions: list[float],
    open_interest: float,
    marks: list[float] | float,
    start: pd.Timestamp = START,
) -> pd.DataFrame:
    """oi_windows-shaped frame whose consecutive changes are ``fractions`` of the prior OI."""
    levels = open_interest * np.cumprod([1.0, *[1.0 + f for f in fractions]])
    prior = np.r_[np.nan, levels[:-1]]
    n = len(levels)
    mark = np.full(n, marks) if np.isscalar(marks) else np.asarray(marks, dtype=float)
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * n),
            "ts": start + pd.to_timedelta(np.arange(n) * 5, unit="s"),
            "open_interest": levels,
            "open_interest_value": levels * mark,
            "mark_price": mark,
            "samples": 1,
            "oi_change": levels - prior,
            "oi_change_pct": (levels - prior) / prior,
        }
    )


def test_changes_are_classed_against_the_days_robust_scale_and_floors() -> None:
    frame = windows("BTCUSDT", BACKGROUND + SPIKES, 100_000.0, 42_500.0)
    out = classify_oi_spikes(frame)
    assert list(out.columns) == list(SPIKE_COLUMNS)
    assert len(out) == len(frame)
    assert list(out["size_class"]) == ["small"] * 11 + ["medium", "large", "whale"]
    assert out["size_class"].cat.ordered


def test_absolute_floors_keep_a_thin_markets_jumps_small() -> None:
    # the same relative pattern on 100 units at $10: the whale step is $6 of notional
    out = classify_oi_spikes(windows("TINYUSDT", BACKGROUND + SPIKES, 100.0, 10.5))
    assert (out["size_class"] == "small").all()


def test_a_flat_day_has_zero_scale_so_only_floors_decide() -> None:
    out = classify_oi_spikes(windows("BTCUSDT", [0.0] * 8 + [0.002], 100_000.0, 42_500.0))
    assert list(out["size_class"]) == ["small"] * 9 + ["medium"]


def test_custom_thresholds_replace_the_defaults() -> None:
    floors = {"medium": SpikeFloor(robust_z=1.0, change_fraction=1.5e-4, notional_usd=0.0)}
    out = classify_oi_spikes(windows("BTCUSDT", BACKGROUND, 100_000.0, 42_500.0), floors)
    # only the two +-2e-4 changes reach z = 1.35 and 1.5e-4
    assert list(out["size_class"]).count("medium") == 2
    with pytest.raises(ValueError, match="thresholds: unknown size class"):
        classify_oi_spikes(windows("BTCUSDT", BACKGROUND, 1.0, 1.0), {"huge": floors["medium"]})


def test_whole_number_step_follows_the_price_magnitude_within_tolerance() -> None:
    marks = np.array([42_010.0, 42_500.0, 2_300.0, 2_305.0, 99.9, 100.15, 1_000.0, np.nan])
    levels = whole_number_levels(marks)
    expected = [42_000.0, np.nan, 2_300.0, np.nan, 100.0, 100.0, 1_000.0, np.nan]
    np.testing.assert_array_equal(levels, expected)
    # 20 bps of 42,090 is 84.18 (25 bps: 105.2): it is 90 away from 42,000
    assert math.isnan(whole_number_levels(np.array([42_090.0]))[0])
    assert whole_number_levels(np.array([42_090.0]), tolerance_bps=25.0)[0] == 42_000.0


def test_near_whole_number_flag_matches_the_level() -> None:
    frame = windows("BTCUSDT", [0.0, 0.0], 100_000.0, [42_010.0, 42_500.0, 43_050.0])
    out = classify_oi_spikes(frame)
    assert list(out["near_whole_number"]) == [True, False, True]
    assert list(out["whole_number_level"].fillna(-1)) == [42_000.0, -1, 43_000.0]


def test_summary_counts_spikes_cumulatively_and_at_round_levels() -> None:
    # windows 11, 12, 13 are the medium, large and whale: medium at 42,000, whale at 43,000
    marks = [42_500.0] * 11 + [42_010.0, 42_500.0, 43_020.0]
    frame = windows("BTCUSDT", BACKGROUND + SPIKES, 100_000.0, marks)
    out = oi_spike_summary(classify_oi_spikes(frame))
    assert list(out.columns) == list(COLUMNS)
    row = out.iloc[0]
    assert len(out) == 1
    assert (row["spikes"], row["large_spikes"], row["whale_spikes"]) == (3, 2, 1)
    assert row["whole_number_spikes"] == 2
    expected = np.prod([1.0 + f for f in BACKGROUND + SPIKES]) - 1.0
    assert row["net_oi_change_pct"] == pytest.approx(expected, rel=1e-9)


def test_summary_splits_days_at_new_york_midnight() -> None:
    # 04:59:50 UTC is 23:59:50 in New York (EST): the first two windows belong to the 14th
    late = pd.Timestamp("2025-01-15 04:59:50", tz="UTC")
    frame = windows("ETHUSDT", [0.01, 0.0, 0.02, 0.0, -0.05], 1e6, 2_300.0, start=late)
    out = oi_spike_summary(classify_oi_spikes(frame))
    assert list(out["date"]) == [pd.Timestamp("2025-01-14"), pd.Timestamp("2025-01-15")]
    assert out["date"].dtype == "datetime64[ns]"
    assert out["net_oi_change_pct"].iloc[0] == pytest.approx(0.01, rel=1e-9)
    # the 15th opens with a 0 change (no base there): its base is the next window's prior OI
    assert out["net_oi_change_pct"].iloc[1] == pytest.approx(1.02 * 0.95 - 1.0, rel=1e-9)


def test_robust_scale_is_taken_per_symbol_day() -> None:
    # a choppy day (+-0.5 %) next to a flat one: pooled, the flat day's 0.2 % step would score
    # z = 0.27; on its own day the scale is 0 and the floors make it medium
    choppy = windows(
        "BTCUSDT", [0.005, -0.005] * 10, 100_000.0, 42_500.0, start=START - pd.Timedelta(days=1)
    )
    flat = windows("BTCUSDT", [0.0] * 8 + [0.002], 100_000.0, 42_500.0)
    out = classify_oi_spikes(pd.concat([choppy, flat], ignore_index=True))
    assert list(out["size_class"]).count("medium") == 1
    assert out["size_class"].iloc[-1] == "medium"


def test_summary_has_one_row_per_symbol_day_with_sorted_category() -> None:
    frame = pd.concat(
        [
            windows("SOLUSDT", BACKGROUND, 1e7, 100.0),
            windows("BTCUSDT", BACKGROUND + SPIKES, 100_000.0, 42_500.0),
        ],
        ignore_index=True,
    )
    out = oi_spike_summary(classify_oi_spikes(frame))
    assert list(out["symbol"]) == ["BTCUSDT", "SOLUSDT"]
    assert list(out["symbol"].cat.categories) == ["BTCUSDT", "SOLUSDT"]
    assert list(out["spikes"]) == [3, 0]
    assert out["spikes"].dtype == np.int64


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="windows: missing required column"):
        classify_oi_spikes(pd.DataFrame({"symbol": ["X"]}))
    with pytest.raises(ValueError, match="classified: missing required column"):
        oi_spike_summary(pd.DataFrame({"symbol": ["X"]}))


def test_new_york_date_of_utc_instants_across_the_dst_change():
    """Midnight in New York is 05:00 UTC in winter and 04:00 UTC in summer (from 9 March 2025);
    an instant in another zone or a naive one (read as UTC) gets the same date."""
    from vvv_pipeline.analytics.oi_spikes import new_york_date

    utc = pd.Series(
        pd.to_datetime(
            ["2025-03-08 04:59", "2025-03-08 05:00", "2025-03-10 03:59", "2025-03-10 04:00"],
            utc=True,
        ),
        index=[10, 11, 12, 13],
    )
    expected = pd.Series(
        pd.to_datetime(["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]),
        index=[10, 11, 12, 13],
    )
    pd.testing.assert_series_equal(new_york_date(utc), expected)
    pd.testing.assert_series_equal(new_york_date(utc.dt.tz_convert("Asia/Tokyo")), expected)
    pd.testing.assert_series_equal(new_york_date(utc.dt.tz_localize(None)), expected)
