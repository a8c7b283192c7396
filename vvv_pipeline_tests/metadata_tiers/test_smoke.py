"""Smoke test of all tiers on simulated data: shapes and sane ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.metadata_tiers import (
    TIER1_COLUMNS,
    TIER2_COLUMNS,
    TIER3_COLUMNS,
    tier1_summary,
    tier2_microstructure,
    tier3_context,
)
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig

DAY = "2025-11-25"
EQUITIES = ["AAPL", "MSFT", "SPY"]
CRYPTO = ["BTCUSDT", "ETHUSDT"]


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    sim = SimulatedMarket(SimulationConfig(ticks_per_session=2000, crypto_trades_per_hour=300))
    start = session_bounds(DAY)[0] - pd.Timedelta(hours=10)
    end = start + pd.Timedelta(days=1, hours=6)
    out = {
        src: sim.fetch(src, start, end, EQUITIES)
        for src in ("equity_ticks", "darkpool_prints", "options_flow", "news_headlines")
    }
    for src in ("crypto_trades", "crypto_open_interest"):
        out[src] = sim.fetch(src, start, end, CRYPTO)
    return out


@pytest.mark.parametrize(
    ("source", "symbols"), [("equity_ticks", EQUITIES), ("crypto_trades", CRYPTO)]
)
def test_tier1_and_tier2_sane(market, source, symbols) -> None:
    t1 = tier1_summary(market[source], source, DAY)
    t2 = tier2_microstructure(market[source], source, DAY)
    for out, columns in ((t1, TIER1_COLUMNS), (t2, TIER2_COLUMNS)):
        assert list(out.columns) == list(columns)
        assert list(out["symbol"]) == symbols
        assert (out["date"] == pd.Timestamp(DAY)).all()
    ohlc = t1[["open", "high", "low", "close", "vwap"]]
    assert not ohlc.isna().any().any()
    assert (t1["low"] <= t1[["open", "close", "vwap"]].min(axis=1)).all()
    assert (t1["high"] >= t1[["open", "close", "vwap"]].max(axis=1)).all()
    assert ((t1["coverage"] > 0) & (t1["coverage"] <= 1)).all()
    assert (t1["trade_count"] > 0).all()
    if source == "equity_ticks":
        assert (t1["spread_mean_bps"] > 0).all()
        assert t1[["locked_share", "crossed_share"]].le(1).all().all()
    assert (t2["realized_variance"] > 0).all()
    assert (t2["bipower_variation"] > 0).all()
    assert (t2["amihud"] > 0).all()
    assert np.isfinite(t2["kyle_lambda"]).all()
    assert t2["order_flow_imbalance"].between(-1, 1).all()
    assert (t2["size_p50"] <= t2["size_p90"]).all() and (t2["size_p90"] <= t2["size_p99"]).all()
    assert ((t2["buy_volume"] + t2["sell_volume"]) <= t1["volume"] + 1e-9).all()


def test_tier3_sane(market) -> None:
    out = tier3_context(
        DAY,
        equity_ticks=market["equity_ticks"],
        darkpool=market["darkpool_prints"],
        options=market["options_flow"],
        news=market["news_headlines"],
        open_interest=market["crypto_open_interest"],
    )
    assert list(out.columns) == list(TIER3_COLUMNS)
    eq = out.set_index("symbol").loc[EQUITIES]
    assert eq["dark_share"].between(0, 1).all()
    assert eq["dark_premium_bps"].abs().lt(1e4).all()
    assert (eq["lit_volume"] > 0).all()
    counts = eq[["call_alerts", "put_alerts", "sweep_alerts", "news_count"]]
    assert (counts >= 0).all().all()
    assert eq["sentiment_balance"].dropna().between(-1, 1).all()
    oi = out.set_index("symbol").loc[CRYPTO]
    assert np.isfinite(oi["oi_change_pct"]).all()
    assert (oi["oi_first"] > 0).all()
