"""Configuration, validation and the provider contract of the simulated market."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.providers.base import MarketDataProvider, Source
from vvv_pipeline.providers.simulated import (
    FAULT_KINDS,
    SCALE_PRESETS,
    Fault,
    SimulatedMarket,
    SimulationConfig,
)
from vvv_pipeline.providers.simulated.fault_targets import APPLICABLE
from vvv_pipeline_tests.providers.simkit import WEEK, assert_canonical, day_window, market


def test_defaults_match_the_default_preset() -> None:
    config = SimulationConfig()
    assert (config.ticks_per_session, config.crypto_trades_per_hour) == SCALE_PRESETS["default"]
    assert config.seed == 20240601 and config.faults == ()
    assert SCALE_PRESETS == {
        "tiny": (500, 100),
        "default": (20_000, 3_000),
        "heavy": (1_000_000, 150_000),
    }


def test_at_scale_builds_a_preset_and_rejects_unknown_names() -> None:
    heavy = SimulationConfig.at_scale("heavy", seed=3)
    assert (heavy.seed, heavy.ticks_per_session, heavy.crypto_trades_per_hour) == (
        3,
        1_000_000,
        150_000,
    )
    with pytest.raises(ValueError, match="enormous"):
        SimulationConfig.at_scale("enormous")


def test_config_rejects_non_positive_scale_and_coerces_fault_lists() -> None:
    with pytest.raises(ValueError, match="ticks_per_session"):
        SimulationConfig(ticks_per_session=0)
    fault = Fault("nan_price", "equity_ticks")
    config = SimulationConfig(faults=[fault])  # type: ignore[arg-type]
    assert config.faults == (fault,)


def test_every_fault_kind_has_an_applicability_rule() -> None:
    assert set(APPLICABLE) == set(FAULT_KINDS)
    assert len(FAULT_KINDS) == 13


def test_unknown_fault_kind_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="'melted_price'"):
        Fault("melted_price", "equity_ticks")


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("bad_occ_symbol", "equity_ticks"),
        ("crossed_quote", "crypto_trades"),
        ("duplicate_id", "news_headlines"),
        ("zero_size", "crypto_open_interest"),
        ("nan_price", "economic_series"),
        ("stale_run", "options_flow"),
    ],
)
def test_fault_kind_that_makes_no_sense_for_a_source_is_rejected(kind: str, source: str) -> None:
    with pytest.raises(ValueError, match=rf"'{kind}'.*'{source}'"):
        Fault(kind, source)


def test_fault_argument_validation() -> None:
    with pytest.raises(ValueError, match="unknown source 'ticks'"):
        Fault("nan_price", "ticks")
    with pytest.raises(ValueError, match="requires both start and end"):
        Fault("drop_range", "equity_ticks")
    with pytest.raises(ValueError, match="not before"):
        Fault("nan_price", "equity_ticks", start="2024-06-04", end="2024-06-03")
    with pytest.raises(ValueError, match="count"):
        Fault("nan_price", "equity_ticks", count=0)
    assert Fault("nan_price", Source.EQUITY_TICKS).source == "equity_ticks"  # type: ignore[arg-type]


def test_market_satisfies_the_provider_protocol() -> None:
    sim = market()
    assert isinstance(sim, MarketDataProvider)
    assert sim.name == "simulated"
    assert SimulatedMarket().config == SimulationConfig()


@pytest.mark.parametrize(
    ("source", "symbol"),
    [
        ("equity_ticks", "BTCUSDT"),
        ("crypto_trades", "AAPL"),
        ("daily_ohlcv", "QQQ"),
        ("economic_series", "GDP"),
        ("news_headlines", "ETHUSDT"),
    ],
)
def test_symbol_unknown_to_the_source_raises_naming_both(source: str, symbol: str) -> None:
    with pytest.raises(ValueError, match=rf"{source}.*'{symbol}'"):
        market().fetch(source, *day_window(WEEK[0]), [symbol])


def test_unknown_source_raises() -> None:
    with pytest.raises(ValueError, match="unknown source 'quotes'"):
        market().fetch("quotes", *day_window(WEEK[0]), ["AAPL"])


@pytest.mark.parametrize("source", [s.value for s in Source])
def test_empty_window_and_empty_symbols_give_an_empty_canonical_frame(source: str) -> None:
    sim = market()
    symbol = sim.known_symbols(source)[0]
    start, end = day_window(WEEK[0])
    assert_canonical(sim.fetch(source, end, start, [symbol]), source)
    assert len(sim.fetch(source, end, start, [symbol])) == 0
    assert len(sim.fetch(source, start, end, [])) == 0


def test_naive_bounds_are_read_as_utc_and_enum_sources_work() -> None:
    sim = market()
    start, end = day_window(WEEK[0])
    aware = sim.fetch("darkpool_prints", start, end, ["AAPL"])
    naive = sim.fetch(
        Source.DARKPOOL_PRINTS, start.tz_localize(None), end.tz_localize(None), "AAPL"
    )
    pd.testing.assert_frame_equal(aware, naive)
    assert len(aware) > 0
