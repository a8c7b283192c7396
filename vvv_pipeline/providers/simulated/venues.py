"""The same perpetual listed on three venues: Binance, Bybit and MEXC, 5-second samples.

The crypto seed runs Binance, Bybit and MEXC together and compares them. Each venue's series
here is a pure function of (seed, symbol, hour, venue), like every simulated unit, and uses the
canonical ``crypto_open_interest`` columns with its own ``venue``:

- **Binance** is the reference venue and *is* the ``crypto_open_interest`` source's series
  (:func:`.open_interest.open_interest`, unchanged): the cross-venue view adds venues beside it
  and never alters it.
- **Lead-lag**: price discovery happens on Binance; Bybit's mark follows it
  :data:`VENUES` ``lag_s`` = 5 s later and MEXC's 10 s later (the true path at ``t - lag``, the
  previous hour's path when that falls before the hour).
- **Basis**: each follower quotes a premium over the true price, in bps, that mean-reverts
  (an AR(1) on the 5-second grid with a 5-10 minute half-life) around a venue mean of a
  few bps; hourly anchors (a stationary draw per hour) pinned by a bridge keep it continuous
  across hours. Marks are rounded to the pair's tick, as on the reference.
- **Open-interest share**: a follower's open interest is the reference's times its typical size
  relative to Binance (Bybit 0.6, MEXC 0.4: shares of about 50/30/20 %), times a slowly
  mean-reverting share deviation (hourly anchors, 3-day half-life, bridged inside the hour),
  with its own occasional jumps of 2-6 % (a large position opened or closed on that venue
  only). ``open_interest_value = open_interest x mark_price`` exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.anchors import hourly_anchors
from vvv_pipeline.providers.simulated.crypto import price_decimals
from vvv_pipeline.providers.simulated.open_interest import SAMPLE_S, SAMPLES_PER_HOUR, open_interest
from vvv_pipeline.providers.simulated.paths import crypto_path
from vvv_pipeline.providers.simulated.processes import ar1, bridge, half_life_phi
from vvv_pipeline.providers.simulated.seeding import rng_for

REFERENCE = "binance"


@dataclass(frozen=True)
class VenueModel:
    """How one venue's series departs from the reference venue's."""

    lag_s: int
    """Seconds the venue's mark price trails the true price (the reference: 0)."""
    basis_mean_bps: float
    basis_sd_bps: float
    basis_half_life_s: float
    relative_size: float
    """Typical open interest as a multiple of the reference venue's."""


VENUES: dict[str, VenueModel] = {
    "binance": VenueModel(0, 0.0, 0.0, 1.0, 1.0),
    "bybit": VenueModel(5, 1.5, 2.0, 600.0, 0.6),
    "mexc": VenueModel(10, -3.0, 4.0, 300.0, 0.4),
}
"""The simulated venues, the reference first."""
SHARE_VOL_HOUR = 0.01
SHARE_HALF_LIFE_H = 72.0


def _lagged_path(seed: int, symbol: str, hour: int, start_price: float, lag_s: int) -> np.ndarray:
    """The true price ``lag_s`` seconds before each 5-second sample of the hour."""
    seconds = np.arange(0, 3600, SAMPLE_S) - lag_s
    path = crypto_path(seed, symbol, hour, start_price)
    if lag_s == 0:
        return path[seconds]
    before = crypto_path(seed, symbol, hour - 1, start_price)
    return np.where(seconds >= 0, path[np.maximum(seconds, 0)], before[seconds % 3600])


def _basis_bps(seed: int, symbol: str, hour: int, venue: str, model: VenueModel) -> np.ndarray:
    """The venue's premium in bps at each 5-second sample: AR(1) bridged between anchors."""
    anchors = [
        model.basis_mean_bps
        + 0.5 * model.basis_sd_bps * rng_for(seed, "venue_basis_anchor", venue, symbol, h).normal()
        for h in (hour, hour + 1)
    ]
    phi = half_life_phi(model.basis_half_life_s / SAMPLE_S)
    rng = rng_for(seed, "venue_basis", venue, symbol, hour)
    shocks = rng.standard_normal(SAMPLES_PER_HOUR) * model.basis_sd_bps * math.sqrt(1 - phi**2)
    noise = np.concatenate([[0.0], ar1(shocks, phi)])
    return bridge(anchors[0], anchors[1], noise)[:SAMPLES_PER_HOUR]


def _share_factor(seed: int, symbol: str, hour: int, venue: str, model: VenueModel) -> np.ndarray:
    """Open interest relative to the reference venue's at each sample (with venue jumps)."""
    anchors = hourly_anchors(
        seed, f"oi_share_{venue}", symbol, model.relative_size, SHARE_VOL_HOUR, SHARE_HALF_LIFE_H
    )
    rng = rng_for(seed, "venue_open_interest", venue, symbol, hour)
    steps = rng.standard_normal(SAMPLES_PER_HOUR) * anchors.vol[hour] * math.sqrt(SAMPLE_S)
    count = rng.poisson(0.3)
    at = rng.integers(1, SAMPLES_PER_HOUR, count)
    steps[at - 1] += rng.choice([-1.0, 1.0], count) * rng.uniform(0.02, 0.06, count)
    noise = np.concatenate([[0.0], np.cumsum(steps)])
    log_share = bridge(anchors.log_level[hour], anchors.log_level[hour + 1], noise)
    return np.exp(log_share[:SAMPLES_PER_HOUR])


def venue_open_interest(
    seed: int,
    symbol: str,
    hour: int,
    start_price: float,
    venue: str,
    reference: dict[str, np.ndarray | pd.Categorical] | None = None,
) -> dict[str, np.ndarray | pd.Categorical]:
    """One symbol-hour of one venue's 5-second samples as columns (``ts`` as int64 UTC ns).
    ``reference``: the reference venue's samples of the same symbol-hour when the caller has
    them (every venue derives from them; computing them once per hour serves all venues)."""
    if venue not in VENUES:
        raise ValueError(f"unknown venue {venue!r}; expected one of {list(VENUES)}")
    if reference is None:
        reference = open_interest(seed, symbol, hour, start_price)
    if venue == REFERENCE:
        return reference
    model = VENUES[venue]
    scale = 10 ** price_decimals(start_price)
    true = _lagged_path(seed, symbol, hour, start_price, model.lag_s)
    basis = _basis_bps(seed, symbol, hour, venue, model)
    mark = np.round(true * (1.0 + basis / 1e4) * scale) / scale
    oi = np.round(reference["open_interest"] * _share_factor(seed, symbol, hour, venue, model), 3)
    return {
        "ts": reference["ts"],
        "open_interest": oi,
        "open_interest_value": oi * mark,
        "mark_price": mark,
        "venue": pd.Categorical.from_codes(
            np.zeros(SAMPLES_PER_HOUR, dtype=np.int8), categories=[venue], validate=False
        ),
    }
