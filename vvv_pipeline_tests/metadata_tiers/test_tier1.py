"""Tier 1: a 5-trade session by hand, early close, crypto calendar days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.metadata_tiers import TIER1_COLUMNS, markdown, tier1_summary
from vvv_pipeline_tests.metadata_tiers.frames import DAY, crypto, equity

# (seconds after the open, price, size, bid, ask); the first row is pre-market (ignored)
TRADES = [
    (-600, 90.0, 5000, 89.99, 90.01),
    (30, 100.0, 100, 99.99, 100.01),  # minute 0, 2 bps
    (70, 102.0, 200, 102.0, 102.0),  # minute 1, locked: 0 bps
    (110, 99.0, 100, 99.01, 98.99),  # minute 1, crossed: -0.02 / 99 x 1e4
    (600, 101.0, 300, 100.99, 101.01),  # minute 10, 0.02 / 101 x 1e4
    (23399, 100.5, 300, 100.49, 100.51),  # minute 389 (last of the session)
]


def five_trades() -> pd.DataFrame:
    offsets, prices, sizes, bids, asks = zip(*TRADES, strict=True)
    return equity(offsets, prices, sizes, bid=bids, ask=asks)


def test_five_trade_session() -> None:
    out = tier1_summary(five_trades(), "equity_ticks", DAY)
    assert list(out.columns) == list(TIER1_COLUMNS)
    row = out.iloc[0]
    assert row["symbol"] == "AAA"
    assert row["date"] == pd.Timestamp(DAY)
    assert (row["open"], row["high"], row["low"], row["close"]) == (100.0, 102.0, 99.0, 100.5)
    assert row["volume"] == 1000
    assert row["trade_count"] == 5
    dollar = 10_000 + 20_400 + 9_900 + 30_300 + 30_150
    assert row["dollar_volume"] == pytest.approx(dollar)
    assert row["vwap"] == pytest.approx(100.75)
    assert row["window_minutes"] == 390
    assert row["active_minutes"] == 4  # minutes 0, 1, 10, 389
    assert row["coverage"] == pytest.approx(4 / 390)
    spreads = [0.02 / 100 * 1e4, 0.0, -0.02 / 99 * 1e4, 0.02 / 101 * 1e4, 0.02 / 100.5 * 1e4]
    assert row["spread_mean_bps"] == pytest.approx(np.mean(spreads))
    assert row["spread_median_bps"] == pytest.approx(0.02 / 101 * 1e4)
    assert row["locked_share"] == pytest.approx(0.2)
    assert row["crossed_share"] == pytest.approx(0.2)


def test_early_close_window_and_tz_naive_date() -> None:
    day = "2025-11-28"
    open_, close = session_bounds(day)
    ticks = equity([0, 1], [10.0, 11.0])
    ticks["ts"] = pd.DatetimeIndex([open_, close - pd.Timedelta(seconds=1)])
    ticks.loc[len(ticks)] = ticks.iloc[1]
    ticks.loc[len(ticks) - 1, "ts"] = close  # at the close: outside [open, close)
    out = tier1_summary(ticks, "equity_ticks", day)
    assert out["window_minutes"].iloc[0] == 210
    assert out["trade_count"].iloc[0] == 2
    assert out["coverage"].iloc[0] == pytest.approx(2 / 210)
    assert out["date"].dtype == "datetime64[ns]"


def test_crypto_calendar_day_and_no_quotes() -> None:
    midnight = pd.Timestamp("2025-11-25", tz="America/New_York").tz_convert("UTC")
    ts = [midnight - pd.Timedelta(seconds=1), midnight, midnight + pd.Timedelta(hours=23.99)]
    out = tier1_summary(crypto(ts, [1.0, 2.0, 4.0], [0.5, 1.0, 1.0]), "crypto_trades", DAY)
    row = out.iloc[0]
    assert (row["open"], row["close"], row["trade_count"]) == (2.0, 4.0, 2)
    assert row["vwap"] == pytest.approx(3.0)
    assert row["window_minutes"] == 1440
    assert row["coverage"] == pytest.approx(2 / 1440)
    assert np.isnan(row[["spread_mean_bps", "locked_share", "crossed_share"]].astype(float)).all()


def test_crypto_dst_day_has_25_hours() -> None:
    midnight = pd.Timestamp("2025-11-02", tz="America/New_York").tz_convert("UTC")
    out = tier1_summary(crypto([midnight], [1.0], [1.0]), "crypto_trades", "2025-11-02")
    assert out["window_minutes"].iloc[0] == 1500


def test_rejects_unknown_source_and_non_session() -> None:
    with pytest.raises(ValueError, match="source"):
        tier1_summary(five_trades(), "fx", DAY)
    with pytest.raises(ValueError, match="not an XNYS session"):
        tier1_summary(five_trades(), "equity_ticks", "2025-11-27")


def test_empty_and_markdown() -> None:
    out = tier1_summary(equity([], []), "equity_ticks", DAY)
    assert len(out) == 0 and list(out.columns) == list(TIER1_COLUMNS)
    table = markdown(TIER1_COLUMNS)
    assert table.count("\n") == len(TIER1_COLUMNS) + 1
    assert "`coverage`" in table
