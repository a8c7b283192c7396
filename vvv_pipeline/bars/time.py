"""Time bars (1min, 5min, 15min, 1h, 1d) for equities (session-aligned) and crypto (24/7).

Conventions, held everywhere (and checked against pandas ``resample`` in the tests):

- **Intervals** are left-closed and left-labelled by default, as pandas ``resample`` for intraday
  frequencies: a bar stamped 14:31 holds trades with 14:31:00 <= ts < 14:32:00, and a trade exactly
  on a boundary opens the next bar. ``BarSpec(closed="right")`` gives ``(start, end]`` and
  ``BarSpec(label="right")`` stamps bars with their end (clipped at the session close).
- **Empty intervals emit no row**: a minute without trades is absent, not a zero-volume bar, so a
  bar always has real open/high/low/close and ``trade_count >= 1``. Downstream code that needs a
  dense grid reindexes (pandas ``resample`` would emit NaN rows there; the tests drop them).
- **Equities** (``sessions`` given): bins start at each session's open, the last bin ends at the
  close (early closes end early), trades outside every session (pre/post market) are dropped.
  ``1d`` is one bar per session. **Crypto** (``sessions=None``): bins are aligned to the UTC epoch
  (so 1h bars are UTC hours, the hourly partitions), and ``1d`` bars are calendar days in
  ``BarSpec.day_tz`` (America/New_York by default: the pipeline's calendar-day partitions).
- **Buy/sell volume** uses the aggressor where the source has it and the tick rule otherwise
  (:mod:`~vvv_pipeline.bars.signing`). The tick rule runs over every row of the frame, pre- and
  post-market rows included (they are the previous trades), starts unknown (0) at each symbol's
  first row of the call (time bars keep no carry), and unknown volume counts in neither side.
  With ``partition_starts`` it also restarts unknown at each symbol's first row of every
  partition: a partition's trades are signed from its own rows only, so its bars are the same
  whether the call holds that partition alone or a whole range (the pipeline's rule; see
  :mod:`~vvv_pipeline.bars.signing`).
- **Multi-symbol** frames need no sort: canonical frames are sorted by (symbol, ts), each symbol is
  one block, and the output keeps that order with the input's symbol categories.

Output columns (:data:`TIME_BAR_COLUMNS`): ``symbol`` (category), ``ts`` (bar label, UTC),
``open``, ``high``, ``low``, ``close``, ``volume`` (the dtype of ``size``: int64 shares or float64
base units), ``vwap`` (sum(price x size) / volume), ``trade_count`` (int64), ``buy_volume``,
``sell_volume`` (dtype of ``volume``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.bars.chunks import run_chunked
from vvv_pipeline.bars.frames import TickArrays, symbols, tick_arrays, utc
from vvv_pipeline.bars.kernels import time_bars_kernel
from vvv_pipeline.bars.session_grid import as_windows, day_windows_covering
from vvv_pipeline.bars.signing import initial_state
from vvv_pipeline.bars.spec import BarSpec

TIME_BAR_COLUMNS = [
    "symbol",
    "ts",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "vwap",
    "trade_count",
    "buy_volume",
    "sell_volume",
]
FREQUENCIES = ("1min", "5min", "15min", "1h", "1d")
"""The frequencies the pipeline materializes; any frequency dividing a day works."""


def time_bars(
    ticks: pd.DataFrame,
    freq: str | BarSpec = "1min",
    sessions: pd.DataFrame | Sequence | None = None,
    partition_starts: Sequence[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Time bars of a canonical tick frame (equity ticks or crypto trades).

    ``freq`` is a frequency string ("1min", "5min", "15min", "1h", "1d") or a :class:`BarSpec`.
    ``sessions`` are the windows bars live in: a frame with ``open``/``close`` columns (e.g.
    ``session_windows(days)``), ``(open, close)`` pairs, or XNYS session days; ``None`` for 24/7
    sources. ``partition_starts`` (tz-aware instants) cut the frame into partitions whose trades
    are signed from their own rows only. See the module docstring for the conventions and the
    output columns.
    """
    return time_bars_by_freq(ticks, [freq], sessions, partition_starts)[0]


def time_bars_by_freq(
    ticks: pd.DataFrame,
    freqs: Sequence[str | BarSpec],
    sessions: pd.DataFrame | Sequence | None = None,
    partition_starts: Sequence[pd.Timestamp] | None = None,
) -> list[pd.DataFrame]:
    """:func:`time_bars` of the same ticks at each of ``freqs``, in that order: the tick arrays,
    windows and per-partition codes are built once for all of them."""
    arrays = tick_arrays(ticks)
    windows = as_windows(sessions)
    codes, blocks, per_symbol = partition_codes(arrays, partition_starts)
    out = []
    for freq in freqs:
        spec = freq if isinstance(freq, BarSpec) else BarSpec(freq)
        win_open, win_close = windows
        if spec.is_daily and sessions is None and len(arrays.ts):
            shifted = arrays.ts - spec.shift_ns
            win_open, win_close = day_windows_covering(shifted.min(), shifted.max(), spec.day_tz)
        out.append(_bars(arrays, codes, blocks, per_symbol, spec, win_open, win_close))
    return out


def _bars(
    arrays: TickArrays,
    codes: np.ndarray,
    blocks: pd.Index,
    per_symbol: int,
    spec: BarSpec,
    win_open: np.ndarray,
    win_close: np.ndarray,
) -> pd.DataFrame:
    last_price, last_tick = initial_state(len(blocks))
    fixed = (arrays.ts, codes, arrays.price, arrays.size, arrays.aggressor)
    fixed += (win_open, win_close, spec.width_ns, spec.shift_ns, last_price, last_tick)
    layouts = [(5, np.float64), (3, arrays.size.dtype), (4, np.int64)]
    (floats, volumes, ints), _ = run_chunked(
        time_bars_kernel, fixed, codes, blocks, layouts, _guess(arrays, spec)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = floats[:, 4] / volumes[:, 0]
    return pd.DataFrame(
        {
            "symbol": symbols(ints[:, 0] // per_symbol, arrays.categories),
            "ts": utc(ints[:, 1] if spec.label == "left" else ints[:, 2]),
            "open": floats[:, 0],
            "high": floats[:, 1],
            "low": floats[:, 2],
            "close": floats[:, 3],
            "volume": volumes[:, 0],
            "vwap": vwap,
            "trade_count": ints[:, 3],
            "buy_volume": volumes[:, 1],
            "sell_volume": volumes[:, 2],
        }
    )


def partition_codes(
    arrays: TickArrays, partition_starts: Sequence[pd.Timestamp] | None
) -> tuple[np.ndarray, pd.Index, int]:
    """Kernel codes that give each (symbol, partition) its own sign state.

    The kernels keep tick-rule state per code and read it at a block's first row, so numbering
    blocks ``symbol_code * P + partition`` restarts the state at every partition. Canonical
    frames are sorted by (symbol, ts), so these codes never decrease and each block stays
    contiguous: no reordering. Returns (codes, one label per code, P); rows before the first
    start count in the first partition.
    """
    if not partition_starts or not len(arrays.codes):
        return arrays.codes, arrays.categories, 1
    starts = np.sort(np.array([pd.Timestamp(t).value for t in partition_starts], dtype=np.int64))
    count = len(starts)
    part = np.maximum(np.searchsorted(starts, arrays.ts, side="right") - 1, 0)
    codes = arrays.codes.astype(np.int64) * count + part
    return codes, arrays.categories.repeat(count), count


def _guess(arrays: TickArrays, spec: BarSpec) -> int:
    """Bars to allocate first: symbols x bins spanned by the first and last rows (O(1))."""
    n = len(arrays.ts)
    if n == 0:
        return 16
    span = abs(int(arrays.ts[-1]) - int(arrays.ts[0]))
    return min(n, arrays.n_symbols * (span // spec.width_ns + 2) + 16)
