"""Traps, held breakouts and spoof-like bursts on hand-built bars, trades and OI windows; the
simulator's injected patterns land where their labels say and the detectors find them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.analytics.spoofing import oi_bursts, size_bursts
from vvv_pipeline.analytics.trap_events import COLUMNS, EQUITY_COLUMNS, EVENT_COLUMNS, trap_summary
from vvv_pipeline.analytics.traps import detect_traps, reference_levels
from vvv_pipeline.analytics.zones import price_zones
from vvv_pipeline.bars import oi_windows, time_bars
from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.metadata_tiers.windows import calendar_window
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.traps import (
    inject_oi_bursts,
    inject_size_bursts,
    inject_traps,
)

DAY = pd.Timestamp("2025-11-25")
OPEN = pd.Timestamp("2025-11-25 14:30", tz="UTC")


def bars_frame(rows: list[tuple[float, float, float, int]], symbol: str = "AAA") -> pd.DataFrame:
    """Consecutive 1-minute bars from (high, low, close, volume)."""
    high, low, close, volume = (np.array(c) for c in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * len(rows)),
            "ts": OPEN + pd.to_timedelta(np.arange(len(rows)), "min"),
            "high": high.astype(float),
            "low": low.astype(float),
            "close": close.astype(float),
            "volume": volume.astype(np.int64),
        }
    )


def level(price: float, direction: int, source: str = "vah") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["AAA"],
            "date": [DAY],
            "level": [price],
            "source": [source],
            "direction": [direction],
        }
    )


# 12 quiet bars 0.20 wide (the scale) below the level 100 on 1,000 shares each
APPROACH = [(99.6, 99.4, 99.5, 1_000)] * 12


def test_a_breakout_that_reverses_on_falling_volume_is_a_bull_trap():
    push = [(100.5, 100.3, 100.4, 300), (100.8, 100.5, 100.7, 200), (100.6, 99.7, 99.8, 400)]
    events = detect_traps(bars_frame(APPROACH + push), level(100.0, 1))
    assert list(events.columns) == list(EVENT_COLUMNS)
    (row,) = events.itertuples(index=False)
    assert row.kind == "bull_trap" and row.direction == 1 and row.level_source == "vah"
    assert row.ts == OPEN + pd.Timedelta(minutes=12)  # the first close above the level
    assert row.extreme == 100.8
    assert row.excursion == pytest.approx(0.8 / 0.2)
    # the push is the breakout bar to the one that made the extreme: (300 + 200) / 2 / 1,000
    assert row.participation == pytest.approx(0.25)
    assert row.duration_s == 120.0  # closed back inside two bars later
    assert np.isnan(row.size) and np.isnan(row.multiple)


def test_the_same_breakout_that_holds_is_a_breakout_not_a_trap():
    push = [(100.5, 100.3, 100.4, 300), (100.8, 100.5, 100.7, 200)]
    hold = [(100.9, 100.6, 100.7, 1_500)] * 4  # five bars after it, none closes inside
    events = detect_traps(bars_frame(APPROACH + push + hold), level(100.0, 1))
    (row,) = events.itertuples(index=False)
    assert row.kind == "breakout_up"
    assert row.excursion == pytest.approx(0.9 / 0.2) and np.isnan(row.duration_s)


def test_a_reversal_on_rising_volume_or_a_shallow_poke_is_not_recorded():
    rising = [(100.5, 100.3, 100.4, 3_000), (100.8, 100.5, 100.7, 2_000), (100, 99.7, 99.8, 400)]
    assert detect_traps(bars_frame(APPROACH + rising), level(100.0, 1)).empty
    shallow = [(100.3, 100.0, 100.1, 300), (100.4, 100.1, 100.2, 200), (100, 99.7, 99.8, 400)]
    assert detect_traps(bars_frame(APPROACH + shallow), level(100.0, 1)).empty  # 2 scale units


def test_a_breakdown_that_reverses_is_a_bear_trap_and_one_push_through_two_levels_is_one():
    above = [(100.6, 100.4, 100.5, 1_000)] * 12
    push = [(100.0, 99.6, 99.7, 300), (99.6, 99.2, 99.3, 100), (100.5, 99.4, 100.4, 900)]
    levels = pd.concat([level(100.0, -1, "val"), level(99.8, -1, "demand")], ignore_index=True)
    (row,) = detect_traps(bars_frame(above + push), levels).itertuples(index=False)
    assert (row.kind, row.level, row.level_source) == ("bear_trap", 100.0, "val")  # first broken
    assert row.extreme == 99.2 and row.excursion == pytest.approx(0.8 / 0.2)
    assert row.participation == pytest.approx(200 / 1_000)


def test_a_day_reads_the_levels_of_its_symbols_latest_earlier_day():
    summary = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA", "BBB"],
            "date": pd.to_datetime(["2025-11-21", "2025-11-24", "2025-11-10"]),
            "vah": [101.0, 102.0, 50.0],
            "val": [99.0, 98.0, 40.0],
        }
    )
    zones = pd.DataFrame(
        {
            "symbol": ["AAA"],
            "date": pd.to_datetime(["2025-11-24"]),
            "kind": ["hvn"],
            "price_low": [99.5],
            "price_high": [100.5],
        }
    )
    days = pd.DataFrame({"symbol": ["AAA", "AAA", "BBB"], "date": [DAY, DAY, DAY]})
    got = reference_levels(summary, zones, days)
    # AAA reads 2025-11-24 (not the 21st, not its own day); BBB's profile is 15 days old
    assert got.values.tolist() == [
        ["AAA", DAY, 98.0, "val", -1],
        ["AAA", DAY, 99.5, "hvn", -1],
        ["AAA", DAY, 100.5, "hvn", 1],
        ["AAA", DAY, 102.0, "vah", 1],
    ]


def test_the_daily_summary_counts_levels_and_events_per_kind():
    push = [(100.5, 100.3, 100.4, 300), (100.8, 100.5, 100.7, 200), (100.6, 99.7, 99.8, 400)]
    bars = bars_frame(APPROACH + push)
    events = detect_traps(bars, level(100.0, 1))
    days = pd.DataFrame({"symbol": ["AAA", "BBB"], "date": [DAY, DAY]})
    equity = trap_summary(days, events, level(100.0, 1), crypto=False)
    assert list(equity.columns) == list(EQUITY_COLUMNS)
    assert equity.set_index("symbol")[["levels", "bull_traps", "bear_traps"]].values.tolist() == [
        [1, 1, 0],
        [0, 0, 0],
    ]
    crypto = trap_summary(days, events, level(100.0, 1), crypto=True)
    assert list(crypto.columns) == list(COLUMNS) and crypto["oi_spoofs"].tolist() == [0, 0]


def trades_frame(times_s: list[float], sizes: list[int], sides: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Categorical(["AAA"] * len(times_s)),
            "ts": OPEN + pd.to_timedelta(np.asarray(times_s), "s"),
            "price": 100.0,
            "size": np.asarray(sizes, dtype=np.int64),
            "aggressor": np.asarray(sides, dtype=np.int8),
        }
    )


def background(seconds: int = 600) -> tuple[list[float], list[int], list[int]]:
    """A 100-share print every 2 seconds, sides alternating: the day's median print is 100."""
    times = [float(t) for t in range(0, seconds, 2)]
    return times, [100] * len(times), [1 if i % 2 else -1 for i in range(len(times))]


def test_a_burst_that_vanishes_within_seconds_is_a_size_spoof():
    times, sizes, sides = background()
    burst = [300.1, 300.5, 300.9, 301.3, 301.7, 302.1]  # 6 buys of 5,000 within 2 seconds
    frame = trades_frame(times + burst, sizes + [5_000] * 6, sides + [1] * 6)
    frame = frame.sort_values("ts", ignore_index=True)
    (row,) = size_bursts(frame).itertuples(index=False)
    assert (row.kind, row.direction, row.size) == ("size_spoof", 1, 30_000.0)
    assert row.ts == OPEN + pd.Timedelta(seconds=300.1)
    assert row.multiple == pytest.approx(50.0)  # 5,000 / the median 100
    assert row.duration_s == pytest.approx(2.0)


def test_a_persistent_burst_is_a_surge_and_scattered_or_two_sided_prints_are_nothing():
    times, sizes, sides = background()
    surge = [300.25 + 0.5 * i for i in range(30)]  # 30 buys of 5,000 over 14.5 seconds
    frame = trades_frame(times + surge, sizes + [5_000] * 30, sides + [1] * 30)
    (row,) = size_bursts(frame.sort_values("ts", ignore_index=True)).itertuples(index=False)
    assert row.kind == "size_surge" and np.isnan(row.duration_s) and row.size == 150_000.0
    mixed = [300.1, 300.5, 300.9, 301.3, 301.7, 302.1]
    frame = trades_frame(times + mixed, sizes + [5_000] * 6, sides + [1, -1] * 3)
    assert size_bursts(frame.sort_values("ts", ignore_index=True)).empty  # 3 a side
    spaced = [300.1 + 1.5 * i for i in range(6)]  # more than a second apart
    frame = trades_frame(times + spaced, sizes + [5_000] * 6, sides + [1] * 6)
    assert size_bursts(frame.sort_values("ts", ignore_index=True)).empty


def oi_frame(changes: list[float]) -> pd.DataFrame:
    """5-second windows of 1,000,000 contracts changing by ``changes`` (first change NaN)."""
    level = 1_000_000.0 + np.cumsum([0.0, *changes])
    change = np.r_[np.nan, np.diff(level)]
    return pd.DataFrame(
        {
            "symbol": pd.Categorical(["BTCUSDT"] * len(level)),
            "ts": OPEN + pd.to_timedelta(np.arange(len(level)) * 5, "s"),
            "oi_change": change,
            "oi_change_pct": change / np.r_[np.nan, level[:-1]],
        }
    )


CHURN = [10.0, -10.0, 20.0, -20.0, 10.0, -10.0] * 4  # MAD 10: z of 20,000 is about 1,300


def test_an_oi_burst_undone_within_seconds_is_a_spoof_and_its_undo_is_not_a_burst():
    events = oi_bursts(oi_frame([*CHURN, 20_000.0, 5.0, -20_000.0, *CHURN]))
    (row,) = events.itertuples(index=False)
    assert (row.kind, row.direction, row.size) == ("oi_spoof", 1, 20_000.0)
    assert row.ts == OPEN + pd.Timedelta(seconds=5 * (len(CHURN) + 1))
    assert row.duration_s == 10.0  # the window two after it took it back


def test_an_oi_burst_that_stays_is_a_step():
    (row,) = oi_bursts(oi_frame([*CHURN, -20_000.0, *CHURN])).itertuples(index=False)
    assert (row.kind, row.direction, row.size) == ("oi_step", -1, -20_000.0)
    assert np.isnan(row.duration_s)
    # taken back only after 35 seconds: too slow to have vanished
    late = oi_frame([*CHURN, 20_000.0, *[0.0] * 6, -20_000.0, *CHURN])
    assert oi_bursts(late)["kind"].tolist() == ["oi_step", "oi_step"]
    # reversed and more: a new burst the other way, not the first one vanishing
    overshoot = oi_frame([*CHURN, 20_000.0, -45_000.0, *CHURN])
    assert oi_bursts(overshoot)["direction"].tolist() == [1, -1]
    assert oi_bursts(overshoot)["kind"].tolist() == ["oi_step", "oi_step"]


SESSIONS = ["2025-11-24", "2025-11-25"]


@pytest.fixture(scope="module")
def session_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """AAPL's ticks of the second session and the levels of the first (default density)."""
    market = SimulatedMarket(SimulationConfig(seed=20240601))
    first, second = (
        market.fetch(Source.EQUITY_TICKS, *calendar_window(day), ["AAPL"]) for day in SESSIONS
    )
    bars = time_bars(first, "1min", sessions=SESSIONS[:1])
    profile = market_profile(bars, sessions=SESSIONS[:1])
    zones = price_zones(profile.levels, bars)
    days = pd.DataFrame({"symbol": ["AAPL"], "date": [pd.Timestamp(SESSIONS[1])]})
    return second, reference_levels(profile.summary, zones, days)


def _changed(clean: pd.DataFrame, injected: pd.DataFrame) -> np.ndarray:
    """Times of the clean trades whose price changed or that no longer print."""
    merged = clean.merge(injected, on=["ts", "size"], how="left", suffixes=("", "_new"))
    return ts_ns(merged.loc[merged["price_new"].ne(merged["price"]), "ts"])


def test_injected_traps_are_labelled_where_the_tape_changed(session_pair):
    ticks, levels = session_pair
    injected, labels = inject_traps(ticks, levels, 2, seed=7)
    assert labels["kind"].tolist() == ["bull_trap", "bear_trap"]
    assert set(labels["level"]) <= set(levels["level"])
    changed = _changed(ticks, injected)
    starts = ts_ns(labels["ts"])
    # every changed trade lies in the five minutes after a label, and every label changed some
    offset = changed[:, None] - starts[None, :]
    near = (offset >= 0) & (offset < 300 * 10**9)
    assert near.any(axis=1).all() and near.any(axis=0).all()
    assert len(injected) < len(ticks)  # fewer prints while a trap runs
    assert (injected["bid"] <= injected["price"]).all() and (
        injected["price"] <= injected["ask"]
    ).all()
    again, same = inject_traps(ticks, levels, 2, seed=7)
    pd.testing.assert_frame_equal(again, injected)
    pd.testing.assert_frame_equal(same, labels)


def test_injected_bursts_add_prints_at_their_labels(session_pair):
    ticks, _ = session_pair
    injected, labels = inject_size_bursts(ticks, 2, seed=7)
    assert labels["kind"].tolist() == ["size_spoof", "size_spoof"]
    added = injected[~injected["ts"].isin(ticks["ts"])]
    assert 12 <= len(added) <= 24 and len(injected) == len(ticks) + len(added)
    for start in labels["ts"]:
        mine = added[(added["ts"] >= start) & (added["ts"] < start + pd.Timedelta(seconds=3))]
        assert 6 <= len(mine) <= 12 and mine["aggressor"].nunique() == 1
        assert (mine["size"] % 100 == 0).all() and (mine["size"] >= 30 * 100).all()
    assert injected["trade_id"].is_monotonic_increasing and injected["trade_id"].is_unique


def test_injected_oi_bursts_vanish_where_labelled():
    market = SimulatedMarket(SimulationConfig(seed=20240601))
    oi = market.fetch(Source.CRYPTO_OPEN_INTEREST, *calendar_window(SESSIONS[1]), ["BTCUSDT"])
    injected, labels = inject_oi_bursts(oi, 3, seed=7)
    assert labels["kind"].tolist() == ["oi_spoof"] * 3
    moved = injected["open_interest"] != oi["open_interest"]
    for start in labels["ts"]:
        mine = moved & (oi["ts"] >= start) & (oi["ts"] < start + pd.Timedelta(seconds=20))
        assert mine[oi["ts"] == start].all() and 1 <= mine.sum() <= 4
        share = (injected["open_interest"] / oi["open_interest"] - 1)[oi["ts"] == start].abs()
        assert ((share >= 0.0079) & (share <= 0.0251)).all()
    assert moved.sum() <= 12
    value = injected["open_interest"] * injected["mark_price"]
    assert np.allclose(injected["open_interest_value"], value)
    found = oi_bursts(oi_windows(injected))
    spoofs = found[found["kind"] == "oi_spoof"]
    assert sorted(spoofs["ts"]) == sorted(labels["ts"])


def test_the_detectors_find_what_was_injected_into_a_simulated_session(session_pair):
    ticks, levels = session_pair
    injected, traps = inject_traps(ticks, levels, 2, seed=11)
    injected, bursts = inject_size_bursts(injected, 2, seed=11, avoid=traps)
    bars = time_bars(injected, "1min", sessions=SESSIONS[1:])
    found = pd.concat([detect_traps(bars, levels), size_bursts(injected)], ignore_index=True)
    for label in pd.concat([traps, bursts]).itertuples(index=False):
        lag = (found["ts"] - label.ts).dt.total_seconds()
        hits = found[(found["kind"] == label.kind) & lag.between(-120, 300)]
        assert len(hits) == 1, label
    # nothing of those kinds in the same session left clean
    bars = time_bars(ticks, "1min", sessions=SESSIONS[1:])
    for clean in (detect_traps(bars, levels), size_bursts(ticks)):
        assert not clean["kind"].isin(["bull_trap", "bear_trap", "size_spoof"]).any()
