"""Crypto aggregate trades, 24/7, one UTC hour per unit.

Model, per symbol-hour (a pure function of seed, symbol, hour and scale):

- **Count**: exactly ``crypto_trades_per_hour``.
- **Times**: volume clusters. A floor of evenly stratified trades (a multiple of 60, at least a
  quarter of the hour's trades) keeps every minute of the tape alive, as on a major pair; the
  rest follow a time-varying intensity: a log-intensity AR(1) on 10-second cells (half-life
  ~1 minute) plus a few bursts 4x as busy for 30-120 s, sampled by inverting the cumulative
  intensity.
- **Price**: the hourly bridge path (:mod:`.paths`) at the trade's second; buyers lift the ask
  (path rounded up to the tick), sellers hit the bid (rounded down). Ticks are 0.01 for pairs
  priced in the thousands (BTC, ETH) and 0.001 below (SOL).
- **Side**: taker buys are more likely while the path is rising (probability
  ``0.5 + 0.3 tanh(30 s return / its volatility)``), so order flow and price move together.
- **Size**: notional lognormal around $400 (log-sd 1.3) with a 3 % Lomax tail of whales,
  converted to base units and rounded to the pair's lot (1e-5 BTC, 1e-4 ETH, 1e-3 SOL).
- **Ids**: ``hour_since_epoch * 1e9 + cumsum(1..3)``: hour h+1's ids all exceed hour h's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS
from vvv_pipeline.providers.simulated.paths import crypto_hour_anchors, crypto_path
from vvv_pipeline.providers.simulated.processes import ar1, half_life_phi, sorted_uniforms
from vvv_pipeline.providers.simulated.seeding import streams

VENUE = "binance"
CELL_S = 10
TRADE_ID_STRIDE = 10**9


def price_decimals(start_price: float) -> int:
    """Decimals of the price tick: 2 for pairs in the thousands, 3 for lower-priced pairs."""
    return 2 if start_price >= 1_000 else 3


def size_decimals(start_price: float) -> int:
    """Decimals of the lot size: one more than the price's integer digits (BTC: 5)."""
    return max(0, math.floor(math.log10(start_price)) + 1)


def _trade_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the hour, sorted: a stratified floor plus clustered trades."""
    floor = min(n, 60 * max(1, (n // 4) // 60)) if n >= 60 else 0
    strata = 3600.0 / floor if floor else 0.0
    base = (np.arange(floor) + rng.random(floor)) * strata
    cells = 3600 // CELL_S
    phi = half_life_phi(6.0)
    log_intensity = ar1(rng.standard_normal(cells) * 0.6 * math.sqrt(1 - phi**2), phi)
    for _ in range(rng.poisson(2.0)):
        at = rng.integers(0, cells)
        log_intensity[at : at + rng.integers(3, 13)] += math.log(4.0)
    weight = np.exp(log_intensity)
    edges = np.concatenate([[0.0], np.cumsum(weight)])
    grid = np.arange(cells + 1, dtype=np.float64) * CELL_S
    clustered = np.interp(sorted_uniforms(rng, n - floor) * edges[-1], edges, grid)
    return np.sort(np.concatenate([base, clustered]))


def crypto_trades(
    seed: int, symbol: str, hour: int, trades_per_hour: int, start_price: float
) -> dict[str, np.ndarray | pd.Categorical]:
    """One symbol-hour of trades as columns in canonical order (``ts`` as int64 UTC ns)."""
    n = trades_per_hour
    t_rng, side_rng, size_rng, id_rng = streams(4, seed, "crypto_trades", symbol, hour, n)
    seconds = _trade_times(t_rng, n)
    start_ns = EPOCH_NS + hour * HOUR_NS
    ts = start_ns + np.minimum((seconds * 1e9).astype(np.int64), HOUR_NS - 1)
    path = crypto_path(seed, symbol, hour, start_price)
    at = np.minimum(seconds.astype(np.int64), 3599)
    mid = path[at]
    local = np.log(path[np.minimum(at + 15, 3600)] / path[np.maximum(at - 15, 0)])
    local_sd = crypto_hour_anchors(seed, symbol, start_price).vol[hour] * math.sqrt(30.0)
    p_buy = 0.5 + 0.3 * np.tanh(local / local_sd)
    aggressor = np.where(side_rng.random(n) < p_buy, 1, -1).astype(np.int8)
    scale = 10 ** price_decimals(start_price)
    ticks = np.where(aggressor > 0, np.ceil(mid * scale), np.floor(mid * scale))
    notional = np.exp(size_rng.normal(math.log(400.0), 1.3, n))
    whales = size_rng.random(n) < 0.03
    notional = np.where(whales, notional * (1.0 + 20.0 * size_rng.pareto(1.2, n)), notional)
    lot = 10 ** size_decimals(start_price)
    size = np.maximum(np.round(notional / mid * lot), 1.0) / lot
    trade_id = hour * TRADE_ID_STRIDE + np.cumsum(1 + id_rng.integers(0, 3, n))
    return {
        "ts": ts,
        "price": ticks / scale,
        "size": size,
        "trade_id": trade_id.astype(np.int64),
        "aggressor": aggressor,
        "venue": pd.Categorical.from_codes(
            np.zeros(n, dtype=np.int8), categories=[VENUE], validate=False
        ),
    }
