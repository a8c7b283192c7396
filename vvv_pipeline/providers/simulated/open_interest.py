"""Perpetual-futures open interest sampled every 5 seconds (720 samples per UTC hour).

Open interest is a slow, continuous process with sudden steps: the "big player" spikes the
crypto seed looks for. Model, per symbol-hour:

- **Level**: hourly anchors from a log random walk around ~$3 bn of notional (in base units
  at the pair's reference price), 0.6 %/hour volatility, one-week mean-reversion half-life;
  inside the hour a bridge on the 5-second grid joins this hour's anchor to the next, so the
  series is continuous across hour boundaries.
- **Jumps**: a Poisson(0.6) number of random jumps of 3-8 % (either sign) per hour, plus a
  likely jump (80 %) at the sample where the mark price comes closest to a whole-number level
  (1,000 for BTC, 100 for ETH, 10 for SOL: ten to the price's digits minus one) when it gets
  within 0.2 % of it: large players cluster orders at round numbers. The bridge absorbs the
  jumps so the next hour still starts at its anchor.
- **Mark price**: the crypto price path at the sample instant, rounded to the price tick;
  ``open_interest_value = open_interest x mark_price`` exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS, hourly_anchors
from vvv_pipeline.providers.simulated.crypto import VENUE, price_decimals
from vvv_pipeline.providers.simulated.paths import crypto_path
from vvv_pipeline.providers.simulated.processes import bridge
from vvv_pipeline.providers.simulated.seeding import rng_for

SAMPLE_S = 5
SAMPLES_PER_HOUR = 3600 // SAMPLE_S
NOTIONAL_LEVEL_USD = 3e9


def round_level(start_price: float) -> float:
    """The whole-number level large players watch: 10**(digits - 1) (BTC 42,000 -> 1,000)."""
    return 10.0 ** (math.floor(math.log10(start_price)) - 1)


def open_interest(
    seed: int, symbol: str, hour: int, start_price: float
) -> dict[str, np.ndarray | pd.Categorical]:
    """One symbol-hour of 5-second open-interest samples as columns (``ts`` as int64 UTC ns)."""
    oi_anchors = hourly_anchors(
        seed, "open_interest", symbol, NOTIONAL_LEVEL_USD / start_price, 0.006, 168.0
    )
    rng = rng_for(seed, "crypto_open_interest", symbol, hour)
    scale = 10 ** price_decimals(start_price)
    path = crypto_path(seed, symbol, hour, start_price)
    mark = np.round(path[:3600:SAMPLE_S] * scale) / scale
    steps = rng.standard_normal(SAMPLES_PER_HOUR) * oi_anchors.vol[hour] * math.sqrt(SAMPLE_S)
    count = rng.poisson(0.6)
    at = rng.integers(1, SAMPLES_PER_HOUR, count)
    steps[at - 1] += rng.choice([-1.0, 1.0], count) * rng.uniform(0.03, 0.08, count)
    level = round_level(start_price)
    distance = np.abs(mark - np.round(mark / level) * level) / mark
    nearest = int(np.argmin(distance[1:])) + 1
    if distance[nearest] < 0.002 and rng.random() < 0.8:
        steps[nearest - 1] += rng.choice([-1.0, 1.0]) * rng.uniform(0.03, 0.08)
    noise = np.concatenate([[0.0], np.cumsum(steps)])
    log_oi = bridge(oi_anchors.log_level[hour], oi_anchors.log_level[hour + 1], noise)
    oi = np.round(np.exp(log_oi[:SAMPLES_PER_HOUR]), 3)
    start_ns = EPOCH_NS + hour * HOUR_NS
    return {
        "ts": start_ns + np.arange(SAMPLES_PER_HOUR, dtype=np.int64) * SAMPLE_S * 10**9,
        "open_interest": oi,
        "open_interest_value": oi * mark,
        "mark_price": mark,
        "venue": pd.Categorical.from_codes(
            np.zeros(SAMPLES_PER_HOUR, dtype=np.int8), categories=[VENUE], validate=False
        ),
    }
