"""Equity ticks: sessions, intensity, quotes, sizes, codes, ids, the intraday path, regimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.providers.simulated import SimulationConfig
from vvv_pipeline.providers.simulated.anchors import (
    REGIMES,
    daily_anchors,
    day_index,
    equity_sigma,
)
from vvv_pipeline.providers.simulated.paths import equity_path, session_regime
from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES
from vvv_pipeline_tests.providers.simkit import (
    EARLY_CLOSES,
    SEED,
    TINY,
    WEEK,
    assert_canonical,
    day_window,
    market,
    session_key,
    universe,
)


@pytest.fixture(scope="module")
def week() -> pd.DataFrame:
    return market().fetch("equity_ticks", *day_window(WEEK[0], WEEK[-1]), universe().equities)


def test_ticks_are_canonical_and_only_inside_sessions(week: pd.DataFrame) -> None:
    assert_canonical(week, "equity_ticks")
    assert len(week) == 10 * 5 * 500
    for day, rows in week.groupby(session_key(week["ts"])):
        open_utc, close_utc = session_bounds(day)
        assert rows["ts"].min() >= open_utc and rows["ts"].max() < close_utc
    assert not week["extended_hours"].any()
    assert "T" not in set(week["condition"])


@pytest.mark.parametrize("day", EARLY_CLOSES)
def test_early_close_sessions_end_at_13_00_new_york(day: str) -> None:
    ticks = market().fetch("equity_ticks", *day_window(day), ["SPY", "AAPL"])
    close = pd.Timestamp(f"{day} 18:00", tz="UTC")
    assert ticks["ts"].max() < close
    assert ticks["ts"].max() > close - pd.Timedelta(minutes=10)
    assert ticks["ts"].min() >= pd.Timestamp(f"{day} 14:30", tz="UTC")
    # 3.5 of 6.5 hours, rounded half up: 500 * 12600 / 23400 = 269.2
    assert ticks.groupby("symbol", observed=True).size().tolist() == [269, 269]
    assert len(market().intraday_path("SPY", day)) == 12_600


@pytest.mark.parametrize("source", ["equity_ticks", "darkpool_prints", "options_flow"])
@pytest.mark.parametrize("day", ["2024-07-04", "2024-06-08", "2024-06-09", "2024-12-25"])
def test_holidays_and_weekends_have_no_rows(source: str, day: str) -> None:
    frame = market().fetch(source, *day_window(day), ["AAPL", "SPY"])
    assert len(frame) == 0
    assert_canonical(frame, source)


def test_intraday_intensity_is_u_shaped() -> None:
    config = SimulationConfig(seed=SEED, ticks_per_session=4_000)
    ticks = market(config).fetch("equity_ticks", *day_window(WEEK[2]), ["MSFT", "JPM"])
    open_utc, close_utc = session_bounds(WEEK[2])
    minutes = (ticks["ts"] - open_utc).dt.total_seconds() / 60
    first = (minutes < 30).sum()
    last = (minutes >= 360).sum()
    middle = ((minutes >= 180) & (minutes < 210)).sum()
    assert first > 2.5 * middle and last > 2.5 * middle
    assert ticks["ts"].max() < close_utc


def test_quotes_bracket_every_trade(week: pd.DataFrame) -> None:
    bid, ask, price = week["bid"], week["ask"], week["price"]
    assert (bid > 0).all() and (bid < ask).all()
    assert ((bid <= price) & (price <= ask)).all()
    spread = np.round((ask - bid) * 100).astype(int)
    assert spread.min() == 1 and (spread == 1).mean() > 0.3
    for column in (price, bid, ask):
        assert np.allclose(column * 100, np.round(column * 100), atol=1e-6)
    mid = (bid + ask) / 2
    expected = np.sign(np.round((price - mid) * 200)).astype("int8")
    assert (week["aggressor"] == expected).all()
    assert set(week["aggressor"]) <= {-1, 0, 1} and (week["aggressor"] != 0).mean() > 0.9


def test_sizes_are_heavy_tailed_round_and_odd_lots(week: pd.DataFrame) -> None:
    size = week["size"]
    assert (size > 0).all()
    odd = size < 100
    assert 0.2 < odd.mean() < 0.4
    assert (size[~odd] % 100 == 0).all()
    assert size.max() >= 20 * size.median()
    condition = week["condition"].astype(str)
    inner = ~condition.isin(["O", "6"])
    assert (condition[odd & inner] == "I").all()
    assert set(condition[~odd]) <= {"@", "F", "O", "6"}
    assert set(week["exchange"]) <= set(EQUITY_EXCHANGES)
    assert set(week["condition"].cat.categories) == set(EQUITY_CONDITIONS)


def test_first_trade_opens_last_closes_and_ids_increase(week: pd.DataFrame) -> None:
    for (_, _), rows in week.groupby(["symbol", session_key(week["ts"])], observed=True):
        assert rows["condition"].iloc[0] == "O" and rows["condition"].iloc[-1] == "6"
        assert ((rows["condition"] == "O").sum(), (rows["condition"] == "6").sum()) == (1, 1)
        assert np.all(np.diff(rows["trade_id"].to_numpy()) > 0)
        assert rows["ts"].is_monotonic_increasing
    assert week["trade_id"].is_unique


def test_tick_counts_follow_the_scale() -> None:
    lo, hi = day_window(WEEK[0], WEEK[1])
    counts = {}
    for ticks in (500, 1_500, 3_000):
        frame = market(SimulationConfig(seed=SEED, ticks_per_session=ticks)).fetch(
            "equity_ticks", lo, hi, ["QQQ"]
        )
        counts[ticks] = len(frame)
    assert counts == {500: 1_000, 1_500: 3_000, 3_000: 6_000}


def test_intraday_path_runs_from_open_to_close_anchor_on_a_one_second_grid() -> None:
    sim = market()
    path = sim.intraday_path("AAPL", WEEK[0])
    open_utc, close_utc = session_bounds(WEEK[0])
    assert len(path) == 23_400 and path.index[0] == open_utc
    assert path.index[-1] == close_utc - pd.Timedelta(seconds=1)
    assert str(path.index.tz) == "UTC" and (np.diff(path.index.asi8) == 1_000_000_000).all()
    anchors = daily_anchors(SEED, "AAPL", 185.0, equity_sigma(SEED, "AAPL"))
    assert path.iloc[0] == pytest.approx(anchors.open[day_index(WEEK[0])])
    assert path.iloc[-1] == pytest.approx(anchors.close[day_index(WEEK[0])])
    ticks = sim.fetch("equity_ticks", *day_window(WEEK[0]), ["AAPL"])
    at = path.reindex(ticks["ts"].dt.floor("s")).to_numpy()
    assert np.abs(ticks["price"].to_numpy() / at - 1).max() < 0.002
    with pytest.raises(ValueError, match="not an XNYS session"):
        sim.intraday_path("AAPL", "2024-07-04")
    with pytest.raises(ValueError, match="BTCUSDT"):
        sim.intraday_path("BTCUSDT", WEEK[0])


def test_next_session_opens_where_the_anchor_walk_left_off() -> None:
    sim = market()
    closes = [sim.intraday_path("NVDA", d).iloc[-1] for d in WEEK[:-1]]
    opens = [sim.intraday_path("NVDA", d).iloc[0] for d in WEEK[1:]]
    gaps = np.abs(np.log(np.array(opens) / np.array(closes)))
    assert gaps.max() < 0.1


def test_regimes_follow_their_probabilities_and_shape_the_day() -> None:
    anchors = daily_anchors(SEED, "SPY", 450.0, equity_sigma(SEED, "SPY"))
    share = np.bincount(anchors.regime, minlength=3) / len(anchors.regime)
    np.testing.assert_allclose(share, [r.probability for r in REGIMES], atol=0.02)
    move = np.abs(np.log(anchors.close / anchors.open))
    by_regime = {r.name: move[anchors.regime == i].mean() for i, r in enumerate(REGIMES)}
    assert by_regime["trending"] > 2 * by_regime["ranging"]
    sessions = pd.bdate_range("2024-01-02", "2024-04-30").strftime("%Y-%m-%d")
    noise: dict[str, list[float]] = {"trending": [], "ranging": [], "volatile": []}
    for day in sessions:
        if day in ("2024-01-15", "2024-02-19", "2024-03-29"):
            continue
        path = np.log(equity_path(SEED, "SPY", day, 450.0))
        noise[session_regime(SEED, "SPY", day, 450.0)].append(np.diff(path).std())
    assert np.mean(noise["volatile"]) > 1.5 * np.mean(noise["ranging"])
    assert np.mean(noise["ranging"]) > np.mean(noise["trending"])


def test_anchor_paths_stay_sane_over_the_whole_horizon() -> None:
    for symbol in universe().equities:
        start = universe().start_price(symbol)
        anchors = daily_anchors(TINY.seed, symbol, start, equity_sigma(TINY.seed, symbol))
        assert anchors.close.min() >= min(5.0, start / 4) * 0.999
        assert anchors.close.max() <= start * 50
        assert anchors.open[day_index("2024-01-02")] == pytest.approx(start, rel=0.05)
        assert 0.015 <= anchors.sigma <= 0.03
