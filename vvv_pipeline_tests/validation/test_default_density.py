"""No false alarms at the density `vvv-pipeline run` uses (the other tests use sparse data)."""

import pandas as pd
import pytest

from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.gate import validate_partition

HOURS = pd.date_range("2026-11-16 05:00", periods=24, freq="h", tz="UTC")
SESSIONS = ["2026-11-16", "2026-11-17", "2026-11-18"]


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(SimulationConfig(), load_universe())


@pytest.mark.parametrize("source", ["crypto_trades", "crypto_open_interest"])
def test_a_default_density_day_of_crypto_passes_every_tier(market, source):
    symbols = list(load_universe().crypto)
    for start in HOURS:
        window = (start, start + pd.Timedelta(hours=1))
        frame = market.fetch(source, *window, symbols)
        outcomes = validate_partition(frame, source, window, symbols).outcomes
        assert [o.summary for o in outcomes if not o.passed] == [], (source, start)


@pytest.mark.parametrize("source", ["equity_ticks", "darkpool_prints", "options_flow"])
def test_default_density_sessions_pass_every_tier(market, source):
    symbols = list(load_universe().equities)
    for day in SESSIONS:
        start = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
        window = (start, start + pd.Timedelta(days=1))
        frame = market.fetch(source, *window, symbols)
        outcomes = validate_partition(frame, source, window, symbols).outcomes
        assert [o.summary for o in outcomes if not o.passed] == [], (source, day)
