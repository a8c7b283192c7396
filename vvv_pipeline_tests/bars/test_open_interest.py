"""Open interest: 5-second windows with change, venues, and per-bar OI on time bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars import BAR_OI_COLUMNS, OI_WINDOW_COLUMNS, join_oi, oi_windows, time_bars
from vvv_pipeline_tests.bars.synthetic import crypto_trades


def samples(rows: list[tuple[str, str, float]], venue: str = "binance") -> pd.DataFrame:
    ts, symbol, oi = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime([f"2024-11-29 {t}" for t in ts], utc=True),
            "symbol": pd.Categorical(symbol),
            "open_interest": np.array(oi, dtype=float),
            "mark_price": 10.0,
            "venue": pd.Categorical([venue] * len(rows)),
        }
    )
    frame["open_interest_value"] = frame["open_interest"] * frame["mark_price"]
    return frame


HAND = [
    ("14:30:00", "BTC", 100.0),
    ("14:30:02", "BTC", 101.0),
    ("14:30:05", "BTC", 104.0),
    ("14:30:15", "BTC", 103.0),
    ("14:30:01", "ETH", 50.0),
]


def test_five_second_windows_take_the_last_sample_and_change_from_the_previous_window():
    got = oi_windows(samples(HAND))
    assert list(got.columns) == OI_WINDOW_COLUMNS
    stamps = got["ts"].dt.strftime("%H:%M:%S").tolist()
    assert stamps == ["14:30:00", "14:30:05", "14:30:15", "14:30:00"]
    assert got["open_interest"].tolist() == [101.0, 104.0, 103.0, 50.0]
    assert got["samples"].tolist() == [2, 1, 1, 1]
    np.testing.assert_array_equal(got["oi_change"], [np.nan, 3.0, -1.0, np.nan])
    assert got["oi_change_pct"].iloc[1] == pytest.approx(3 / 101)


def test_first_window_change_uses_the_previous_partition():
    first = oi_windows(samples(HAND[:2]))
    got = oi_windows(samples(HAND[2:4]), previous=first)
    assert got["oi_change"].tolist() == [3.0, -1.0]


def test_venues_add_up_with_the_missing_venue_forward_filled():
    a = samples([("14:30:00", "BTC", 100.0), ("14:30:05", "BTC", 104.0)], venue="binance")
    b = samples([("14:30:01", "BTC", 200.0)], venue="bybit")
    both = pd.concat([a, b], ignore_index=True).sort_values("ts", ignore_index=True)
    both["venue"] = both["venue"].astype("category")
    got = oi_windows(both)
    assert got["open_interest"].tolist() == [300.0, 304.0]
    assert got["oi_change"].iloc[1] == 4.0
    per_venue = oi_windows(both, by_venue=True)
    assert per_venue["venue"].tolist() == ["binance", "binance", "bybit"]


def test_join_oi_gives_oi_at_bar_open_and_close_and_the_change():
    oi = samples(
        [
            ("14:30:00", "BTC", 101.0),
            ("14:30:55", "BTC", 104.0),
            ("14:31:10", "BTC", 110.0),
            ("14:32:00", "BTC", 111.0),
        ]
    )
    bars = pd.DataFrame(
        {
            "symbol": pd.Categorical(["BTC"] * 3),
            "ts": pd.to_datetime(
                ["2024-11-29 14:30", "2024-11-29 14:31", "2024-11-29 14:32"], utc=True
            ),
        }
    )
    got = join_oi(bars, oi_windows(oi))
    np.testing.assert_array_equal(got["oi_open"], [np.nan, 104.0, 110.0])
    assert got["oi_close"].tolist() == [104.0, 110.0, 111.0]
    np.testing.assert_array_equal(got["oi_change"], [np.nan, 6.0, 1.0])
    # a day without OI samples keeps the same columns, all unknown
    unknown = join_oi(bars, oi_windows(oi).iloc[:0])
    assert unknown.columns.tolist() == ["symbol", "ts", *BAR_OI_COLUMNS]
    assert unknown[list(BAR_OI_COLUMNS)].isna().all().all() and len(unknown) == 3


def test_join_oi_on_crypto_daily_bars_uses_new_york_days():
    trades = crypto_trades()
    stamps = pd.date_range("2024-11-02 22:00", "2024-11-04 06:00", freq="5s", tz="UTC")
    oi = pd.DataFrame(
        {
            "ts": np.tile(stamps, 2),
            "symbol": pd.Categorical(np.repeat(["BTCUSDT", "ETHUSDT"], len(stamps))),
            "open_interest": np.arange(2 * len(stamps), dtype=float),
            "open_interest_value": 1.0,
            "mark_price": 1.0,
            "venue": pd.Categorical(["binance"] * 2 * len(stamps)),
        }
    )
    bars = join_oi(time_bars(trades, "1d"), oi_windows(oi), "1d")
    day = bars[bars["ts"] == pd.Timestamp("2024-11-03 04:00", tz="UTC")]
    assert (day["oi_change"] == 25 * 720).all()
