"""Simulated dividends, splits and adjusted closes in daily_ohlcv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.simulated.corporate_actions import policy
from vvv_pipeline.validation import check_tier1
from vvv_pipeline_tests.providers.simkit import SEED, day_window, market, universe

YEAR = day_window("2024-01-01", "2025-12-31")


def _equities() -> list[str]:
    return [s for s, c in universe().daily_ohlcv.items() if c == "equity"]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return market().fetch("daily_ohlcv", *YEAR, [*_equities(), "EURUSD=X", "GC=F"])


def test_payers_go_ex_quarterly_at_their_yield_of_the_previous_close(bars) -> None:
    payers = [s for s in _equities() if policy(SEED, s).quarterly_yield > 0]
    assert payers, "the shipped universe has a dividend payer under the test seed"
    for symbol in payers:
        own = bars.loc[bars["symbol"] == symbol].reset_index(drop=True)
        paid = np.flatnonzero(own["dividend"].to_numpy() > 0)
        assert len(paid) == 8  # two years, quarterly
        assert np.all(np.diff(own["ts"].iloc[paid].to_numpy()) > np.timedelta64(80, "D"))
        y = policy(SEED, symbol).quarterly_yield
        previous = own["close"].to_numpy()[paid - 1]
        assert own["dividend"].to_numpy()[paid] == pytest.approx(y * previous, abs=5e-5)


def test_the_adjusted_close_steps_only_at_ex_dates(bars) -> None:
    for symbol, own in bars.groupby("symbol", observed=True):
        factor = (own["adj_close"] / own["close"]).to_numpy()
        steps = np.abs(factor[1:] / factor[:-1] - 1.0) > 1e-3
        assert np.array_equal(steps, own["dividend"].to_numpy()[1:] > 0), symbol
        assert np.all(factor <= 1.0 + 1e-3)


def test_non_equities_have_no_corporate_actions(bars) -> None:
    other = bars.loc[bars["symbol"].isin(["EURUSD=X", "GC=F"])]
    assert (other["dividend"] == 0).all() and (other["split_ratio"] == 1).all()
    assert other["adj_close"].tolist() == other["close"].tolist()


def test_a_split_is_an_event_on_the_first_session_after_its_date_without_a_gap() -> None:
    # under the test seed AAPL splits 3-for-1 on its nominal date 2021-08-15, a Sunday: the
    # event lands on Monday 2021-08-16, and the (split-adjusted) close does not fall by 2/3
    rule = policy(SEED, "AAPL")
    assert (rule.split_nominal, rule.split_ratio) == (pd.Timestamp("2021-08-15"), 3.0)
    august = market().fetch("daily_ohlcv", *day_window("2021-08-02", "2021-08-31"), ["AAPL"])
    split = august.loc[august["split_ratio"] != 1.0]
    assert split["split_ratio"].tolist() == [3.0]
    assert split["ts"].iloc[0] == pd.Timestamp("2021-08-16 04:00", tz="UTC")
    moves = august["close"].pct_change().abs().dropna()
    assert moves.max() < 0.2


def test_clean_bars_pass_tier_one_and_a_day_equals_its_slice_of_the_years(bars) -> None:
    assert check_tier1(bars, "daily_ohlcv", YEAR, [*_equities(), "EURUSD=X", "GC=F"]).failures == {}
    ex = bars.loc[bars["dividend"] > 0].iloc[0]
    day = ex["ts"].tz_convert("America/New_York").strftime("%Y-%m-%d")
    alone = market().fetch("daily_ohlcv", *day_window(day, day), [str(ex["symbol"])])
    assert alone[["dividend", "split_ratio", "adj_close"]].iloc[0].tolist() == [
        ex["dividend"],
        ex["split_ratio"],
        ex["adj_close"],
    ]
