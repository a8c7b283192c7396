"""Event bars, 5-second OI windows and the crypto/tier-3 metadata assets, end to end."""

import numpy as np
import pandas as pd

from vvv_pipeline.bars.partition_events import history_thresholds
from vvv_pipeline.read import load_bars, load_event_bars, load_series, load_tier
from vvv_pipeline.storage.derived import TIME_BARS
from vvv_pipeline_tests.assets.helpers import stored_table, stored_ticks
from vvv_pipeline_tests.assets.test_derived import EQUITIES, _run, _span
from vvv_pipeline_tests.conftest import WEEK

CRYPTO = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
TWO_DAYS = ["2025-11-24", "2025-11-25"]
EVENT_BARS = ("equity_ticks", "equity_time_bars", "equity_event_bars")
"""The assets the volume-bar test reads and their inputs, not the whole job (the analytics, the
report); the tests of :data:`TWO_DAYS` read the shared ``two_days_store`` (assets/conftest.py)."""


def _hours(days: list[str]) -> tuple[str, str]:
    start, end = _span(days)
    return start.strftime("%Y-%m-%d-%H:%M"), (end - pd.Timedelta(hours=1)).strftime(
        "%Y-%m-%d-%H:%M"
    )


def _hour_keys(days: list[str]) -> list[str]:
    """The UTC-hour partition keys of the New York ``days``."""
    first, last = _span(days)
    hours = pd.date_range(first, last - pd.Timedelta(hours=1), freq="h")
    return [h.strftime("%Y-%m-%d-%H:%M") for h in hours]


def test_volume_bars_conserve_volume_and_fill_exactly_their_history_threshold(data_dir, instance):
    _run("session_sources_job", WEEK[:3], instance, assets=EVENT_BARS)
    ticks = stored_ticks("equity_ticks", WEEK[:3])
    bars = load_event_bars(EQUITIES, "volume", *_span(WEEK[:3]))
    daily = load_bars(EQUITIES, "1d", *_span(WEEK[:3]))
    for day in WEEK[:3]:
        start, end = _span([day])
        mine = bars[(bars["ts"] >= start) & (bars["ts"] < end)]
        traded = ticks[(ticks["ts"] >= start) & (ticks["ts"] < end)]
        by_symbol = traded.groupby(traded["symbol"].astype(str), observed=True)["size"].sum()
        assert sorted(by_symbol.index) == sorted(EQUITIES), day  # every equity traded that day
        assert (mine.groupby("symbol").size() > 1).all() and len(mine) > 0, day
        assert mine.groupby("symbol")["volume"].sum().to_dict() == by_symbol.to_dict()
        complete = mine[mine["complete"]]
        assert (complete["volume"] == complete["threshold"]).all()
        assert (mine.groupby("symbol")["complete"].apply(lambda c: (~c).sum()) <= 1).all()
        # the threshold is the mean daily volume of the earlier days / 50 (own day on the first)
        earlier = daily[daily["ts"] < start] if day != WEEK[0] else daily[daily["ts"] >= start]
        earlier = earlier[earlier["ts"] < end]
        want = np.maximum(np.round(earlier.groupby("symbol")["volume"].mean() / 50), 1)
        got = complete.groupby("symbol")["threshold"].first()
        assert sorted(got.index) == sorted(EQUITIES), day  # each symbol completed a bar
        assert got.to_dict() == want.loc[got.index].to_dict()


def test_tick_and_imbalance_bars_cover_every_trade_once(two_days_store):
    assert two_days_store.days == TWO_DAYS
    ticks = stored_ticks("equity_ticks", TWO_DAYS)
    per_symbol = ticks.groupby(ticks["symbol"].astype(str), observed=True).size()
    assert sorted(per_symbol.index) == sorted(EQUITIES) and (per_symbol > 0).all()
    for kind in ("tick", "tick_imbalance"):  # trades are never split: each counts once
        bars = load_event_bars(EQUITIES, kind, *_span(TWO_DAYS))
        assert bars.groupby("symbol")["trade_count"].sum().to_dict() == per_symbol.to_dict(), kind
    dollars = load_event_bars(EQUITIES, "dollar", *_span(TWO_DAYS))
    traded = (ticks["price"] * ticks["size"]).groupby(ticks["symbol"].astype(str)).sum()
    got = dollars.groupby("symbol")["dollar_volume"].sum()
    np.testing.assert_allclose(got.to_numpy(), traded.loc[got.index].to_numpy(), rtol=1e-9)
    assert len(got) == len(EQUITIES) and (got > 0).all()
    tick_bars = load_event_bars(EQUITIES, "tick", *_span(TWO_DAYS))
    full = tick_bars[tick_bars["complete"]]
    assert len(full) > 0 and set(full["symbol"]) == set(EQUITIES)
    assert (full["trade_count"] == full["threshold"]).all()
    imbalance = load_event_bars(EQUITIES, "tick_imbalance", *_span(TWO_DAYS))
    # 1/sqrt(E0) seeding keeps bars near E0 ticks: neither one-tick bars nor one bar a day
    assert 5 < imbalance.groupby("symbol").size().median() / len(TWO_DAYS) < 200


def test_history_thresholds_fall_back_to_the_own_day_only_without_history():
    day = pd.Timestamp("2025-11-25", tz="UTC")
    history = pd.DataFrame(
        {
            "symbol": ["A", "A", "A", "B", "B"],
            "ts": [
                day - pd.Timedelta(days=2),
                day - pd.Timedelta(days=1),
                day,
                day,
                day + pd.Timedelta(days=1),
            ],
            "volume": [1000.0, 3000.0, 99_000.0, 500.0, 7_000.0],
            "vwap": [10.0, 10.0, 10.0, 20.0, 20.0],
            "trade_count": [100, 300, 9_900, 50, 700],
        }
    )
    window = (day, day + pd.Timedelta(days=1))
    thresholds, fallback = history_thresholds(history, window, {"volume": "volume"}, 50.0, 20)[
        "volume"
    ]
    # (1000 + 3000) / 2 / 50, and B's own day only (never the later one): 500 / 50
    assert thresholds.to_dict() == {"A": 40.0, "B": 10.0}
    assert list(fallback) == ["B"]


def test_oi_windows_and_per_bar_open_interest_continue_across_midnight(two_days_store):
    assert two_days_store.days == TWO_DAYS  # its crypto hours, then the calendar days
    windows = load_series(TIME_BARS, [f"{s}/oi_5s" for s in CRYPTO], *_span(TWO_DAYS))
    assert len(windows) == len(CRYPTO) * 2 * 24 * 720  # one window per 5 s, every pair
    second_day = windows[windows["ts"] == _span(TWO_DAYS[1:])[0]]
    assert len(second_day) == 3 and second_day["oi_change"].notna().all()
    bars = load_bars(CRYPTO, "1h", *_span(TWO_DAYS))
    assert len(bars) == len(CRYPTO) * 48
    assert bars["oi_close"].notna().all()
    # only the very first bar lacks an opening OI (nothing before it was collected); the
    # second day's first bar opens at the first day's last window
    first = bars["ts"] == bars["ts"].min()
    assert bars.loc[first, "oi_open"].isna().all() and bars.loc[~first, "oi_open"].notna().all()
    sol = windows[windows["key"] == "SOLUSDT/oi_5s"].set_index("ts")["open_interest"]
    noon = bars[(bars["symbol"] == "SOLUSDT")].iloc[12]
    end = noon["ts"] + pd.Timedelta(hours=1)
    assert noon["oi_close"] == sol[sol.index < end].iloc[-1]
    assert noon["oi_change"] == noon["oi_close"] - noon["oi_open"]
    for tier in (1, 2, 3):
        assert len(load_tier(tier, CRYPTO, *_span(TWO_DAYS))) == len(CRYPTO) * 2, tier
    events = load_event_bars(CRYPTO, "volume", *_span(TWO_DAYS))
    assert set(events["symbol"]) == set(CRYPTO)
    trades = stored_ticks("crypto_trades", _hour_keys(TWO_DAYS))
    assert len(trades) > 0
    np.testing.assert_allclose(events["volume"].sum(), trades["size"].sum(), rtol=1e-9)


def test_tier3_dark_share_matches_the_stored_prints_and_ticks(two_days_store):
    assert two_days_store.days == TWO_DAYS  # the day's news stored before its session ran
    tier3 = load_tier(3, EQUITIES, *_span(TWO_DAYS))
    assert len(tier3) == len(EQUITIES) * 2
    row = tier3[(tier3["symbol"] == "AAPL") & (tier3["ts"] == _span(TWO_DAYS[:1])[0])].iloc[0]
    prints = stored_table("darkpool_prints")
    ticks = stored_ticks("equity_ticks", TWO_DAYS[:1])
    open_, close = ticks["ts"].min(), ticks["ts"].max()
    dark = prints[(prints["symbol"] == "AAPL") & (prints["ts"] >= open_ - pd.Timedelta(minutes=1))]
    dark = dark[dark["ts"] < _span(TWO_DAYS[:1])[1]]
    lit = ticks.loc[ticks["symbol"].astype(str) == "AAPL", "size"].sum()
    assert row["lit_volume"] == lit > 0
    assert 0 < row["dark_volume"] <= dark["size"].sum()
    assert row["dark_share"] == row["dark_volume"] / (row["lit_volume"] + row["dark_volume"])
    news = stored_table("news_headlines")
    start, end = _span(TWO_DAYS[:1])
    aapl_news = news[(news["symbol"] == "AAPL") & (news["ts"] >= start) & (news["ts"] < end)]
    assert row["news_count"] == len(aapl_news) > 0
    assert close > open_
