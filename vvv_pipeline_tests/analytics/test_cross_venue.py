"""Cross-venue analytics on hand-built venues: sums, shares, basis and a known lag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.cross_venue import (
    AGGREGATE_COLUMNS,
    COLUMNS,
    VENUE_COLUMNS,
    aggregate_open_interest,
    as_of_grid,
    basis_bps,
    cross_venue_days,
    lead_lag,
    shares,
)

T0 = pd.Timestamp("2025-11-20 15:00", tz="UTC")  # 10:00 in New York: one New York day


def samples(rows: list[tuple[str, int, float, float]], symbol: str = "BTCUSDT") -> pd.DataFrame:
    """(venue, seconds after T0, open interest, mark) -> crypto_open_interest rows."""
    venue, seconds, oi, mark = zip(*rows, strict=True)
    oi_arr, mark_arr = np.array(oi), np.array(mark)
    return pd.DataFrame(
        {
            "ts": T0 + pd.to_timedelta(seconds, unit="s"),
            "symbol": pd.Categorical([symbol] * len(rows)),
            "open_interest": oi_arr,
            "open_interest_value": oi_arr * mark_arr,
            "mark_price": mark_arr,
            "venue": pd.Categorical(venue, categories=["binance", "bybit", "mexc"]),
        }
    )


# one minute, three venues: binance 50 at 100.00, bybit 30 at 100.05, mexc 20 at 99.90
THREE = samples(
    [
        ("binance", 0, 50.0, 100.00),
        ("bybit", 0, 30.0, 100.05),
        ("mexc", 0, 20.0, 99.90),
        ("binance", 60, 60.0, 100.00),
        ("bybit", 60, 30.0, 100.05),
        # mexc has no sample in the second minute: it counts with its last one (20 @ 99.90)
    ]
)


def test_basis_is_the_premium_over_the_reference_in_bps() -> None:
    assert basis_bps(100.05, 100.0) == pytest.approx(5.0)
    assert basis_bps(99.90, 100.0) == pytest.approx(-10.0)
    assert basis_bps(np.array([101.0, 100.0]), np.array([100.0, 100.0])) == pytest.approx(
        [100.0, 0.0]
    )


def test_shares_divide_by_the_row_total_skipping_absent_venues() -> None:
    got = shares(pd.DataFrame({"a": [50.0, 1.0], "b": [30.0, np.nan], "c": [20.0, 3.0]}))
    expected = pd.DataFrame({"a": [0.5, 0.25], "b": [0.3, np.nan], "c": [0.2, 0.75]})
    pd.testing.assert_frame_equal(got, expected)


def test_aggregate_sums_venues_as_of_each_minute_with_shares_and_spread() -> None:
    got = aggregate_open_interest(THREE)
    assert list(got.columns) == list(AGGREGATE_COLUMNS)
    first, second = got.iloc[0], got.iloc[1]
    assert first["open_interest"] == pytest.approx(100.0)
    # value: 50 x 100 + 30 x 100.05 + 20 x 99.90 = 5000 + 3001.5 + 1998 = 9999.5
    assert first["open_interest_value"] == pytest.approx(9999.5)
    assert first["share_binance"] == pytest.approx(5000 / 9999.5)
    assert first["share_bybit"] == pytest.approx(3001.5 / 9999.5)
    assert first["share_mexc"] == pytest.approx(1998 / 9999.5)
    # spread of the marks: (100.05 - 99.90) / 100.00 = 15 bps
    assert first["basis_spread_bps"] == pytest.approx(15.0)
    # second minute: MEXC carried from its last sample; binance grew to 60
    assert second["open_interest"] == pytest.approx(110.0)
    assert second["open_interest_value"] == pytest.approx(6000 + 3001.5 + 1998)
    assert (first["venues"], second["venues"]) == (3, 3)


def test_a_venue_counts_only_from_its_first_sample() -> None:
    late = samples(
        [("binance", 0, 10.0, 100.0), ("binance", 60, 10.0, 100.0), ("mexc", 60, 10.0, 100.0)]
    )
    got = aggregate_open_interest(late)
    assert got["venues"].tolist() == [1, 2]
    assert np.isnan(got["share_mexc"].iloc[0]) and got["share_mexc"].iloc[1] == 0.5
    assert got["share_bybit"].isna().all()


def test_as_of_grid_carries_a_coarse_venue_forward() -> None:
    binance = [("binance", s, 1.0, 100.0 + s) for s in range(0, 30, 5)]
    rows = samples([*binance, ("bybit", 0, 1.0, 50.0), ("bybit", 20, 1.0, 60.0)])
    grid = as_of_grid(rows, "mark_price", "5s")
    assert grid["bybit"].tolist() == [50.0, 50.0, 50.0, 50.0, 60.0, 60.0]
    assert grid["binance"].tolist() == [100.0, 105.0, 110.0, 115.0, 120.0, 125.0]


def test_lead_lag_recovers_a_known_shift_and_its_sign() -> None:
    rng = np.random.default_rng(3)
    leader = rng.standard_normal(500)
    follower = np.concatenate([rng.standard_normal(3), leader[:-3]])  # 3 steps late
    assert lead_lag(leader, follower, 6) == (3, pytest.approx(1.0))
    lag, _ = lead_lag(follower, leader, 6)
    assert lag == -3  # seen from the follower, the leader leads
    assert lead_lag(leader, leader, 6) == (0, pytest.approx(1.0))


def test_lead_lag_without_variation_is_zero_and_nan() -> None:
    lag, corr = lead_lag(np.ones(20), np.arange(20.0), 3)
    assert lag == 0 and np.isnan(corr)


def lagged_day(lag_s: dict[str, int], minutes: int = 120) -> pd.DataFrame:
    """Three venues on a 5-second grid quoting one random walk, each ``lag_s`` late, with
    fixed premiums (bybit +5 bps, mexc -10 bps) and open interest 50/30/20."""
    rng = np.random.default_rng(7)
    n = minutes * 12
    log_path = np.cumsum(rng.standard_normal(n + 10) * 2e-4)
    premium = {"binance": 0.0, "bybit": 5.0, "mexc": -10.0}
    size = {"binance": 50.0, "bybit": 30.0, "mexc": 20.0}
    rows = []
    for venue, late in lag_s.items():
        k = late // 5
        marks = 100.0 * np.exp(log_path[10 - k : 10 - k + n]) * (1 + premium[venue] / 1e4)
        rows += [(venue, 5 * i, size[venue], marks[i]) for i in range(n)]
    return samples(rows)


def test_daily_rows_recover_the_lags_basis_and_shares() -> None:
    day = lagged_day({"binance": 0, "bybit": 5, "mexc": 15})
    summary, venues = cross_venue_days(day)
    assert list(summary.columns) == list(COLUMNS) and list(venues.columns) == list(VENUE_COLUMNS)
    row = summary.iloc[0]
    assert row["date"] == pd.Timestamp("2025-11-20") and row["venues"] == 3
    assert row["reference"] == "binance" and row["leader"] == "binance"
    assert row["lead_seconds"] == 15.0
    by_venue = venues.set_index("venue")
    assert by_venue["lag_seconds"].to_dict() == {"binance": 0.0, "bybit": 5.0, "mexc": 15.0}
    assert by_venue["lag_corr"].min() > 0.99
    # shares: 50 x m / (50 m + 30 m (1.0005) + 20 m (0.999)) at equal marks up to the premia
    assert by_venue["share_mean"].round(2).to_dict() == {"binance": 0.5, "bybit": 0.3, "mexc": 0.2}
    # the premia are fixed, the lags add a few bps of timing noise around them
    assert by_venue.loc["bybit", "basis_bps_mean"] == pytest.approx(5.0, abs=1.0)
    assert by_venue.loc["mexc", "basis_bps_mean"] == pytest.approx(-10.0, abs=1.5)
    assert row["open_interest_last"] == pytest.approx(100.0)
    # the change runs from the first minute's last samples (55 s) to the last minute's
    value = day.pivot(index="ts", columns="venue", values="open_interest_value").sum(axis=1)
    first, last = value[T0 + pd.Timedelta(seconds=55)], value.iloc[-1]
    assert row["open_interest_change_pct"] == pytest.approx(100 * (last / first - 1))
    assert 0.0 < row["min_return_corr"] < 1.0 and row["divergence_minutes"] >= 0


def test_a_venue_leading_the_reference_is_the_leader() -> None:
    # bybit quotes the path 10 s before binance (the reference: largest open interest)
    day = lagged_day({"binance": 10, "bybit": 0, "mexc": 15})
    summary, venues = cross_venue_days(day)
    assert venues.set_index("venue")["lag_seconds"].to_dict() == {
        "binance": 0.0,
        "bybit": -10.0,
        "mexc": 5.0,
    }
    assert summary.iloc[0]["leader"] == "bybit" and summary.iloc[0]["lead_seconds"] == 15.0


def test_no_samples_give_empty_tables_with_the_columns() -> None:
    summary, venues = cross_venue_days(THREE.iloc[:0])
    assert summary.empty and list(summary.columns) == list(COLUMNS)
    assert venues.empty and list(venues.columns) == list(VENUE_COLUMNS)
    assert aggregate_open_interest(THREE.iloc[:0]).empty
