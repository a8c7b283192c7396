"""Tick-scale units are stacked as columns into one frame per fetch: the same frame as one
pandas frame per unit, concatenated (the path a fault still takes).

A fault on another symbol sends every unit of a source through the frame-per-unit path without
changing its rows, so the two markets' fetches must be identical, clipped windows included.
"""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.providers.simulated import Fault, SimulatedMarket, SimulationConfig
from vvv_pipeline_tests.providers.simkit import universe

CASES = [
    ("equity_ticks", "SPY", ["QQQ", "AAPL", "TSLA"], "2025-11-19 00:00", "2025-11-21 00:00"),
    ("equity_ticks", "SPY", ["QQQ", "AAPL"], "2025-11-20 15:10", "2025-11-20 16:40"),
    ("crypto_trades", "BTCUSDT", ["ETHUSDT", "SOLUSDT"], "2025-11-20 13:20", "2025-11-20 16:05"),
    ("crypto_open_interest", "BTCUSDT", ["ETHUSDT"], "2025-11-20 13:00", "2025-11-20 15:00"),
]


@pytest.mark.parametrize(("source", "faulted", "symbols", "start", "end"), CASES)
def test_columns_path_equals_frame_per_unit_path(source, faulted, symbols, start, end):
    window = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    plain = SimulatedMarket(SimulationConfig(), universe())
    elsewhere = SimulatedMarket(
        SimulationConfig(faults=(Fault("nan_price", source, symbol=faulted),)), universe()
    )
    columns = plain.fetch(source, *window, symbols)
    frames = elsewhere.fetch(source, *window, symbols)
    assert len(columns) > 1000
    pd.testing.assert_frame_equal(columns, frames, check_exact=True)
