"""Trade signs for buy/sell volume and imbalance: the aggressor where known, else the tick rule.

Why both: crypto venues report the taker side of every trade (``aggressor`` +1/-1), equities
report it only when the quote tells (``aggressor`` 0 at the mid), and some sources have none.
The tick rule (Lee and Ready) fills the gaps:

- a trade above the previous trade price of the same symbol is a buy (+1), below a sell (-1);
- at the same price it repeats the previous sign (the "zero tick" keeps the last non-zero tick);
- a symbol's first trade has no previous price: its tick sign is 0 (unknown), and so is every
  following trade until the price first moves. Such volume counts as neither buy nor sell, so
  ``buy_volume + sell_volume <= volume`` and the gap is the unknown volume.

The state (last price, last tick sign per symbol) is explicit so threshold and imbalance bars can
carry it across partitions; time bars start each call from unknown (documented in ``time``).

**Across partitions, the pipeline's rule: each partition signs its trades from its own rows.**
The tick rule starts unknown at each symbol's first trade of every partition (an XNYS session,
a New York calendar day) and never takes the previous partition's last price, even when both
are in one call (``time_bars(partition_starts=...)``) or one chunk. A partition's derived data
(time bars, event bars, metadata tiers) is thus a function of its own ticks: the same built
alone, in a range, or in any chunking, and a re-run or replay of one partition never changes
the next. The price: a partition's first trades without an aggressor count as unknown until
the price first moves. Reading the previous session's last trade instead would tie every
partition to the one before it (its re-run, its replay, its absence on a first backfill).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import TickArrays, tick_arrays
from vvv_pipeline.bars.kernels import sign_trades


def initial_state(n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-code (last price, last tick sign) before any trade: NaN and 0 (unknown)."""
    return np.full(n_codes, np.nan), np.zeros(n_codes, dtype=np.int8)


def sign_arrays(
    arrays: TickArrays,
    last_price: np.ndarray | None = None,
    last_tick: np.ndarray | None = None,
    use_aggressor: bool = True,
) -> np.ndarray:
    """int8 sign per row; ``last_price``/``last_tick`` (per code) are updated in place."""
    if last_price is None or last_tick is None:
        last_price, last_tick = initial_state(arrays.n_symbols)
    aggressor = arrays.aggressor if use_aggressor else np.zeros(0, dtype=np.int8)
    return sign_trades(arrays.price, aggressor, arrays.codes, last_price, last_tick)


def trade_signs(ticks: pd.DataFrame, use_aggressor: bool = True) -> pd.Series:
    """Sign of every trade in a canonical frame (int8: 1 buy, -1 sell, 0 unknown).

    With ``use_aggressor=False`` it is the pure tick rule, even where the aggressor is known.
    Rows of one symbol need not be contiguous here: state is kept per symbol code.
    """
    signs = sign_arrays(tick_arrays(ticks), use_aggressor=use_aggressor)
    return pd.Series(signs, index=ticks.index, name="sign")


def tick_rule(ticks: pd.DataFrame) -> pd.Series:
    """The tick rule alone (aggressor ignored); see the module docstring."""
    return trade_signs(ticks, use_aggressor=False)
