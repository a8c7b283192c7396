"""The simulated venues: Binance unchanged, Bybit and MEXC with basis, lag and their own share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import CROSS_VENUES, Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.venues import VENUES
from vvv_pipeline.universe import load_universe

MARKET = SimulatedMarket(SimulationConfig(seed=11), load_universe())
DAY = (pd.Timestamp("2025-11-20 05:00", tz="UTC"), pd.Timestamp("2025-11-21 05:00", tz="UTC"))
PANEL = MARKET.venue_open_interest(*DAY, ["BTCUSDT"])


def wide(column: str) -> pd.DataFrame:
    return PANEL.pivot(index="ts", columns="venue", values=column)[list(CROSS_VENUES)]


def test_the_simulated_venues_are_the_cross_venue_venues_reference_first() -> None:
    assert tuple(VENUES) == CROSS_VENUES
    assert list(PANEL["venue"].cat.categories) == list(CROSS_VENUES)
    assert len(PANEL) == 3 * 17_280 and PANEL["ts"].is_monotonic_increasing


def test_binance_rows_are_exactly_the_open_interest_source() -> None:
    source = MARKET.fetch(Source.CRYPTO_OPEN_INTEREST, *DAY, ["BTCUSDT"])
    binance = PANEL[PANEL["venue"] == "binance"].reset_index(drop=True)
    binance["venue"] = binance["venue"].astype(str).astype("category")
    pd.testing.assert_frame_equal(binance, source, check_exact=True)


def test_followers_quote_a_mean_reverting_basis_of_a_few_bps() -> None:
    marks = wide("mark_price")
    basis = 1e4 * (marks.div(marks["binance"], axis=0) - 1)
    assert abs(basis["bybit"].mean() - 1.5) < 2.0 and abs(basis["mexc"].mean() + 3.0) < 3.0
    assert 1.0 < basis["bybit"].std() < 10.0 and basis["mexc"].std() < 15.0
    # mean reversion: minute averages (the lag's noise averaged out) persist from one minute
    # to the next and are far less alike two hours apart
    minutes = basis.resample("1min").mean()
    for venue in ("bybit", "mexc"):
        assert minutes[venue].autocorr(1) > 0.6 > 0.3 > minutes[venue].autocorr(120)


@pytest.mark.parametrize(("venue", "lag"), [("bybit", 1), ("mexc", 2)])
def test_followers_trail_binance_by_their_lag(venue: str, lag: int) -> None:
    returns = np.log(wide("mark_price")).diff().dropna()
    corr = {k: returns["binance"].corr(returns[venue].shift(-k)) for k in range(-3, 4)}
    assert max(corr, key=corr.get) == lag and corr[lag] > 0.9


def test_open_interest_shares_are_about_half_three_tenths_one_fifth() -> None:
    value = wide("open_interest_value")
    shares = value.div(value.sum(axis=1), axis=0).mean()
    assert shares.round(1).to_dict() == {"binance": 0.5, "bybit": 0.3, "mexc": 0.2}
    assert np.allclose(PANEL["open_interest_value"], PANEL["open_interest"] * PANEL["mark_price"])


def test_an_hour_regenerates_alone_and_joins_its_neighbours_smoothly() -> None:
    hour = (pd.Timestamp("2025-11-20 12:00", tz="UTC"), pd.Timestamp("2025-11-20 13:00", tz="UTC"))
    alone = MARKET.venue_open_interest(*hour, ["BTCUSDT"], ["mexc"])
    inside = PANEL[(PANEL["ts"] >= hour[0]) & (PANEL["ts"] < hour[1])]
    inside = inside[inside["venue"] == "mexc"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        alone, inside.assign(venue=inside["venue"].astype(str).astype("category"))
    )
    oi = wide("open_interest")["mexc"]
    jumps = np.abs(np.log(oi).diff())
    boundary = jumps[jumps.index.minute + jumps.index.second == 0]
    assert boundary.max() < 0.01  # no step at the hour boundaries beyond ordinary moves
