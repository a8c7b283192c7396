"""Tiers 1 and 2 read only the tick columns they name (``READS``): their rows from those
columns alone equal their rows from every stored column, for equities and crypto."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.metadata_tiers import (
    TIER1_READS,
    TIER2_READS,
    tier1_summary,
    tier2_microstructure,
)
from vvv_pipeline.metadata_tiers.windows import day_window
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline_tests.providers.simkit import universe

DAY = "2025-11-25"


@pytest.mark.parametrize("source", ["equity_ticks", "crypto_trades"])
@pytest.mark.parametrize(
    ("tier", "reads"), [(tier1_summary, TIER1_READS), (tier2_microstructure, TIER2_READS)]
)
def test_a_tier_of_its_read_columns_equals_the_tier_of_every_column(source, tier, reads):
    market = SimulatedMarket(SimulationConfig(), universe())
    symbols = list(universe().equities if source == "equity_ticks" else universe().crypto)
    ticks = market.fetch(source, *day_window(source, DAY), symbols)
    assert len(ticks) > 1_000 and set(ticks.columns) - set(reads)  # some columns left out
    narrow = ticks[[column for column in ticks.columns if column in reads]]
    want = tier(ticks, source, DAY)
    assert len(want) == len(symbols)
    pd.testing.assert_frame_equal(tier(narrow, source, DAY), want, check_exact=True)
