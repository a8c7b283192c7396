"""1-minute bars of simulated sessions equal an independent pandas computation, all columns,
all symbols, 20 consecutive sessions plus the 13:00 early close after Thanksgiving."""

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars import time_bars
from vvv_pipeline.bars.time import FREQUENCIES, time_bars_by_freq
from vvv_pipeline.calendars import session_bounds, sessions_between
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe

SESSIONS = [d.strftime("%Y-%m-%d") for d in sessions_between("2025-10-27", "2025-11-28")]


def pandas_minute_bars(ticks: pd.DataFrame) -> pd.DataFrame:
    """Reference: resample-style 1-minute bars, buy/sell by aggressor, else the tick rule."""
    frame = ticks.assign(symbol=ticks["symbol"].astype(str))
    step = np.sign(frame.groupby("symbol")["price"].diff()).replace(0, np.nan)
    tick_rule = step.groupby(frame["symbol"]).ffill().fillna(0)
    sign = frame["aggressor"].where(frame["aggressor"] != 0, tick_rule)
    frame = frame.assign(
        minute=frame["ts"].dt.floor("min"),
        notional=frame["price"] * frame["size"],
        buy=frame["size"].where(sign > 0, 0),
        sell=frame["size"].where(sign < 0, 0),
    )
    grouped = frame.groupby(["symbol", "minute"], sort=True)
    bars = grouped["price"].agg(["first", "max", "min", "last", "count"])
    sums = grouped[["size", "notional", "buy", "sell"]].sum()
    out = pd.DataFrame(
        {
            "open": bars["first"],
            "high": bars["max"],
            "low": bars["min"],
            "close": bars["last"],
            "volume": sums["size"],
            "vwap": sums["notional"] / sums["size"],
            "trade_count": bars["count"].astype("int64"),
            "buy_volume": sums["buy"].astype("int64"),
            "sell_volume": sums["sell"].astype("int64"),
        }
    )
    return out.reset_index().rename(columns={"minute": "ts"})


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(SimulationConfig(ticks_per_session=3_000))


def test_twenty_sessions_and_an_early_close_match_pandas(market):
    assert len(SESSIONS) >= 21 and SESSIONS[-1] == "2025-11-28"
    symbols = list(load_universe().equities)
    for day in SESSIONS:
        start = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
        ticks = market.fetch("equity_ticks", start, start + pd.Timedelta(days=1), symbols)
        ours = time_bars(ticks, "1min", sessions=[day])
        want = pandas_minute_bars(ticks)
        assert ours["symbol"].astype(str).tolist() == want["symbol"].tolist(), day
        got = ours.assign(symbol=ours["symbol"].astype(str)).reset_index(drop=True)
        exact = [c for c in want.columns if c != "vwap"]
        pd.testing.assert_frame_equal(got[exact], want[exact], check_dtype=False, obj=day)
        np.testing.assert_allclose(got["vwap"], want["vwap"], rtol=1e-12)
        close = session_bounds(day)[1]
        assert got["ts"].max() < close
        assert set(got["symbol"]) == set(symbols)


@pytest.mark.parametrize("source", ["equity_ticks", "crypto_trades"])
def test_bars_at_several_frequencies_at_once_equal_one_call_each(market, source):
    """The assets build the tick arrays and partition codes once for all five frequencies."""
    if source == "equity_ticks":
        days = SESSIONS[-3:]
        symbols = list(load_universe().equities)
        lo = pd.Timestamp(days[0], tz="America/New_York").tz_convert("UTC")
        hi = pd.Timestamp(days[-1], tz="America/New_York").tz_convert("UTC") + pd.Timedelta(days=1)
        starts = [pd.Timestamp(d, tz="America/New_York") for d in days]
        sessions = days
    else:
        symbols = list(load_universe().crypto)
        lo, hi = pd.Timestamp("2025-11-26", tz="UTC"), pd.Timestamp("2025-11-26 06:00", tz="UTC")
        starts = [lo + pd.Timedelta(hours=h) for h in range(0, 6, 2)]
        sessions = None
    ticks = market.fetch(source, lo, hi, symbols)
    together = time_bars_by_freq(ticks, FREQUENCIES, sessions=sessions, partition_starts=starts)
    for freq, bars in zip(FREQUENCIES, together, strict=True):
        alone = time_bars(ticks, freq, sessions=sessions, partition_starts=starts)
        assert len(bars) > 0, (source, freq)
        pd.testing.assert_frame_equal(bars, alone, check_exact=True, obj=f"{source} {freq}")
