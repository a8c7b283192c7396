"""Time bars: pandas ``resample`` equality, session alignment, conventions on hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vvv_pipeline.bars import TIME_BAR_COLUMNS, BarSpec, session_windows, time_bars
from vvv_pipeline.calendars import session_bounds
from vvv_pipeline_tests.bars.synthetic import (
    EARLY_CLOSE,
    EMPTY_MINUTE,
    SESSIONS,
    crypto_trades,
    equity_ticks,
    in_sessions,
    reference_bars,
    reference_signs,
)

FLOATS = ["open", "high", "low", "close", "vwap"]


@pytest.fixture(scope="module")
def ticks() -> pd.DataFrame:
    return equity_ticks()


@pytest.fixture(scope="module")
def crypto() -> pd.DataFrame:
    return crypto_trades()


def assert_bars_equal(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Exact on everything but VWAP (summation order differs), compared to 1e-12 relative."""
    assert list(ours.columns) == TIME_BAR_COLUMNS
    assert_frame_equal(ours.drop(columns="vwap"), ref[TIME_BAR_COLUMNS].drop(columns="vwap"))
    np.testing.assert_allclose(ours["vwap"], ref["vwap"], rtol=1e-12)


def frame(rows: list[tuple], aggressor: int = 0) -> pd.DataFrame:
    ts, price, size = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(list(ts), utc=True, format="ISO8601"),
            "symbol": pd.Categorical(["AAA"] * len(rows)),
            "price": np.array(price, dtype=float),
            "size": np.array(size, dtype=np.int64),
            "aggressor": np.full(len(rows), aggressor, dtype=np.int8),
        }
    )


def test_one_minute_bars_equal_pandas_resample_all_columns_empty_minutes_dropped(ticks):
    inside = in_sessions(ticks)
    ref = reference_bars(inside, reference_signs(ticks).loc[inside.index], rule="1min")
    ours = time_bars(ticks, "1min", sessions=SESSIONS)
    assert_bars_equal(ours, ref)
    assert set(ours["symbol"]) == {"AAA", "BBB"}
    assert (ours["ts"] >= pd.Timestamp(f"{EARLY_CLOSE} 17:59", tz="UTC")).any()


def test_minute_without_trades_emits_no_row(ticks):
    bars = time_bars(ticks, "1min", sessions=SESSIONS)
    symbol, minute = EMPTY_MINUTE
    mine = bars[bars["symbol"] == symbol]
    assert minute not in set(mine["ts"])
    assert minute - pd.Timedelta("1min") in set(mine["ts"])
    assert (bars["trade_count"] >= 1).all()


def test_session_first_bar_starts_at_open_and_no_bar_at_or_after_close(ticks):
    for freq in ("1min", "5min", "15min", "1h", "1d"):
        bars = time_bars(ticks, freq, sessions=session_windows(SESSIONS))
        for day in SESSIONS:
            open_, close = session_bounds(day)
            day_bars = bars[(bars["ts"] >= open_) & (bars["ts"] < close)]
            assert len(day_bars) == len(bars[bars["ts"].dt.date == open_.date()])
            assert day_bars.groupby("symbol", observed=True)["ts"].min().eq(open_).all()
        assert not (bars["ts"] < session_bounds(SESSIONS[0])[0]).any()


def test_hourly_bars_are_session_aligned_and_the_early_close_bar_ends_at_1300_new_york(ticks):
    bars = time_bars(ticks, BarSpec("1h", label="right"), sessions=SESSIONS)
    ends = bars[bars["symbol"] == "AAA"]["ts"].dt.tz_convert("America/New_York")
    assert list(ends.dt.strftime("%m-%d %H:%M"))[-4:] == [
        "11-29 10:30",
        "11-29 11:30",
        "11-29 12:30",
        "11-29 13:00",
    ]
    starts = time_bars(ticks, "1h", sessions=SESSIONS)["ts"].dt.tz_convert("America/New_York")
    assert set(starts.dt.minute) == {30}


def test_coarser_frequencies_aggregate_the_one_minute_bars(ticks):
    minute = time_bars(ticks, "1min", sessions=SESSIONS)
    for freq in ("5min", "15min", "1h", "1d"):
        bars = time_bars(ticks, freq, sessions=SESSIONS)
        assert bars["volume"].sum() == minute["volume"].sum()
        assert bars["trade_count"].sum() == minute["trade_count"].sum()
        assert bars["buy_volume"].sum() == minute["buy_volume"].sum()
        assert (
            bars.groupby("symbol", observed=True)["high"]
            .max()
            .equals(minute.groupby("symbol", observed=True)["high"].max())
        )


def test_daily_equity_bar_is_one_bar_per_session_stamped_at_the_open(ticks):
    bars = time_bars(ticks, "1d", sessions=SESSIONS)
    opens = [session_bounds(day)[0] for day in SESSIONS]
    assert list(bars["ts"]) == opens * 2
    inside = in_sessions(ticks)
    assert bars["volume"].sum() == inside["size"].sum()


def test_trade_exactly_on_a_minute_boundary_opens_the_next_bar_hand_case():
    ticks = frame(
        [
            ("2024-11-29 14:30:00", 10.0, 100),
            ("2024-11-29 14:30:59.999999999", 10.5, 200),
            ("2024-11-29 14:31:00", 9.5, 300),
            ("2024-11-29 14:31:00", 9.75, 100),
            ("2024-11-29 17:59:30", 11.0, 400),
            ("2024-11-29 18:00:00", 12.0, 999),
        ]
    )
    bars = time_bars(ticks, "1min", sessions=[EARLY_CLOSE])
    expected = pd.DataFrame(
        {
            "symbol": pd.Categorical(["AAA"] * 3),
            "ts": pd.to_datetime(
                ["2024-11-29 14:30", "2024-11-29 14:31", "2024-11-29 17:59"], utc=True
            ),
            "open": [10.0, 9.5, 11.0],
            "high": [10.5, 9.75, 11.0],
            "low": [10.0, 9.5, 11.0],
            "close": [10.5, 9.75, 11.0],
            "volume": np.array([300, 400, 400], dtype=np.int64),
            "vwap": [(1000 + 2100) / 300, (2850 + 975) / 400, 11.0],
            "trade_count": np.array([2, 2, 1], dtype=np.int64),
            "buy_volume": np.array([200, 100, 400], dtype=np.int64),
            "sell_volume": np.array([0, 300, 0], dtype=np.int64),
        }
    )
    assert_frame_equal(bars, expected)


def test_right_closed_right_labelled_bars_equal_pandas(crypto):
    ref = reference_bars(
        crypto, reference_signs(crypto), rule="5min", closed="right", label="right"
    )
    assert_bars_equal(time_bars(crypto, BarSpec("5min", closed="right", label="right")), ref)


@pytest.mark.parametrize("freq", ["1min", "15min", "1h"])
def test_crypto_bars_are_utc_epoch_aligned_and_equal_pandas(crypto, freq):
    ref = reference_bars(crypto, reference_signs(crypto), rule=freq)
    assert_bars_equal(time_bars(crypto, freq), ref)


def test_crypto_daily_bars_are_new_york_days_including_the_25_hour_dst_day(crypto):
    local = crypto.assign(ts=crypto["ts"].dt.tz_convert("America/New_York"))
    ref = reference_bars(local, reference_signs(crypto), rule="1D")
    ours = time_bars(crypto, "1d")
    assert_bars_equal(ours, ref)
    assert pd.Timestamp("2024-11-03 04:00", tz="UTC") in set(ours["ts"])
    utc_days = time_bars(crypto, BarSpec("1d", day_tz="UTC"))
    assert set(utc_days["ts"].dt.hour) == {0}


def test_crypto_volume_keeps_float_dtype_and_equity_volume_stays_int(ticks, crypto):
    assert time_bars(crypto, "1h")["volume"].dtype == np.float64
    assert time_bars(ticks, "1h", sessions=SESSIONS)["volume"].dtype == np.int64


def test_unknown_first_trade_counts_in_neither_side():
    ticks = frame([("2024-11-29 14:30:01", 10.0, 100), ("2024-11-29 14:30:02", 10.0, 50)])
    bar = time_bars(ticks, "1min", sessions=[EARLY_CLOSE]).iloc[0]
    assert (bar["buy_volume"], bar["sell_volume"], bar["volume"]) == (0, 0, 150)


def test_unsorted_or_split_symbol_blocks_raise(ticks):
    with pytest.raises(ValueError, match="sorted by ts"):
        time_bars(ticks.iloc[::-1].reset_index(drop=True), "1min")
    aaa = int((ticks["symbol"] == "AAA").sum())
    halves = np.r_[0:100, aaa : len(ticks), 100:aaa]
    with pytest.raises(ValueError, match="contiguous"):
        time_bars(ticks.iloc[halves].reset_index(drop=True), "1min")


def test_empty_frame_gives_empty_bars(ticks):
    bars = time_bars(ticks.iloc[:0], "1min", sessions=SESSIONS)
    assert list(bars.columns) == TIME_BAR_COLUMNS
    assert bars.empty


def test_right_closed_session_bars_exclude_the_open_instant_and_include_the_close_instant():
    ticks = frame(
        [
            ("2024-11-29 14:30:00", 10.0, 100),
            ("2024-11-29 14:31:00", 11.0, 200),
            ("2024-11-29 18:00:00", 12.0, 300),
        ]
    )
    bars = time_bars(ticks, BarSpec("1min", closed="right"), sessions=[EARLY_CLOSE])
    assert bars["ts"].dt.strftime("%H:%M").tolist() == ["14:30", "17:59"]
    assert bars["volume"].tolist() == [200, 300]
