"""Each fault kind produces exactly its defect, only where it is aimed, deterministically."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.simulated import Fault
from vvv_pipeline.providers.simulated.faults import local_wall_ns
from vvv_pipeline_tests.providers.simkit import (
    NY,
    OCC,
    WEEK,
    assert_canonical,
    day_window,
    hour_window,
    market,
    session_key,
)

WINDOW = day_window(WEEK[0], WEEK[1])  # two sessions
SYMBOLS = ["AAPL", "MSFT"]


def fetch_pair(
    fault: Fault, source: str = "equity_ticks", window=WINDOW, symbols=SYMBOLS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    clean = market().fetch(source, *window, symbols)
    dirty = market(faults=(fault,)).fetch(source, *window, symbols)
    return clean, dirty


def per_unit(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    keys = [frame["symbol"].astype(str), session_key(frame["ts"])]
    return mask.groupby(keys).sum()


def test_drop_range_removes_exactly_the_range() -> None:
    lo, hi = "2024-06-03 15:00", "2024-06-03 16:00"
    clean, dirty = fetch_pair(Fault("drop_range", "equity_ticks", "AAPL", start=lo, end=hi))
    gone = (clean["symbol"] == "AAPL") & clean["ts"].between(
        pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC"), inclusive="left"
    )
    assert gone.sum() > 10
    pd.testing.assert_frame_equal(dirty, clean[~gone].reset_index(drop=True))


@pytest.mark.parametrize("kind", ["nan_price", "negative_price"])
def test_bad_prices_hit_count_rows_per_unit(kind: str) -> None:
    clean, dirty = fetch_pair(Fault(kind, "equity_ticks", "AAPL", count=4))
    bad = dirty["price"].isna() if kind == "nan_price" else dirty["price"] < 0
    counts = per_unit(dirty, bad)
    assert counts[("AAPL", WEEK[0])] == 4 and counts[("AAPL", WEEK[1])] == 4
    assert counts[("MSFT", WEEK[0])] == 0 and bad.sum() == 8
    if kind == "negative_price":
        assert (dirty.loc[bad, "price"].abs() == clean.loc[bad, "price"]).all()
    pd.testing.assert_frame_equal(dirty.drop(columns="price"), clean.drop(columns="price"))


def test_zero_size_on_dark_pool_prints() -> None:
    clean, dirty = fetch_pair(Fault("zero_size", "darkpool_prints", count=3), "darkpool_prints")
    zero = dirty["size"] == 0
    assert (per_unit(dirty, zero) == 3).all() and zero.sum() == 12
    pd.testing.assert_frame_equal(dirty.drop(columns="size"), clean.drop(columns="size"))


def test_crossed_quote_yields_exactly_count_crossed_rows_per_unit() -> None:
    clean, dirty = fetch_pair(Fault("crossed_quote", "equity_ticks", count=6))
    crossed = dirty["bid"] > dirty["ask"]
    assert (per_unit(dirty, crossed) == 6).all() and crossed.sum() == 24
    assert (dirty.loc[crossed, "bid"] == clean.loc[crossed, "ask"]).all()
    assert (clean["bid"] < clean["ask"]).all()


@pytest.mark.parametrize(
    ("source", "column"), [("equity_ticks", "trade_id"), ("options_flow", "alert_id")]
)
def test_duplicate_id_copies_an_existing_id(source: str, column: str) -> None:
    clean, dirty = fetch_pair(Fault("duplicate_id", source, "MSFT", count=2), source)
    assert clean[column].is_unique
    duplicated = dirty[column].duplicated(keep="first")
    assert (per_unit(dirty, duplicated).loc["MSFT"] == 2).all() and duplicated.sum() == 4
    assert set(dirty[column]) <= set(clean[column])
    pd.testing.assert_frame_equal(dirty.drop(columns=column), clean.drop(columns=column))


def test_naive_timezone_makes_ts_new_york_wall_time() -> None:
    fault = Fault("naive_timezone", "equity_ticks", "AAPL", start="2024-06-03", end="2024-06-04")
    clean, dirty = fetch_pair(fault)
    assert_canonical(dirty, "equity_ticks", naive_ts=True)
    assert dirty["ts"].dt.tz is None
    hit = (clean["symbol"] == "AAPL") & (session_key(clean["ts"]) == WEEK[0])
    wall = clean["ts"].dt.tz_convert(NY).dt.tz_localize(None)
    expected = clean["ts"].dt.tz_localize(None).where(~hit, wall)
    dirty_sorted = dirty.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
    assert dirty_sorted["ts"].min() == pd.Timestamp("2024-06-03 09:30") + (
        clean.loc[hit, "ts"].min() - pd.Timestamp("2024-06-03 13:30", tz="UTC")
    )
    assert sorted(dirty["ts"]) == sorted(expected)
    assert (
        dirty["price"].sort_values().to_numpy() == clean["price"].sort_values().to_numpy()
    ).all()


def test_shifted_timezone_moves_rows_earlier_by_the_new_york_offset() -> None:
    fault = Fault("shifted_timezone", "crypto_trades", "BTCUSDT")
    window = hour_window("2024-01-10 15:00")
    clean, dirty = fetch_pair(fault, "crypto_trades", window, ["BTCUSDT"])
    assert_canonical(dirty, "crypto_trades")
    np.testing.assert_array_equal(
        dirty["ts"].to_numpy(), (clean["ts"] - pd.Timedelta(hours=5)).to_numpy()
    )  # EST in January
    summer = hour_window("2024-06-10 15:00")
    clean, dirty = fetch_pair(fault, "crypto_trades", summer, ["BTCUSDT"])
    assert (clean["ts"] - dirty["ts"] == pd.Timedelta(hours=4)).all()  # EDT
    pd.testing.assert_frame_equal(dirty.drop(columns="ts"), clean.drop(columns="ts"))


def test_out_of_window_rows_land_just_outside_the_window() -> None:
    fault = Fault("out_of_window", "crypto_open_interest", "ETHUSDT", count=4)
    window = hour_window("2024-06-10 15:00", 2)
    clean, dirty = fetch_pair(fault, "crypto_open_interest", window, ["ETHUSDT"])
    lo, hi = window
    outside = (dirty["ts"] < lo) | (dirty["ts"] >= hi)
    assert outside.sum() == 8 and len(dirty) == len(clean) == 1_440
    assert set(dirty.loc[outside, "ts"]) == {
        hi,
        hi + pd.Timedelta(1, "ns"),
        lo - pd.Timedelta(1, "ns"),
        lo - pd.Timedelta(2, "ns"),
    }
    assert_canonical(dirty, "crypto_open_interest")


def test_unknown_symbol_appears_on_count_rows() -> None:
    clean, dirty = fetch_pair(Fault("unknown_symbol", "news_headlines", count=1), "news_headlines")
    unknown = dirty["symbol"] == "ZZZZ"
    expected = clean.groupby(["symbol", session_key(clean["ts"])], observed=True).ngroups
    assert unknown.sum() == expected
    assert dirty.iloc[-unknown.sum() :]["symbol"].eq("ZZZZ").all()  # sorted last
    assert_canonical(dirty, "news_headlines")


def test_bad_occ_symbol_breaks_the_occ_pattern() -> None:
    clean, dirty = fetch_pair(Fault("bad_occ_symbol", "options_flow", count=3), "options_flow")
    pattern = re.compile(OCC)
    assert clean["option_symbol"].map(lambda s: bool(pattern.match(s))).all()
    bad = ~dirty["option_symbol"].map(lambda s: bool(pattern.match(s)))
    assert (per_unit(dirty, bad) == 3).all() and bad.sum() == 12
    variants = dirty.loc[bad, "option_symbol"]
    assert variants.str.contains("X").any() and variants.str.islower().any()


def test_price_spike_is_isolated_and_twenty_percent() -> None:
    clean, dirty = fetch_pair(
        Fault("price_spike", "darkpool_prints", "AAPL", count=3), "darkpool_prints"
    )
    ratio = dirty["price"] / clean["price"]
    spiked = ~np.isclose(ratio, 1.0)
    assert spiked.sum() == 6 and (per_unit(dirty, pd.Series(spiked)).loc["AAPL"] == 3).all()
    assert np.allclose(np.sort(np.abs(ratio[spiked] - 1)), 0.2, atol=0.001)
    positions = np.flatnonzero(spiked)
    assert (np.diff(positions) > 1).all()
    assert (dirty["premium"] == dirty["price"] * dirty["size"]).all()


def test_stale_run_freezes_count_consecutive_trades_while_the_path_moves() -> None:
    fault = Fault("stale_run", "equity_ticks", "MSFT", count=8, start=WEEK[1], end=WEEK[2])
    clean, dirty = fetch_pair(fault)
    quote = ["price", "bid", "ask", "aggressor"]
    differs = np.flatnonzero((dirty[quote] != clean[quote]).any(axis=1).to_numpy())
    assert len(differs) >= 1 and differs.max() - differs.min() < 8
    hit = dirty.iloc[differs]
    assert (hit["symbol"] == "MSFT").all() and (session_key(hit["ts"]) == WEEK[1]).all()
    runs = [
        start
        for start in range(differs.max() - 7, differs.min())
        if (dirty.iloc[start : start + 8][quote].nunique() == 1).all()
        and clean.iloc[start : start + 8]["price"].nunique() > 1
    ]
    assert len(runs) == 1
    pd.testing.assert_frame_equal(dirty.drop(columns=quote), clean.drop(columns=quote))


def test_faults_are_deterministic_and_off_by_default() -> None:
    fault = Fault("nan_price", "crypto_trades", count=7)
    window = hour_window("2024-06-10 15:00")
    a = market(faults=(fault,)).fetch("crypto_trades", *window, ["BTCUSDT"])
    b = market(faults=(fault,)).fetch("crypto_trades", *window, ["BTCUSDT"])
    pd.testing.assert_frame_equal(a, b)
    assert a["price"].isna().sum() == 7
    assert market().fetch("crypto_trades", *window, ["BTCUSDT"])["price"].notna().all()


def test_fault_window_limits_the_affected_units() -> None:
    fault = Fault("zero_size", "equity_ticks", start="2024-06-04 14:00", end="2024-06-04 15:00")
    _, dirty = fetch_pair(fault)
    counts = per_unit(dirty, dirty["size"] == 0)
    assert counts.xs(WEEK[1], level=1).tolist() == [5, 5]
    assert counts.xs(WEEK[0], level=1).tolist() == [0, 0]


def test_a_fault_for_another_source_leaves_this_one_clean() -> None:
    clean, dirty = fetch_pair(Fault("crossed_quote", "darkpool_prints"))
    pd.testing.assert_frame_equal(clean, dirty)


def test_local_wall_time_handles_dst() -> None:
    ts = pd.DatetimeIndex(["2024-01-10 15:00", "2024-07-10 15:00"], tz="UTC").asi8
    wall = pd.DatetimeIndex(local_wall_ns(ts))
    assert list(wall.strftime("%H:%M")) == ["10:00", "11:00"]
