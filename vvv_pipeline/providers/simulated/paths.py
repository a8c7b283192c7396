"""Intraday price paths on a 1-second grid: the "true" price every source samples.

Equity ticks, dark-pool prints, option alerts and daily bars all read one path per
symbol-session, so a block print sits where the tape was trading and the daily close is the
last trade of the same path. The path is a bridge in log price from the day's open anchor to
its close anchor: the anchors fix both ends (continuity with neighbouring days), the regime
shapes what happens in between (see :mod:`.anchors`). Intraday noise is scaled by the same
U-shape as trading intensity, so the open and close are also the most volatile stretches.

Crypto has no session: each UTC hour bridges from its hourly anchor to the next one, so the
last second of hour h flows into the first second of hour h+1.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.providers.simulated.anchors import (
    REGIMES,
    HourlyAnchors,
    daily_anchors,
    day_index,
    equity_sigma,
    hourly_anchors,
)
from vvv_pipeline.providers.simulated.processes import (
    ar1,
    bridge,
    half_life_phi,
    ushape_density,
)
from vvv_pipeline.providers.simulated.seeding import rng_for, stable_int

FULL_SESSION_S = 23_400
"""A regular 09:30-16:00 session, seconds; early closes scale counts pro rata."""
U_SHAPE_K = 3.0
"""Edge-to-middle intensity ratio minus one: the first and last minutes are 4x as busy."""
CRYPTO_REVERSION_HALF_LIFE_H = 24 * 182.0


@lru_cache(maxsize=4096)
def session_window(session: str) -> tuple[int, int]:
    """(open, close) of a session as UTC nanoseconds (early closes honoured)."""
    open_utc, close_utc = session_bounds(session)
    return open_utc.value, close_utc.value


def session_regime(seed: int, symbol: str, session: str, start_price: float) -> str:
    anchors = daily_anchors(seed, symbol, start_price, equity_sigma(seed, symbol))
    return REGIMES[int(anchors.regime[day_index(session)])].name


@lru_cache(maxsize=64)
def equity_path(seed: int, symbol: str, session: str, start_price: float) -> np.ndarray:
    """Price every second of ``[open, close)``: first value the open anchor, last the close.

    Cached (read-only) because ticks, dark pool, options and daily bars of one symbol-session
    all sample it.
    """
    open_ns, close_ns = session_window(session)
    n = (close_ns - open_ns) // 1_000_000_000
    anchors = daily_anchors(seed, symbol, start_price, equity_sigma(seed, symbol))
    day = day_index(session)
    regime = REGIMES[int(anchors.regime[day])]
    rng = rng_for(seed, "equity_path", symbol, session)
    per_second = anchors.sigma * regime.noise / math.sqrt(FULL_SESSION_S)
    u = np.arange(1, n) / n
    eps = rng.standard_normal(n - 1) * per_second * np.sqrt(ushape_density(u, U_SHAPE_K))
    jumps = rng.poisson(regime.jumps)
    if jumps:
        at = rng.integers(0, n - 1, jumps)
        eps[at] += rng.standard_normal(jumps) * 0.35 * anchors.sigma
    noise = np.concatenate([[0.0], ar1(eps, half_life_phi(regime.half_life_s))])
    log_path = bridge(math.log(anchors.open[day]), math.log(anchors.close[day]), noise)
    path = np.exp(log_path)
    path.flags.writeable = False
    return path


def equity_path_series(seed: int, symbol: str, session: str, start_price: float) -> pd.Series:
    """:func:`equity_path` as a Series on a UTC 1-second index (a fresh, writable copy)."""
    path = equity_path(seed, symbol, session, start_price)
    open_ns, _ = session_window(session)
    index = pd.DatetimeIndex(open_ns + np.arange(len(path), dtype=np.int64) * 1_000_000_000)
    index = index.tz_localize("UTC")
    return pd.Series(path.copy(), index=index, name=symbol)


def sample_path(path: np.ndarray, origin_ns: int, ts_ns: np.ndarray) -> np.ndarray:
    """Path value at each instant: the 1-second grid point at or before it."""
    at = (np.asarray(ts_ns, dtype=np.int64) - origin_ns) // 1_000_000_000
    return path[np.clip(at, 0, len(path) - 1)]


def crypto_hour_anchors(seed: int, symbol: str, start_price: float) -> HourlyAnchors:
    """Hourly anchors of a pair: ~0.5-0.9 %/hour volatility, half-year mean reversion."""
    sigma_hour = 0.005 + 0.004 * (stable_int(seed, "crypto_sigma", symbol) % 1000) / 1000
    return hourly_anchors(
        seed, "price", symbol, start_price, sigma_hour, CRYPTO_REVERSION_HALF_LIFE_H
    )


@lru_cache(maxsize=256)
def crypto_path(seed: int, symbol: str, hour: int, start_price: float) -> np.ndarray:
    """Price every second of one UTC hour plus the next hour's first value (3601 points).

    A Brownian bridge in log price between consecutive hourly anchors, with that hour's
    clustered volatility; element 3600 equals element 0 of hour + 1.
    """
    anchors = crypto_hour_anchors(seed, symbol, start_price)
    rng = rng_for(seed, "crypto_path", symbol, hour)
    steps = rng.standard_normal(3600) * anchors.vol[hour]
    noise = np.concatenate([[0.0], np.cumsum(steps)])
    log_path = bridge(anchors.log_level[hour], anchors.log_level[hour + 1], noise)
    path = np.exp(log_path)
    path.flags.writeable = False
    return path
