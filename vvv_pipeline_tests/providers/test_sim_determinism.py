"""Every unit is a pure function of (seed, source, symbol, unit, scale, faults)."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.providers.simulated import SimulationConfig
from vvv_pipeline_tests.providers.simkit import (
    TINY,
    WEEK,
    assert_canonical,
    assert_sorted,
    day_window,
    hour_window,
    market,
)

# source -> (symbols, list of single-unit windows whose union is the multi-unit window)
HOURS = [hour_window(f"2024-06-04 {h:02d}:00") for h in range(21, 24)] + [
    hour_window(f"2024-06-05 {h:02d}:00") for h in range(2)
]
DAYS = [day_window(d) for d in WEEK]
MONTH_EDGE = [day_window(d) for d in pd.date_range("2024-05-29", "2024-06-14").strftime("%Y-%m-%d")]
CASES = {
    "equity_ticks": (["AAPL", "SPY"], DAYS),
    "darkpool_prints": (["MSFT", "NVDA"], DAYS),
    "options_flow": (["TSLA", "AAPL"], DAYS),
    "daily_ohlcv": (["SPY", "EURUSD=X", "GC=F"], DAYS),
    "news_headlines": (
        ["AAPL", "META", "JPM"],
        [day_window(d) for d in ["2024-06-07", "2024-06-08", "2024-06-09"]],
    ),
    "economic_series": (["DGS10", "CPIAUCSL", "UNRATE", "FEDFUNDS"], MONTH_EDGE),
    "crypto_trades": (["BTCUSDT", "SOLUSDT"], HOURS),
    "crypto_open_interest": (["ETHUSDT", "BTCUSDT"], HOURS),
}


@pytest.mark.parametrize("source", list(CASES))
def test_units_fetched_alone_equal_the_same_units_inside_a_longer_window(source: str) -> None:
    symbols, windows = CASES[source]
    together = market().fetch(source, windows[0][0], windows[-1][1], symbols)
    assert_canonical(together, source)
    assert_sorted(together)
    assert len(together) > 0
    fresh = market()
    alone = [fresh.fetch(source, lo, hi, symbols) for lo, hi in reversed(windows)]
    stitched = pd.concat([a for a in alone if len(a)], ignore_index=True)
    stitched["symbol"] = stitched["symbol"].astype(str)
    stitched = stitched.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
    expected = together.assign(symbol=together["symbol"].astype(str))
    pd.testing.assert_frame_equal(stitched, expected)


@pytest.mark.parametrize("source", list(CASES))
def test_same_call_twice_is_identical(source: str) -> None:
    symbols, windows = CASES[source]
    first = market().fetch(source, windows[0][0], windows[-1][1], symbols)
    second = market().fetch(source, windows[0][0], windows[-1][1], symbols)
    pd.testing.assert_frame_equal(first, second)


def test_a_symbol_does_not_depend_on_the_other_symbols_requested() -> None:
    lo, hi = day_window(WEEK[1])
    everyone = market().fetch("equity_ticks", lo, hi, market().universe.equities)
    alone = market().fetch("equity_ticks", lo, hi, ["GOOGL"])
    mine = everyone[everyone["symbol"] == "GOOGL"].reset_index(drop=True)
    pd.testing.assert_series_equal(mine["price"], alone["price"])
    pd.testing.assert_series_equal(mine["trade_id"], alone["trade_id"])


@pytest.mark.parametrize(
    ("source", "symbol"),
    [
        ("equity_ticks", "AAPL"),
        ("crypto_trades", "BTCUSDT"),
        ("news_headlines", "AAPL"),
        ("economic_series", "DGS10"),
    ],
)
def test_different_seeds_give_different_data(source: str, symbol: str) -> None:
    lo, hi = day_window(WEEK[2])
    a = market().fetch(source, lo, hi, [symbol])
    other = SimulationConfig(seed=TINY.seed + 1, ticks_per_session=500, crypto_trades_per_hour=120)
    b = market(other).fetch(source, lo, hi, [symbol])
    assert len(a) and len(b)
    column = {"news_headlines": "headline_id", "economic_series": "value"}.get(source, "price")
    assert list(a[column]) != list(b[column])


def test_scale_changes_counts_but_not_the_price_path() -> None:
    lo, hi = day_window(WEEK[0])
    small = market().fetch("equity_ticks", lo, hi, ["AAPL"])
    big = market(SimulationConfig(seed=TINY.seed, ticks_per_session=2_000)).fetch(
        "equity_ticks", lo, hi, ["AAPL"]
    )
    assert (len(small), len(big)) == (500, 2_000)
    assert small["price"].median() == pytest.approx(big["price"].median(), rel=0.02)
    prints = market().fetch("darkpool_prints", lo, hi, ["AAPL"])
    bigger = market(SimulationConfig(seed=TINY.seed, ticks_per_session=2_000))
    pd.testing.assert_frame_equal(prints, bigger.fetch("darkpool_prints", lo, hi, ["AAPL"]))
