"""Tier 3: dark pool, options flow, news and open interest on tiny hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.metadata_tiers import TIER3_COLUMNS, tier3_context
from vvv_pipeline_tests.metadata_tiers.frames import (
    DAY,
    darkpool,
    equity,
    news,
    open_interest,
    options,
)


def frames() -> dict[str, pd.DataFrame]:
    return {
        "equity_ticks": equity([-60, 5, 10], [100.0, 100.0, 100.0], [999, 200, 400]),
        # +10 bps on 300 shares, -10 bps on 100 shares -> (3000 - 1000) / 400 = 5 bps
        "darkpool": darkpool(
            ["AAA", "AAA"], [20, 30], [100.10, 49.95], [300, 100], [99.99, 49.99], [100.01, 50.01]
        ),
        "options": options(
            ["AAA", "AAA", "AAA", "BBB"],
            [1, 2, 3, 4],
            ["call", "call", "put", "call"],
            [1000.0, 2000.0, 1500.0, 700.0],
            [False, True, True, False],
        ),
        # the last headline is on the next New York day (02:10 local on the 26th): excluded
        "news": news(
            ["AAA", "AAA", "AAA", "AAA", "AAA"],
            [100, 200, 300, 400, 60_000],
            ["positive", "positive", "negative", "neutral", "positive"],
            [0.8, 0.4, -0.6, 0.0, 1.0],
        ),
        "open_interest": open_interest(
            ["BTCUSDT"] * 4, [-60_000, 0, 5, 10], [1.0, 100.0, 105.0, 110.0]
        ),
    }


def test_all_sources() -> None:
    out = tier3_context(DAY, **frames())
    assert list(out.columns) == list(TIER3_COLUMNS)
    assert list(out["symbol"]) == ["AAA", "BBB", "BTCUSDT"]
    assert (out["date"] == pd.Timestamp(DAY)).all()
    aaa, bbb, btc = (out.iloc[i] for i in range(3))
    assert aaa["lit_volume"] == 600  # the pre-market print is outside the session
    assert aaa["dark_volume"] == 400
    assert aaa["dark_share"] == pytest.approx(0.4)
    assert aaa["dark_print_count"] == 2
    assert aaa["dark_premium_bps"] == pytest.approx(5.0)
    assert aaa["call_premium"] == 3000 and aaa["put_premium"] == 1500
    assert aaa["put_call_premium_ratio"] == pytest.approx(0.5)
    assert (aaa["call_alerts"], aaa["put_alerts"], aaa["sweep_alerts"]) == (2, 1, 2)
    assert aaa["news_count"] == 4
    assert (aaa["news_positive"], aaa["news_negative"]) == (2, 1)
    assert aaa["sentiment_balance"] == pytest.approx(0.25)
    assert aaa["sentiment_mean"] == pytest.approx(0.15)
    assert bbb["put_call_premium_ratio"] == 0.0
    assert bbb["news_count"] == 0 and np.isnan(bbb["sentiment_balance"])
    assert btc["oi_first"] == 100 and btc["oi_last"] == 110
    assert btc["oi_change"] == pytest.approx(10.0)
    assert btc["oi_change_pct"] == pytest.approx(10.0)
    assert np.isnan(aaa["oi_change"])


def test_missing_sources_leave_nan() -> None:
    out = tier3_context(DAY, news=frames()["news"])
    assert list(out["symbol"]) == ["AAA"]
    row = out.iloc[0]
    assert row["news_count"] == 4
    for name in ("lit_volume", "dark_share", "call_alerts", "put_call_premium_ratio", "oi_change"):
        assert np.isnan(row[name]), name


def test_dark_only_symbol_has_full_share() -> None:
    dark = darkpool(["CCC"], [1], [10.0], [50], [9.99], [10.01])
    out = tier3_context(DAY, equity_ticks=frames()["equity_ticks"], darkpool=dark)
    assert out.set_index("symbol")["dark_share"].to_dict() == {"AAA": 0.0, "CCC": 1.0}
    assert out.set_index("symbol").loc["CCC", "dark_premium_bps"] == pytest.approx(0.0)


def test_non_session_day_skips_equity_but_keeps_calendar_sources() -> None:
    day = "2025-11-27"  # Thanksgiving: no session, news and OI still have a calendar day
    base = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
    oi = open_interest(["BTCUSDT", "BTCUSDT"], [0, 60], [50.0, 40.0])
    oi["ts"] = pd.DatetimeIndex([base, base + pd.Timedelta(hours=1)])
    out = tier3_context(day, equity_ticks=frames()["equity_ticks"], open_interest=oi)
    assert list(out["symbol"]) == ["BTCUSDT"]
    assert out["oi_change_pct"].iloc[0] == pytest.approx(-20.0)
    assert np.isnan(out["lit_volume"].iloc[0])


def test_nothing_passed_gives_empty_frame() -> None:
    out = tier3_context(DAY)
    assert len(out) == 0 and list(out.columns) == list(TIER3_COLUMNS)
