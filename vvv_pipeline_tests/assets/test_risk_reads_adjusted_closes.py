"""equity_risk's computation reads daily_ohlcv's adjusted closes from the warehouse.

The 1d bars from ticks are as traded: AAA's 2-for-1 split reads as a 49.5 % one-day loss
there. The warehouse's daily_ohlcv holds AAA's adjusted closes (a steady 1 % a day), which
risk must use; BBB has no daily rows, so its bars are used as they are.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.defs.assets import analytics
from vvv_pipeline.storage.warehouse_tables import insert_rows
from vvv_pipeline_tests.daily_rows import daily_ohlcv_rows

DAYS = pd.bdate_range("2025-01-02", periods=22)
TS = DAYS.tz_localize("America/New_York").tz_convert("UTC")
LAST = DAYS[-1].strftime("%Y-%m-%d")
WINDOW = (TS[-1], TS[-1] + pd.Timedelta(days=1))


def _as_traded() -> pd.DataFrame:
    """AAA: 100 x 1.01^t, halved on the last day (the split); BBB: 50 x 1.02^t."""
    aaa = 100.0 * 1.01 ** np.arange(22)
    aaa[-1] /= 2.0
    bbb = 50.0 * 1.02 ** np.arange(22)
    return pd.DataFrame(
        {
            "symbol": ["AAA"] * 22 + ["BBB"] * 22,
            "ts": [*TS, *TS],
            "close": [*aaa, *bbb],
        }
    )


def _daily() -> pd.DataFrame:
    """AAA's daily_ohlcv rows: Yahoo-style, split-adjusted, 1 % a day, split on the last day."""
    close = 50.0 * 1.01 ** np.arange(22)
    split = np.ones(22)
    split[-1] = 2.0
    return daily_ohlcv_rows(TS, "AAA", close, 0.0, split, close)


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> str:
    path = str(tmp_path / "warehouse.duckdb")
    monkeypatch.setattr(analytics.settings, "duckdb_path", lambda: path)
    bars = _as_traded()
    monkeypatch.setattr(
        analytics, "read_bars", lambda _derived, symbols, *_: bars[bars["symbol"].isin(symbols)]
    )
    return path


def _risk() -> dict[str, pd.Series]:
    out = analytics._risk(None, ["AAA", "BBB"], [LAST], WINDOW)
    return {symbol: frame.iloc[0] for symbol, frame in out.items()}


def test_without_a_warehouse_the_split_reads_as_a_crash(warehouse: str) -> None:
    risk = _risk()
    assert risk["AAA"]["max_drawdown"] == pytest.approx(0.495, rel=1e-9)


def test_with_daily_ohlcv_risk_uses_the_adjusted_closes(warehouse: str) -> None:
    with duckdb.connect(warehouse) as con:
        insert_rows(con, "sources.daily_ohlcv", _daily())
    risk = _risk()
    assert risk["AAA"]["max_drawdown"] == pytest.approx(0.0, abs=1e-12)
    assert risk["AAA"]["var_99"] == pytest.approx(-0.01, rel=1e-6)  # worst day: +1 %
    # BBB has no daily rows: its as-traded bars (2 % a day) are used
    assert risk["BBB"]["var_99"] == pytest.approx(-0.02, rel=1e-6)
