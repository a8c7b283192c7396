"""Slow anchor paths: where each instrument opens and closes every day (or every hour).

Continuity across partitions without sequential dependence: rather than carrying yesterday's
close into today's generator, each instrument gets one cheap random walk over a fixed horizon
(2015-01-01 to 2041-01-01), computed once per (seed, symbol) and cached. Day N's anchors are a
slice of that vector, so they never depend on which days were requested or in what order.

The walk is in log price: a trend line (6 %/year) through ``start_price`` plus an AR(1)
deviation with a two-year half-life, shifted to be zero on 2024-01-02. The universe's prices
are early-2024 levels, so every symbol opens 2024 at its ``start_price`` and wanders
realistically from there, staying within a sane band over 25 years (deviation ~0.4-0.6 in log).
A reflecting floor (``min(5, start_price / 4)``) and ceiling (``50 x start_price``) catch the
rare extremes. Crypto's hourly anchors do the same on hours (8 %/year trend, half-year half-life,
0.5-0.9 %/hour volatility), pinned at 2024-01-02 00:00 UTC.

Equity days carry a regime, drawn independently per symbol-day:

===========  ===========  =============================  ================  ===============
regime       probability  open-to-close move (x sigma)   intraday noise    mean reversion
===========  ===========  =============================  ================  ===============
trending     0.30         1.2 (a directional day)        0.5 x sigma       none (drift wins)
ranging      0.50         0.4 (closes near the open)     0.9 x sigma       15-minute half-life
volatile     0.20         1.1                            1.6 x sigma + ~3  2-hour half-life
                                                                           jumps
===========  ===========  =============================  ================  ===============

``sigma`` is the symbol's daily volatility, 1.5-3 % (a stable hash of seed and symbol); with
the overnight gap (0.4 sigma) the regime mix gives a close-to-close volatility of ~0.95 sigma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.processes import ar1, half_life_phi
from vvv_pipeline.providers.simulated.seeding import rng_for, stable_int

EPOCH = pd.Timestamp("2015-01-01")
HORIZON_END = pd.Timestamp("2041-01-01")
REFERENCE_DAY = pd.Timestamp("2024-01-02")
N_DAYS = (HORIZON_END - EPOCH).days
N_HOURS = N_DAYS * 24
EPOCH_NS = EPOCH.tz_localize("UTC").value
HOUR_NS = 3_600_000_000_000


@dataclass(frozen=True)
class Regime:
    name: str
    probability: float
    move: float
    """Scale of the open-to-close log return, in units of the daily sigma."""
    noise: float
    """Intraday noise volatility over a full session, in units of the daily sigma."""
    half_life_s: float
    """Mean-reversion half-life of the intraday noise, seconds (inf: a pure random walk)."""
    jumps: float
    """Expected number of intraday jumps."""


REGIMES = (
    Regime("trending", 0.30, 1.2, 0.5, math.inf, 0.0),
    Regime("ranging", 0.50, 0.4, 0.9, 900.0, 0.0),
    Regime("volatile", 0.20, 1.1, 1.6, 7_200.0, 3.0),
)


@dataclass(frozen=True)
class DailyAnchors:
    open: np.ndarray
    close: np.ndarray
    regime: np.ndarray
    """Index into :data:`REGIMES` per day."""
    sigma: float


def day_index(day: str | pd.Timestamp) -> int:
    """Days since the epoch of a (local) calendar date; raises outside the simulated horizon."""
    stamp = pd.Timestamp(day)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    index = (stamp.normalize() - EPOCH).days
    if not 0 <= index < N_DAYS:
        raise ValueError(
            f"{stamp.date()} is outside the simulated horizon {EPOCH.date()}..{HORIZON_END.date()}"
        )
    return index


def hour_index(instant_ns: int) -> int:
    """Whole hours since the epoch (UTC) of an instant; raises outside the horizon."""
    index = (instant_ns - EPOCH_NS) // HOUR_NS
    if not 0 <= index < N_HOURS - 1:
        raise ValueError(f"{pd.Timestamp(instant_ns, tz='UTC')} is outside the simulated horizon")
    return int(index)


def equity_sigma(seed: int, symbol: str) -> float:
    """Daily volatility of a symbol: 1.5 % to 3 %, fixed per (seed, symbol)."""
    return 0.015 + 0.015 * (stable_int(seed, "sigma", symbol) % 10_000) / 10_000


def _bounded(log_level: np.ndarray, start_price: float) -> np.ndarray:
    """Reflect log prices at the floor and ceiling so no path dies or explodes."""
    lo = math.log(min(5.0, start_price / 4.0))
    hi = math.log(start_price * 50.0)
    log_level = np.where(log_level < lo, 2 * lo - log_level, log_level)
    return np.where(log_level > hi, 2 * hi - log_level, log_level)


@lru_cache(maxsize=128)
def daily_anchors(
    seed: int, symbol: str, start_price: float, sigma: float, drift: float = 0.06
) -> DailyAnchors:
    """Open and close anchors for every calendar day of the horizon (cached per symbol).

    Increments alternate overnight gap (0.4 sigma) and regime-scaled open-to-close move; the
    AR(1) deviation (two-year half-life, per half-day step) keeps the level near the trend.
    """
    rng = rng_for(seed, "daily_anchors", symbol)
    probs = np.array([r.probability for r in REGIMES])
    regime = np.searchsorted(np.cumsum(probs), rng.random(N_DAYS), side="right").astype(np.int8)
    regime = np.minimum(regime, len(REGIMES) - 1)
    move = np.array([r.move for r in REGIMES])[regime]
    steps = np.empty(2 * N_DAYS)
    steps[0::2] = rng.standard_normal(N_DAYS) * 0.4 * sigma
    steps[1::2] = rng.standard_normal(N_DAYS) * move * sigma
    deviation = ar1(steps, half_life_phi(2 * 504.0))
    reference = (REFERENCE_DAY - EPOCH).days
    deviation -= deviation[2 * reference]
    years = (np.arange(N_DAYS) - reference) / 365.25
    trend = math.log(start_price) + drift * years
    level = _bounded(np.repeat(trend, 2) + deviation, start_price)
    prices = np.exp(level)
    opens, closes = prices[0::2].copy(), prices[1::2].copy()
    for array in (opens, closes, regime):
        array.flags.writeable = False
    return DailyAnchors(opens, closes, regime, sigma)


@dataclass(frozen=True)
class HourlyAnchors:
    log_level: np.ndarray
    """Log price at the start of every hour of the horizon."""
    vol: np.ndarray
    """Per-second volatility inside each hour (clustered: calm and busy stretches)."""


@lru_cache(maxsize=16)
def hourly_anchors(
    seed: int, kind: str, symbol: str, level: float, sigma_hour: float, half_life_h: float
) -> HourlyAnchors:
    """Hourly log-level anchors with clustered volatility, from the epoch (cached per symbol).

    Volatility clusters through a slowly mean-reverting log-volatility multiplier (AR(1) with a
    ~35-hour half-life, dispersion 0.35), as crypto has calm weekends and busy news days.
    """
    rng = rng_for(seed, "hourly_anchors", kind, symbol)
    phi_vol = half_life_phi(35.0)
    log_vol = ar1(rng.standard_normal(N_HOURS) * 0.35 * math.sqrt(1 - phi_vol**2), phi_vol)
    vol_hour = sigma_hour * np.exp(log_vol - 0.35**2 / 2)
    deviation = ar1(rng.standard_normal(N_HOURS) * vol_hour, half_life_phi(half_life_h))
    reference = (REFERENCE_DAY - EPOCH).days * 24
    deviation -= deviation[reference]
    years = (np.arange(N_HOURS) - reference) / (365.25 * 24)
    log_level = _bounded(math.log(level) + 0.08 * years + deviation, level)
    vol = vol_hour / 60.0
    log_level.flags.writeable = False
    vol.flags.writeable = False
    return HourlyAnchors(log_level, vol)
