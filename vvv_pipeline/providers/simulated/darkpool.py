"""Dark-pool block prints: large off-exchange trades reported to a FINRA TRF.

Model, per symbol-session (independent of the tick scale: block activity does not change
because we simulate more lit trades):

- **Count**: 20-60 prints, uniform.
- **Times**: uniform inside ``[open, close)``, sorted.
- **Price**: the intraday path at the print's second times ``1 + premium`` with premium
  uniform in +/-0.3 % (blocks are negotiated near, not at, the lit price), to four decimals
  (sub-penny prints are normal off exchange).
- **NBBO**: the lit quote at that second: 1 cent plus extra cents growing with price, around
  the path.
- **Size**: round hundreds, log-uniform 5,000-300,000 shares; ``premium = price x size``.
- **Venue**: ``L`` (Nasdaq TRF Carteret) 60 %, ``N`` 20 %, ``Q`` 10 %, ``D`` (ADF) 10 %.
- **Ids**: ``day * 1e9 + symbol_hash * 1e6 + cumsum(1..1000)``, in time order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.paths import equity_path, sample_path, session_window
from vvv_pipeline.providers.simulated.processes import log_uniform
from vvv_pipeline.providers.simulated.seeding import rng_for, stable_int
from vvv_pipeline.schemas import DARKPOOL_VENUES

VENUE_SHARE = {"L": 0.60, "N": 0.20, "Q": 0.10, "D": 0.10}
MAX_PREMIUM = 0.003


def nbbo_cents(rng: np.random.Generator, mid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A lit quote around ``mid`` in integer cents: 1 cent plus price-dependent extra cents."""
    spread = 1 + rng.poisson((mid / 600.0) ** 1.5)
    bid = np.maximum(np.floor(mid * 100.0 - spread / 2.0 + 0.5).astype(np.int64), 1)
    return bid, bid + spread


def darkpool_prints(
    seed: int, symbol: str, session: str, day: int, start_price: float
) -> pd.DataFrame:
    """One symbol-session of block prints in canonical column order (``ts`` as int64 UTC ns)."""
    open_ns, close_ns = session_window(session)
    rng = rng_for(seed, "darkpool_prints", symbol, session)
    n = int(rng.integers(20, 61))
    ts = np.sort(open_ns + rng.integers(0, close_ns - open_ns, n))
    path = sample_path(equity_path(seed, symbol, session, start_price), open_ns, ts)
    price = np.round(path * (1.0 + rng.uniform(-MAX_PREMIUM, MAX_PREMIUM, n)), 4)
    bid, ask = nbbo_cents(rng, path)
    size = np.round(log_uniform(rng, 50, 3_000, n)).astype(np.int64) * 100
    share = np.cumsum(list(VENUE_SHARE.values()))
    venue = np.minimum(np.searchsorted(share, rng.random(n), side="right"), len(share) - 1)
    codes = np.array([DARKPOOL_VENUES.index(v) for v in VENUE_SHARE])[venue]
    base = day * 10**9 + (stable_int("darkpool", symbol) % 1_000) * 10**6
    return pd.DataFrame(
        {
            "ts": ts.astype(np.int64),
            "price": price,
            "size": size,
            "premium": price * size,
            "nbbo_bid": bid / 100.0,
            "nbbo_ask": ask / 100.0,
            "venue": pd.Categorical.from_codes(
                codes.astype(np.int8), categories=list(DARKPOOL_VENUES), validate=False
            ),
            "print_id": (base + np.cumsum(rng.integers(1, 1_001, n))).astype(np.int64),
        }
    )
