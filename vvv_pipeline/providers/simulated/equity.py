"""Equity time and sales: every trade of a symbol-session with the NBBO at that moment.

Model, per symbol-session (a pure function of seed, symbol, session and scale):

- **Count**: ``ticks_per_session x session length / 6.5 h``, rounded half up, so early closes
  (13:00 ET) get 3.5/6.5 of a full day.
- **Times**: a U-shaped intensity ``1 + 3 ((t - mid) / half)**2`` (the open and close are 4x as
  busy as midday), sampled by inverting its CDF at sorted uniforms; int64 nanoseconds inside
  ``[open, close)``.
- **Quote**: the mid is the intraday path (:mod:`.paths`) at the trade's second plus a quarter-
  cent of quote noise; the spread is 1 cent plus a Poisson number of extra cents that grows with
  price (``(mid / 600)**1.5``) and with a volatile regime, so SPY-like names quote a penny wide
  most of the time and pricier or stressed names wider.
- **Trade**: 46 % at the bid (seller-initiated), 46 % at the ask, 8 % anywhere inside, so the
  tape shows bid-ask bounce; aggressor is the sign of price minus mid (0 at the mid).
- **Size**: 30 % odd lots (1-99 shares, skewed small), else round lots of 100 x (1 + Lomax
  tail, shape 1.2, capped at 1,000 lots): a few trades carry a large share of the volume.
- **Codes**: exchanges by rough market share; condition ``O`` on the first trade, ``6`` on the
  last, ``I`` on odd lots, ``F`` on 3 % of round lots, else ``@`` (never ``T``: clean data is
  regular-hours only).
- **Ids**: ``day * 1e12 + symbol_hash * 1e9 + cumsum(1..4)``: unique and strictly increasing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.anchors import day_index
from vvv_pipeline.providers.simulated.paths import (
    FULL_SESSION_S,
    U_SHAPE_K,
    equity_path,
    sample_path,
    session_regime,
    session_window,
)
from vvv_pipeline.providers.simulated.processes import sorted_uniforms, ushape_quantile
from vvv_pipeline.providers.simulated.seeding import stable_int, streams
from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES

EXCHANGE_SHARE = {"N": 0.18, "Q": 0.26, "P": 0.12, "Z": 0.10, "K": 0.10, "V": 0.05, "X": 0.07}
EXCHANGE_SHARE["D"] = 1.0 - sum(EXCHANGE_SHARE.values())
SPREAD_REGIME_FACTOR = {"trending": 1.0, "ranging": 0.8, "volatile": 2.5}
ODD_LOT_SHARE = 0.30
ISO_SHARE = 0.03


def tick_count(ticks_per_session: int, session_seconds: int) -> int:
    """Trades in a session: pro rata to its length, rounded half up (integer arithmetic)."""
    return (ticks_per_session * session_seconds + FULL_SESSION_S // 2) // FULL_SESSION_S


@dataclass(frozen=True)
class Tape:
    ts: np.ndarray
    price_c: np.ndarray
    size: np.ndarray
    bid_c: np.ndarray
    ask_c: np.ndarray


def _times(rng: np.random.Generator, n: int, open_ns: int, close_ns: int) -> np.ndarray:
    length = close_ns - open_ns
    u = ushape_quantile(sorted_uniforms(rng, n), U_SHAPE_K)
    offsets = np.minimum((u * length).astype(np.int64), length - 1)
    return open_ns + offsets


def _sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    odd = rng.random(n) < ODD_LOT_SHARE
    odd_size = 1 + (99 * rng.random(n) ** 2).astype(np.int64)
    lots = np.minimum(1 + (rng.pareto(1.2, n) * 1.5).astype(np.int64), 1_000)
    size = np.where(odd, odd_size, lots * 100)
    if n:
        size[[0, -1]] = np.maximum(size[[0, -1]], 100)
    return size


def tape(seed: int, symbol: str, session: str, n: int, start_price: float) -> Tape:
    """Times, prices, sizes and quotes of a session's ``n`` trades (integer cents)."""
    open_ns, close_ns = session_window(session)
    t_rng, q_rng, s_rng, _ = streams(4, seed, "equity_ticks", symbol, session, n)
    ts = _times(t_rng, n, open_ns, close_ns)
    mid = sample_path(equity_path(seed, symbol, session, start_price), open_ns, ts)
    factor = SPREAD_REGIME_FACTOR[session_regime(seed, symbol, session, start_price)]
    spread = 1 + q_rng.poisson((mid / 600.0) ** 1.5 * factor)
    mid_c = mid * 100.0 + q_rng.normal(0.0, 0.25, n)
    bid = np.maximum(np.floor(mid_c - spread / 2.0 + 0.5).astype(np.int64), 1)
    ask = bid + spread
    where = q_rng.random(n)
    inside = bid + q_rng.integers(0, spread + 1)
    price = np.where(where < 0.46, bid, np.where(where < 0.92, ask, inside))
    return Tape(ts, price, _sizes(s_rng, n), bid, ask)


def equity_ticks(
    seed: int, symbol: str, session: str, ticks_per_session: int, start_price: float
) -> dict[str, np.ndarray | pd.Categorical]:
    """A symbol-session's trades as columns in canonical order (``ts`` as int64 UTC ns)."""
    open_ns, close_ns = session_window(session)
    n = tick_count(ticks_per_session, (close_ns - open_ns) // 1_000_000_000)
    codes_rng = streams(4, seed, "equity_ticks", symbol, session, n)[3]
    return _columns(tape(seed, symbol, session, n, start_price), symbol, session, codes_rng)


def _columns(
    t: Tape, symbol: str, session: str, rng: np.random.Generator
) -> dict[str, np.ndarray | pd.Categorical]:
    n = len(t.ts)
    share = np.cumsum(list(EXCHANGE_SHARE.values()))
    exchange = np.minimum(np.searchsorted(share, rng.random(n), side="right"), len(share) - 1)
    exchange_codes = np.array([EQUITY_EXCHANGES.index(x) for x in EXCHANGE_SHARE])[exchange]
    condition = np.where(rng.random(n) < ISO_SHARE, 2, 0)
    condition = np.where(t.size < 100, 1, condition)
    if n:
        condition[-1] = 4
        condition[0] = 3
    base = day_index(session) * 10**12 + (stable_int("equity", symbol) % 1_000) * 10**9
    trade_id = base + np.cumsum(1 + rng.integers(0, 4, n))
    aggressor = np.sign(2 * t.price_c - t.bid_c - t.ask_c).astype(np.int8)
    return {
        "ts": t.ts.astype(np.int64),
        "price": t.price_c / 100.0,
        "size": t.size.astype(np.int64),
        "bid": t.bid_c / 100.0,
        "ask": t.ask_c / 100.0,
        "trade_id": trade_id.astype(np.int64),
        "exchange": pd.Categorical.from_codes(
            exchange_codes.astype(np.int8), categories=list(EQUITY_EXCHANGES), validate=False
        ),
        "condition": pd.Categorical.from_codes(
            condition.astype(np.int8), categories=list(EQUITY_CONDITIONS), validate=False
        ),
        "aggressor": aggressor,
        "extended_hours": np.zeros(n, dtype=bool),
    }


@lru_cache(maxsize=4096)
def session_ohlcv(
    seed: int, symbol: str, session: str, ticks_per_session: int, start_price: float
) -> tuple[float, float, float, float, float]:
    """(open, high, low, close, volume) of exactly the trades :func:`equity_ticks` prints."""
    open_ns, close_ns = session_window(session)
    n = tick_count(ticks_per_session, (close_ns - open_ns) // 1_000_000_000)
    if n == 0:
        nan = float("nan")
        return nan, nan, nan, nan, 0.0
    t = tape(seed, symbol, session, n, start_price)
    price = t.price_c / 100.0
    return (
        float(price[0]),
        float(price.max()),
        float(price.min()),
        float(price[-1]),
        float(t.size.sum()),
    )
