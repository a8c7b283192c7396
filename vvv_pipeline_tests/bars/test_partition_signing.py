"""Each partition signs its trades from its own rows: bars do not depend on how a range is cut.

The tick rule restarts unknown at each symbol's first trade of every partition, so time bars of a
range built in one call equal the bars of its partitions built one by one, buy and sell volume
included, also where a partition's first trade has no aggressor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars import FREQUENCIES, time_bars
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.bars.synthetic import SESSIONS, crypto_trades, equity_ticks

NY = "America/New_York"
# Tiny-scale sessions where SPY's first trade of the 11th has no aggressor: signed from the
# 10th's last price it is a buy, signed from its own rows it is unknown.
SIM_DAYS = ["2025-11-10", "2025-11-11"]


def _midnight(day: str, later: int = 0) -> pd.Timestamp:
    """New York midnight starting ``day`` (``later`` days on: a DST day has 23 or 25 hours)."""
    local = pd.Timestamp(day) + pd.Timedelta(days=later)
    return local.tz_localize(NY).tz_convert("UTC")


def _day_rows(frame: pd.DataFrame, day: str) -> pd.DataFrame:
    inside = (frame["ts"] >= _midnight(day)) & (frame["ts"] < _midnight(day, later=1))
    return frame[inside.to_numpy()].reset_index(drop=True)


def _one_by_one(frame: pd.DataFrame, days: list[str], freq: str, equity: bool) -> pd.DataFrame:
    parts = [time_bars(_day_rows(frame, d), freq, sessions=[d] if equity else None) for d in days]
    out = pd.concat(parts, ignore_index=True)
    out["symbol"] = out["symbol"].astype(str)
    return out.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)


def _in_one_call(
    frame: pd.DataFrame, days: list[str], freq: str, equity: bool, cut: bool = True
) -> pd.DataFrame:
    starts = [_midnight(d) for d in days] if cut else None
    out = time_bars(frame, freq, sessions=days if equity else None, partition_starts=starts)
    out["symbol"] = out["symbol"].astype(str)
    return out


@pytest.mark.parametrize("freq", FREQUENCIES)
def test_equity_range_in_one_call_equals_sessions_one_by_one(freq):
    ticks = equity_ticks()
    pd.testing.assert_frame_equal(
        _in_one_call(ticks, SESSIONS, freq, equity=True),
        _one_by_one(ticks, SESSIONS, freq, equity=True),
    )


@pytest.mark.parametrize("freq", FREQUENCIES)
def test_crypto_range_in_one_call_equals_days_one_by_one(freq):
    trades = crypto_trades()
    trades["aggressor"] = np.int8(0)  # a venue without the taker side: the tick rule alone
    days = ["2024-11-02", "2024-11-03", "2024-11-04"]  # the middle one has 25 hours
    pd.testing.assert_frame_equal(
        _in_one_call(trades, days, freq, equity=False),
        _one_by_one(trades, days, freq, equity=False),
    )


def test_a_first_trade_without_aggressor_is_unknown_not_signed_from_yesterday():
    ticks = equity_ticks()
    second, open_ = _midnight(SESSIONS[1]), pd.Timestamp(f"{SESSIONS[1]} 14:30", tz="UTC")
    aaa = (ticks["symbol"] == "AAA").to_numpy()
    premarket = aaa & (ticks["ts"] >= second).to_numpy() & (ticks["ts"] < open_).to_numpy()
    ticks = ticks[~premarket].reset_index(drop=True)  # AAA's first trade of day 2 is in session
    aaa = (ticks["symbol"] == "AAA").to_numpy()
    first = int(np.flatnonzero(aaa & (ticks["ts"] >= second).to_numpy())[0])
    ticks.loc[first, "aggressor"] = 0
    ticks.loc[first, "price"] = ticks.loc[first - 1, "price"] + 1.0  # an uptick from yesterday
    carried = _in_one_call(ticks, SESSIONS, "1d", equity=True, cut=False)
    cut = _in_one_call(ticks, SESSIONS, "1d", equity=True)
    day2 = ((cut["symbol"] == "AAA") & (cut["ts"] >= second)).to_numpy()
    bought_then, bought_now = (int(f.loc[day2, "buy_volume"].iloc[0]) for f in (carried, cut))
    assert bought_then - bought_now >= int(ticks.loc[first, "size"]) > 0
    alone = time_bars(_day_rows(ticks, SESSIONS[1]), "1d", sessions=[SESSIONS[1]])
    assert int(alone.loc[alone["symbol"] == "AAA", "buy_volume"].iloc[0]) == bought_now


def test_simulated_sessions_with_an_unknown_first_trade_give_the_same_bars_either_way():
    market = SimulatedMarket(SimulationConfig(ticks_per_session=500), load_universe())
    symbols = list(load_universe().equities)
    frames = [
        market.fetch("equity_ticks", _midnight(d), _midnight(d, later=1), symbols) for d in SIM_DAYS
    ]
    ticks = pd.concat(frames, ignore_index=True)
    ticks["symbol"] = ticks["symbol"].astype(str).astype("category")
    ticks = ticks.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
    spy = frames[1][frames[1]["symbol"] == "SPY"]
    assert spy["aggressor"].iloc[0] == 0  # the case this test is about
    carried = _in_one_call(ticks, SIM_DAYS, "1d", equity=True, cut=False)
    assert not carried.equals(_one_by_one(ticks, SIM_DAYS, "1d", equity=True))
    for freq in FREQUENCIES:
        pd.testing.assert_frame_equal(
            _in_one_call(ticks, SIM_DAYS, freq, equity=True),
            _one_by_one(ticks, SIM_DAYS, freq, equity=True),
        )
