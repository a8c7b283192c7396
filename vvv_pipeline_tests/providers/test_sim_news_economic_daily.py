"""News days, economic release calendars and daily bars that agree with the ticks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import is_session, sessions_between
from vvv_pipeline.providers.simulated import SimulationConfig
from vvv_pipeline.schemas import NEWS_SOURCES
from vvv_pipeline_tests.providers.simkit import (
    NY,
    SEED,
    WEEK,
    assert_canonical,
    day_window,
    market,
    session_key,
    universe,
)

DAILY = ["SPY", "AAPL", "MSFT", "NVDA", "EURUSD=X", "GC=F"]


@pytest.fixture(scope="module")
def news() -> pd.DataFrame:
    return market().fetch(
        "news_headlines", *day_window("2024-06-03", "2024-06-16"), universe().equities
    )


@pytest.fixture(scope="module")
def economic() -> pd.DataFrame:
    series = list(universe().economic)
    return market().fetch("economic_series", *day_window("2024-01-01", "2024-12-31"), series)


def test_news_volume_per_day_and_weekend_lull(news: pd.DataFrame) -> None:
    assert_canonical(news, "news_headlines")
    per_day = news.groupby(session_key(news["ts"]))["headline_id"].nunique()
    assert len(per_day) == 14
    weekend = pd.to_datetime(per_day.index).dayofweek >= 5
    assert per_day[~weekend].between(15, 40).all()
    assert per_day[weekend].between(5, 12).all()
    assert per_day[weekend].mean() < per_day[~weekend].mean()
    hours = news["ts"].dt.tz_convert(NY).dt.hour
    assert hours.min() < 6 and hours.max() > 18  # any time of day


def test_a_headline_is_one_row_per_ticker_with_shared_fields(news: pd.DataFrame) -> None:
    groups = news.groupby("headline_id")
    assert groups.size().between(1, 2).all() and (groups.size() == 2).any()
    shared = groups[["ts", "headline", "sentiment_score", "is_major"]].nunique()
    assert (shared == 1).all().all()
    assert (groups["symbol"].nunique() == groups.size()).all()
    assert not news.duplicated(["headline_id", "symbol"]).any()
    assert set(news["symbol"].astype(str)) <= set(universe().equities)
    assert set(news["source"].astype(str)) <= set(NEWS_SOURCES)
    first = news.groupby("headline_id").first()
    assert first.apply(lambda r: r["symbol"] in r["headline"], axis=1).mean() > 0.5


def test_sentiment_label_follows_the_score(news: pd.DataFrame) -> None:
    score = news["sentiment_score"]
    assert score.between(-1, 1).all()
    expected = np.where(score < -0.2, "negative", np.where(score > 0.2, "positive", "neutral"))
    assert (news["sentiment"].astype(str) == expected).all()
    assert set(expected) == {"negative", "neutral", "positive"}
    bullish = news["headline"].str.contains("beats|upgrade|raises full-year")
    assert (news.loc[bullish, "sentiment_score"] > 0.2).mean() > 0.9


def test_news_for_one_ticker_is_a_subset_of_all(news: pd.DataFrame) -> None:
    mine = market().fetch("news_headlines", *day_window("2024-06-03", "2024-06-16"), ["NVDA"])
    expected = news[news["symbol"] == "NVDA"].reset_index(drop=True)
    pd.testing.assert_series_equal(mine["headline_id"], expected["headline_id"])


def test_daily_series_publish_every_session_at_16_15(economic: pd.DataFrame) -> None:
    assert_canonical(economic, "economic_series")
    sessions = sessions_between("2024-01-01", "2024-12-31")
    for series in ("DGS10", "DGS2"):
        rows = economic[economic["symbol"] == series]
        assert list(rows["observation_date"]) == list(sessions)
        local = rows["ts"].dt.tz_convert(NY)
        assert (local.dt.strftime("%H:%M") == "16:15").all()
        assert (local.dt.normalize().dt.tz_localize(None) == rows["observation_date"]).all()
        assert (rows["frequency"] == "daily").all()
        assert rows["value"].between(0.3, 9).all() and rows["value"].diff().abs().max() < 0.5


def test_monthly_series_publish_once_a_month_for_the_previous_month(
    economic: pd.DataFrame,
) -> None:
    for series, clock in (("CPIAUCSL", "08:30"), ("UNRATE", "08:30"), ("FEDFUNDS", "16:15")):
        rows = economic[economic["symbol"] == series]
        local = rows["ts"].dt.tz_convert(NY)
        assert len(rows) == 12 and local.dt.month.tolist() == list(range(1, 13))
        assert (local.dt.strftime("%H:%M") == clock).all()
        assert (rows["frequency"] == "monthly").all()
        expected = pd.date_range("2023-12-01", "2024-11-01", freq="MS")
        assert list(rows["observation_date"]) == list(expected)
        assert all(is_session(day) for day in local.dt.tz_localize(None).dt.normalize())
    cpi = economic[economic["symbol"] == "CPIAUCSL"]
    assert (cpi["ts"].dt.tz_convert(NY).dt.day >= 12).all()
    assert cpi["value"].between(250, 400).all() and cpi["value"].iloc[-1] > cpi["value"].iloc[0]
    jobs = economic[economic["symbol"] == "UNRATE"]["ts"].dt.tz_convert(NY)
    assert (jobs.dt.day <= 7).all() and (jobs.dt.dayofweek == 4).all()
    fed = economic[economic["symbol"] == "FEDFUNDS"]
    first_sessions = [
        sessions_between(f"2024-{m:02d}-01", f"2024-{m:02d}-10")[0] for m in range(1, 13)
    ]
    assert list(fed["ts"].dt.tz_convert(NY).dt.tz_localize(None).dt.normalize()) == first_sessions
    steps = np.round((fed["value"] - 0.08) / 0.25, 6)
    assert np.allclose(steps, np.round(steps))
    assert economic[economic["symbol"] == "UNRATE"]["value"].between(3, 10).all()


def test_unemployment_moves_before_a_holiday_friday() -> None:
    rows = market().fetch("economic_series", *day_window("2026-06-28", "2026-07-05"), ["UNRATE"])
    assert rows["ts"].dt.tz_convert(NY).dt.strftime("%Y-%m-%d").tolist() == ["2026-07-02"]


@pytest.mark.parametrize("ticks", [500, 1_700])
def test_daily_bars_are_exactly_the_tick_aggregate(ticks: int) -> None:
    sim = market(SimulationConfig(seed=SEED, ticks_per_session=ticks))
    lo, hi = day_window(WEEK[0], WEEK[-1])
    bars = sim.fetch("daily_ohlcv", lo, hi, DAILY)
    assert_canonical(bars, "daily_ohlcv")
    equities = [s for s in DAILY if universe().daily_ohlcv[s] == "equity"]
    tape = sim.fetch("equity_ticks", lo, hi, equities)
    grouped = tape.groupby(["symbol", session_key(tape["ts"])], observed=True)
    agg = grouped.agg(
        open=("price", "first"),
        high=("price", "max"),
        low=("price", "min"),
        close=("price", "last"),
        volume=("size", "sum"),
    )
    mine = bars[bars["asset_class"] == "equity"].copy()
    mine["day"] = session_key(mine["ts"])
    mine = mine.set_index([mine["symbol"].astype(str), "day"])[agg.columns]
    agg.index = agg.index.set_levels(agg.index.levels[0].astype(str), level=0)
    pd.testing.assert_frame_equal(
        mine.sort_index(), agg.astype({"volume": "float64"}).sort_index(), check_names=False
    )


def test_daily_bars_cover_each_session_at_new_york_midnight() -> None:
    lo, hi = day_window("2024-03-01", "2024-03-31")  # DST starts 2024-03-10
    bars = market().fetch("daily_ohlcv", lo, hi, ["EURUSD=X", "GC=F", "SPY"])
    sessions = sessions_between("2024-03-01", "2024-03-31")
    for _, rows in bars.groupby("symbol", observed=True):
        local = rows["ts"].dt.tz_convert(NY)
        assert (local.dt.strftime("%H:%M") == "00:00").all()
        assert list(local.dt.tz_localize(None)) == list(sessions)
    utc_hours = set(bars["ts"].dt.hour)
    assert utc_hours == {4, 5}


def test_fx_and_commodity_bars_are_consistent() -> None:
    lo, hi = day_window("2024-01-02", "2024-06-28")
    bars = market().fetch("daily_ohlcv", lo, hi, ["EURUSD=X", "GC=F"])
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    fx = bars[bars["symbol"] == "EURUSD=X"]
    gold = bars[bars["symbol"] == "GC=F"]
    assert (fx["asset_class"] == "fx").all() and (fx["volume"] == 0).all()
    assert (gold["asset_class"] == "commodity").all() and (gold["volume"] > 0).all()
    assert fx["close"].between(0.8, 1.5).all() and gold["close"].between(1_200, 3_500).all()
    gaps = np.abs(np.log(fx["open"].to_numpy()[1:] / fx["close"].to_numpy()[:-1]))
    assert gaps.max() < 0.03
