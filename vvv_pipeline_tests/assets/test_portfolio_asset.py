"""equity_portfolio in the session job: stored rows, partition metadata and the report's part.

Reads the shared two-session store (``two_days_store``, every job run over 2025-11-24/25). Two
sessions give at most one daily return, so the risk columns are NaN; value, P&L, weights and
exposures are checked against the holdings file and the closes the asset reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.analytics.adjustment import adjusted_history
from vvv_pipeline.defs.assets.frames_io import read_bars, with_date
from vvv_pipeline.portfolio_holdings import load_holdings
from vvv_pipeline.storage.derived import PORTFOLIO, DerivedStore
from vvv_pipeline.storage.warehouse_tables import read_source


def _stored(series: str) -> pd.DataFrame:
    frame = DerivedStore(settings.arctic_uri()).read(PORTFOLIO, [series])
    return with_date(frame.drop(columns="key"))


def test_the_portfolio_is_stored_per_session_with_its_positions(two_days_store):
    holdings = load_holdings()
    sessions = pd.to_datetime(two_days_store.days)
    summary = _stored("portfolio")
    positions = _stored("portfolio/positions")
    assert summary["date"].tolist() == list(sessions)
    assert len(positions) == len(holdings.positions) * len(sessions)
    # the closes the asset reads: daily_ohlcv's adjusted closes, else the 1d bars
    symbols = list(holdings.symbols)
    start, end = pd.Timestamp("2025-11-01", tz="UTC"), pd.Timestamp("2025-11-27", tz="UTC")
    daily = read_source(settings.duckdb_path(), "daily_ohlcv", start, end)
    bars = read_bars(DerivedStore(settings.arctic_uri()), symbols, "1d", start, end)
    closes = adjusted_history(bars, daily[daily["symbol"].astype(str).isin(symbols)])
    closes["date"] = pd.to_datetime(closes["date"]).dt.tz_convert("America/New_York")
    closes["date"] = closes["date"].dt.tz_localize(None).dt.normalize()
    price = closes.set_index(["date", "symbol"])["adj_close"]
    for session, row in summary.set_index("date").iterrows():
        mine = positions[positions["date"] == session].set_index("symbol")
        assert list(mine.index) == symbols
        for p in holdings.positions:
            close = price[(session, p.symbol)]
            assert mine.loc[p.symbol, "close"] == pytest.approx(close, rel=1e-12)
            assert mine.loc[p.symbol, "market_value"] == pytest.approx(p.quantity * close)
            assert mine.loc[p.symbol, "pnl_total"] == pytest.approx(
                p.quantity * (close - p.cost_basis)
            )
        value = holdings.cash + mine["market_value"].sum()
        assert row["total_value"] == pytest.approx(value) and row["cash"] == holdings.cash
        assert row["pnl_total"] == pytest.approx(mine["pnl_total"].sum())
        assert mine["weight"].sum() + holdings.cash / value == pytest.approx(1.0)
        assert row["short_exposure"] == pytest.approx(-mine["market_value"].clip(upper=0).sum())
        assert pd.isna(row["var_95"])  # one daily return: VaR needs 20
    first, second = summary["total_value"].tolist()
    assert summary["pnl_day"].iloc[1] == pytest.approx(second - first)
    assert pd.isna(summary["pnl_day"].iloc[0])  # no close before the first stored session


def test_materializations_carry_the_partition_numbers_and_the_report_shows_it(two_days_store):
    events = [
        e
        for e in two_days_store.session_run.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "equity_portfolio"
    ]
    assert sorted(e.partition for e in events) == two_days_store.days
    summary = _stored("portfolio").set_index("date")
    for event in events:
        metadata = event.materialization.metadata
        expected = summary.loc[pd.Timestamp(event.partition), "total_value"]
        assert metadata["total_value"].value == pytest.approx(round(expected, 2))
        assert metadata["var_95_value"].value == "n/a"  # too short a history
        assert metadata["dagster/row_count"].value == 1 + len(load_holdings().positions)
    reports = [
        e
        for e in two_days_store.session_run.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "daily_report"
    ]
    for event in reports:
        metadata = event.materialization.metadata
        assert "- Portfolio: value " in metadata["summary"].value
        page = Path(metadata["report"].value).read_text(encoding="utf-8")
        assert 'id="portfolio"' in page and 'id="portfolio-risk"' in page
        assert "VaR needs at least 20 daily returns" in page
