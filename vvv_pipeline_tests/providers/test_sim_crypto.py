"""Crypto trades and open interest: 24/7 coverage, continuity, clustering, ids, 5-second OI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.simulated import SimulationConfig
from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS, hour_index
from vvv_pipeline.providers.simulated.open_interest import round_level
from vvv_pipeline.providers.simulated.paths import crypto_path
from vvv_pipeline_tests.providers.simkit import (
    SEED,
    assert_canonical,
    hour_window,
    market,
    universe,
)

PAIRS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
SATURDAY = "2024-06-08 22:00"


@pytest.fixture(scope="module")
def trades() -> pd.DataFrame:
    return market().fetch("crypto_trades", *hour_window(SATURDAY, 3), PAIRS)


@pytest.fixture(scope="module")
def oi() -> pd.DataFrame:
    return market().fetch("crypto_open_interest", *hour_window("2024-06-09 00:00", 48), PAIRS)


def test_trades_are_canonical_and_count_exactly_per_hour(trades: pd.DataFrame) -> None:
    assert_canonical(trades, "crypto_trades")
    hours = trades["ts"].dt.floor("h")
    counts = trades.groupby(["symbol", hours], observed=True).size()
    assert len(counts) == 9 and (counts == 120).all()
    assert set(trades["venue"]) == {"binance"}
    assert set(trades["aggressor"]) == {-1, 1}
    assert (trades["size"] > 0).all()


def test_every_minute_of_every_hour_has_trades_even_on_weekends(trades: pd.DataFrame) -> None:
    minutes = trades["ts"].dt.floor("min")
    covered = trades.assign(minute=minutes).groupby("symbol", observed=True)["minute"].nunique()
    assert (covered == 180).all()


def test_prices_sit_on_the_pair_tick(trades: pd.DataFrame) -> None:
    for symbol, decimals in (("BTCUSDT", 2), ("ETHUSDT", 2), ("SOLUSDT", 3)):
        price = trades.loc[trades["symbol"] == symbol, "price"].to_numpy()
        assert np.allclose(price * 10**decimals, np.round(price * 10**decimals), atol=1e-6)


def test_price_is_continuous_across_hour_boundaries(trades: pd.DataFrame) -> None:
    for symbol, rows in trades.groupby("symbol", observed=True):
        by_hour = rows.groupby(rows["ts"].dt.floor("h"))["price"]
        last, first = by_hour.last().to_numpy(), by_hour.first().to_numpy()
        assert np.abs(first[1:] / last[:-1] - 1).max() < 0.02, symbol
    start = universe().start_price("BTCUSDT")
    hour = hour_index(pd.Timestamp(SATURDAY, tz="UTC").value)
    assert crypto_path(SEED, "BTCUSDT", hour, start)[3600] == pytest.approx(
        crypto_path(SEED, "BTCUSDT", hour + 1, start)[0]
    )


def test_trade_ids_are_unique_and_increase_across_hours(trades: pd.DataFrame) -> None:
    for _, rows in trades.groupby("symbol", observed=True):
        ids = rows["trade_id"].to_numpy()
        assert np.all(np.diff(ids) > 0)
    hour = hour_index(pd.Timestamp(SATURDAY, tz="UTC").value)
    first_hour = trades[trades["ts"] < pd.Timestamp(SATURDAY, tz="UTC") + pd.Timedelta(hours=1)]
    assert first_hour["trade_id"].min() > hour * 10**9


def test_volume_clusters_beyond_a_poisson_tape() -> None:
    config = SimulationConfig(seed=SEED, crypto_trades_per_hour=3_000)
    frame = market(config).fetch("crypto_trades", *hour_window("2024-06-04 13:00", 2), ["BTCUSDT"])
    per_minute = frame.groupby(frame["ts"].dt.floor("min")).size()
    assert per_minute.var() / per_minute.mean() > 3  # Poisson would give ~1
    big = frame["size"] * frame["price"]
    assert big.max() > 50 * big.median()  # heavy-tailed notional


def test_open_interest_has_720_samples_per_hour_on_five_second_marks(oi: pd.DataFrame) -> None:
    assert_canonical(oi, "crypto_open_interest")
    counts = oi.groupby(["symbol", oi["ts"].dt.floor("h")], observed=True).size()
    assert len(counts) == 3 * 48 and (counts == 720).all()
    ns = pd.DatetimeIndex(oi["ts"]).asi8
    assert (ns % 5_000_000_000 == 0).all()
    for _, rows in oi.groupby("symbol", observed=True):
        assert (rows["ts"].diff().dropna() == pd.Timedelta(seconds=5)).all()
    assert (oi["open_interest"] > 0).all()
    assert (oi["open_interest_value"] == oi["open_interest"] * oi["mark_price"]).all()


def test_mark_price_is_the_crypto_path(oi: pd.DataFrame) -> None:
    rows = oi[oi["symbol"] == "ETHUSDT"].head(720)
    hour = hour_index(rows["ts"].iloc[0].value)
    path = crypto_path(SEED, "ETHUSDT", hour, universe().start_price("ETHUSDT"))
    np.testing.assert_allclose(rows["mark_price"], np.round(path[:3600:5], 2))


def test_open_interest_is_continuous_with_big_jumps_both_ways(oi: pd.DataFrame) -> None:
    for symbol, rows in oi.groupby("symbol", observed=True):
        log_oi = np.log(rows["open_interest"].to_numpy())
        step = np.diff(log_oi)
        hour_edges = np.flatnonzero(rows["ts"].dt.minute.eq(0) & rows["ts"].dt.second.eq(0))[1:]
        assert np.abs(step[hour_edges - 1]).max() < 0.02, symbol  # no break between hours
        assert (step > 0.025).sum() >= 2 and (step < -0.025).sum() >= 2, symbol


def test_some_jumps_happen_near_whole_number_price_levels(oi: pd.DataFrame) -> None:
    near_level_jumps = 0
    for symbol, rows in oi.groupby("symbol", observed=True):
        level = round_level(universe().start_price(str(symbol)))
        mark = rows["mark_price"].to_numpy()
        step = np.abs(np.diff(np.log(rows["open_interest"].to_numpy())))
        distance = np.abs(mark - np.round(mark / level) * level) / mark
        near_level_jumps += int(((step > 0.025) & (distance[1:] < 0.002)).sum())
    assert round_level(42_000.0) == 1_000 and round_level(2_300.0) == 100
    assert round_level(100.0) == 10
    assert near_level_jumps >= 3


def test_hour_units_line_up_with_the_epoch() -> None:
    start = pd.Timestamp("2024-06-09 05:00", tz="UTC")
    assert EPOCH_NS + hour_index(start.value) * HOUR_NS == start.value
