"""Clean simulated data passes every tier, tier 1 included, through the same gate the assets use:
20 consecutive sessions (and the early close after Thanksgiving) and 48 consecutive crypto hours."""

import pandas as pd
import pytest

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.gate import validate_partition

SESSIONS = [d.strftime("%Y-%m-%d") for d in sessions_between("2025-10-27", "2025-11-28")]
HOURS = pd.date_range("2025-11-24 00:00", periods=48, freq="h", tz="UTC")


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(SimulationConfig(ticks_per_session=2_000, crypto_trades_per_hour=300))


def test_the_session_list_is_long_enough():
    assert len(SESSIONS) >= 21 and "2025-11-28" in SESSIONS and "2025-11-27" not in SESSIONS


@pytest.mark.parametrize(
    "source", ["equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv"]
)
def test_clean_sessions_pass_every_tier(market, source):
    universe = load_universe()
    symbols = list(universe.daily_ohlcv if source == "daily_ohlcv" else universe.equities)
    for day in SESSIONS:
        start = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
        window = (start, start + pd.Timedelta(days=1))
        frame = market.fetch(source, *window, symbols)
        assert len(frame) > 0, (source, day)  # an empty feed would pass every tier
        if source in ("equity_ticks", "daily_ohlcv"):
            assert set(frame["symbol"].astype(str)) == set(symbols), (source, day)
        result = validate_partition(frame, source, window, symbols)
        assert len(result.rejected) == 0, (source, day)
        assert len(result.clean) == len(frame), (source, day)
        assert [o.summary for o in result.outcomes if not o.passed] == [], (source, day)


@pytest.mark.parametrize("source", ["crypto_trades", "crypto_open_interest"])
def test_clean_crypto_hours_pass_every_tier(market, source):
    symbols = list(load_universe().crypto)
    for start in HOURS:
        window = (start, start + pd.Timedelta(hours=1))
        frame = market.fetch(source, *window, symbols)
        assert set(frame["symbol"].astype(str)) == set(symbols), (source, start)  # rows of each
        result = validate_partition(frame, source, window, symbols)
        assert len(result.rejected) == 0, (source, start)
        assert len(result.clean) == len(frame), (source, start)
        assert [o.summary for o in result.outcomes if not o.passed] == [], (source, start)


@pytest.mark.parametrize("source", ["news_headlines", "economic_series"])
def test_clean_calendar_days_pass_every_tier(market, source):
    universe = load_universe()
    symbols = list(universe.economic if source == "economic_series" else universe.equities)
    days_with_rows = 0
    for day in pd.date_range("2025-11-01", "2025-11-30"):
        start = day.tz_localize("America/New_York").tz_convert("UTC")
        window = (start, start + pd.Timedelta(days=1))
        frame = market.fetch(source, *window, symbols)
        if source == "news_headlines":
            assert len(frame) > 0, (source, day)  # news comes every day
        days_with_rows += len(frame) > 0
        result = validate_partition(frame, source, window, symbols)
        assert len(result.rejected) == 0, (source, day)
        assert [o.summary for o in result.outcomes if not o.passed] == [], (source, day)
    assert days_with_rows > 0, source  # releases come on some days only, but they come
