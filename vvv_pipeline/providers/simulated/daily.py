"""Daily bars: equities aggregated from their own ticks, FX and commodities from anchors.

For an instrument that is also in the equity universe the bar is computed from exactly the
trades :mod:`.equity` prints for that session at the configured scale (first, max, min and
last price, summed size), so daily and intraday data always agree. Other instruments have no
tick model; their bars come from their own daily anchors (:mod:`.anchors`):

- open/close are the day's anchors, rounded (5 decimals for FX, 2 otherwise);
- high/low extend ``max(open, close)``/``min(open, close)`` by a half-normal excursion of
  half the daily volatility, so ``high >= max(open, close)`` and ``low <= min(open, close)``;
- volume is 0 for FX (the venue reports none) and a lognormal ~200k contracts otherwise.

Equities carry dividends, splits and the adjusted close of :mod:`.corporate_actions`; FX and
commodities have none (dividend 0, split ratio 1, adjusted close = close).

Reference levels (early 2024) when the universe gives no start price: EURUSD 1.10 (0.5 %
daily volatility), gold 2,060 (1 %), other FX 1.0, other commodities 100.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated import corporate_actions as CA
from vvv_pipeline.providers.simulated.anchors import daily_anchors, equity_sigma
from vvv_pipeline.providers.simulated.equity import session_ohlcv
from vvv_pipeline.providers.simulated.seeding import rng_for
from vvv_pipeline.providers.simulated.units import Unit, bar_units, local_midnight_ns
from vvv_pipeline.universe import ASSET_CLASSES, Universe

KNOWN_LEVELS = {"EURUSD=X": 1.10, "GC=F": 2_060.0}
Prices = tuple[float, float, float, float, float]
Actions = tuple[float, float, float]
CLASS_DEFAULTS = {"fx": (1.0, 0.005), "commodity": (100.0, 0.01), "equity": (100.0, 0.02)}


def reference_level(universe: Universe, instrument: str, asset_class: str) -> tuple[float, float]:
    """(start price, daily volatility) of an instrument without a tick model."""
    default_level, sigma = CLASS_DEFAULTS[asset_class]
    if instrument in universe.start_prices:
        return universe.start_prices[instrument], sigma
    return KNOWN_LEVELS.get(instrument, default_level), sigma


def _columns(
    unit: Unit, asset_class: str, prices: Prices, actions: Actions
) -> dict[str, np.ndarray | pd.Categorical]:
    """The bar as one-row columns: the market stacks a range's bars once (no frame per bar)."""
    o, h, lo, c, v = prices
    dividend, split, factor = actions
    return {
        "ts": np.array([unit.start_ns], dtype=np.int64),
        "asset_class": pd.Categorical.from_codes(
            [ASSET_CLASSES.index(asset_class)], categories=list(ASSET_CLASSES), validate=False
        ),
        "open": np.array([o], dtype=np.float64),
        "high": np.array([h], dtype=np.float64),
        "low": np.array([lo], dtype=np.float64),
        "close": np.array([c], dtype=np.float64),
        "volume": np.array([v], dtype=np.float64),
        "dividend": np.array([dividend], dtype=np.float64),
        "split_ratio": np.array([split], dtype=np.float64),
        # cents, like the equity prices (and float32-exact, as Yahoo sends it); a cent
        # on a 5 USD close is 2e-3 of the factor, so the simulator's floor of 5 USD keeps
        # the factor rules' 1e-3 tolerance only where closes exceed 10 USD: equities do
        "adj_close": np.array([c if factor == 1.0 else round(c * factor, 2)], dtype=np.float64),
    }


def _prices(
    seed: int, universe: Universe, instrument: str, unit: Unit, ticks_per_session: int
) -> Prices:
    """(open, high, low, close, volume) of one instrument's session."""
    asset_class = universe.daily_ohlcv[instrument]
    if instrument in universe.equities:
        start = universe.start_price(instrument)
        o, h, lo, c, v = session_ohlcv(seed, instrument, unit.key, ticks_per_session, start)
        return o, h, lo, c, float(v)
    level, sigma = reference_level(universe, instrument, asset_class)
    if asset_class == "equity":
        sigma = equity_sigma(seed, instrument)
    anchors = daily_anchors(seed, instrument, level, sigma)
    decimals = 5 if asset_class == "fx" else 2
    o = round(float(anchors.open[unit.index]), decimals)
    c = round(float(anchors.close[unit.index]), decimals)
    rng = rng_for(seed, "daily_ohlcv", instrument, unit.key)
    up, down = np.abs(rng.standard_normal(2)) * sigma * 0.5
    h = round(max(o, c) * (1.0 + up), decimals)
    lo = round(min(o, c) * (1.0 - down), decimals)
    h, lo = max(h, o, c), min(lo, o, c)
    volume = 0.0 if asset_class == "fx" else float(np.round(rng.lognormal(np.log(2e5), 0.4)))
    return o, h, lo, c, volume


def _actions(
    seed: int, universe: Universe, instrument: str, unit: Unit, ticks_per_session: int
) -> Actions:
    """(dividend, split ratio, adjustment factor); only equities have corporate actions."""
    if universe.daily_ohlcv[instrument] != "equity":
        return 0.0, 1.0, 1.0
    session = pd.Timestamp(unit.key)
    dividend = 0.0
    if CA.is_ex_date(seed, instrument, session):
        before = CA.previous_session(session)
        midnight = pd.Timestamp(local_midnight_ns(before), tz="UTC")
        (previous,) = bar_units(midnight, midnight + pd.Timedelta(1, "ns"))
        close = _prices(seed, universe, instrument, previous, ticks_per_session)[3]
        dividend = CA.dividend(seed, instrument, close)
    split = CA.split_ratio(seed, instrument, session)
    return dividend, split, CA.adjustment_factor(seed, instrument, session)


def daily_bar(
    seed: int, universe: Universe, instrument: str, unit: Unit, ticks_per_session: int
) -> dict[str, np.ndarray | pd.Categorical]:
    """One instrument's bar for one session (``ts`` = 00:00 New York, as int64 UTC ns)."""
    asset_class = universe.daily_ohlcv[instrument]
    prices = _prices(seed, universe, instrument, unit, ticks_per_session)
    actions = _actions(seed, universe, instrument, unit, ticks_per_session)
    return _columns(unit, asset_class, prices, actions)
