"""Volume, dollar and tick bars with exact splitting and a carry across partitions.

A bar closes when it holds exactly its threshold of the measure: shares/base units (``volume``),
quote currency (``dollar``: price x size) or trades (``ticks``). A trade crossing the boundary
is split, its size apportioned (``volume``: the missing units; ``dollar``: the missing dollars /
price), so every completed bar holds exactly its threshold and total volume is conserved:
``bars.volume.sum() + carry.volume.sum()`` equals the volume traded (exactly for integer sizes
and volume or tick bars; to float rounding for dollar bars and float sizes).

A bar's threshold is fixed when it opens (the value for its symbol in the call that opens it),
so a bar carried into a partition whose threshold changed still completes at its own.

Partitions: ``carry`` (see :mod:`~vvv_pipeline.bars.carry`) is the partial bar of every symbol
plus its tick-rule state; ``volume_bars(a, T)`` then ``volume_bars(b, T, carry=...)`` gives the
same bars and final carry as ``volume_bars(concat(a, b), T)``. Completed bars only appear in the
call that completes them (see :mod:`~vvv_pipeline.bars.event_frames` for columns and labels).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vvv_pipeline.bars import carry as carry_state
from vvv_pipeline.bars.chunks import run_chunked
from vvv_pipeline.bars.event_frames import append_partials, event_bars_frame
from vvv_pipeline.bars.frames import tick_arrays
from vvv_pipeline.bars.kernels_threshold import FLOAT_FIELDS, INT_FIELDS, threshold_bars
from vvv_pipeline.bars.signing import sign_arrays
from vvv_pipeline.bars.spec import MEASURES, Measure

Thresholds = Mapping[str, float] | pd.Series | float


def thresholds_by_code(thresholds: Thresholds, categories: pd.Index, integral: bool) -> np.ndarray:
    """Per-code float thresholds (NaN where none is given; the kernel rejects those it meets)."""
    if np.isscalar(thresholds):
        values = np.full(len(categories), float(thresholds))  # type: ignore[arg-type]
    else:
        series = pd.Series(thresholds, dtype=float)
        series.index = series.index.astype(str)
        values = series.reindex(np.asarray(categories, dtype=str)).to_numpy(dtype=float)
    given = values[np.isfinite(values)]
    if integral and not np.all(given == np.round(given)):
        raise ValueError("tick thresholds, and volume thresholds for integer sizes, must be whole")
    return values


def volume_bars(
    ticks: pd.DataFrame,
    threshold_by_symbol: Thresholds,
    measure: Measure = "volume",
    carry: pd.DataFrame | None = None,
    include_partial: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars of exactly ``threshold_by_symbol[symbol]`` volume, dollars or ticks.

    ``threshold_by_symbol``: a mapping or Series symbol -> threshold (e.g.
    :func:`~vvv_pipeline.bars.thresholds.default_thresholds`), or one number for all symbols.
    ``carry``: the carry returned by the previous partition's call, or None to start fresh.
    ``include_partial``: also return each symbol's open bar (``complete`` False) after its
    completed bars, so the frame alone conserves volume; it stays in the carry too.
    Returns ``(bars, carry)``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    arrays = tick_arrays(ticks)
    integer_size = arrays.size.dtype.kind == "i"
    integral = measure == "ticks" or (measure == "volume" and integer_size)
    thresholds = thresholds_by_code(threshold_by_symbol, arrays.categories, integral)
    sf, si, last_price, last_tick = carry_state.load(
        carry, arrays.categories, FLOAT_FIELDS, INT_FIELDS
    )
    signs = sign_arrays(arrays, last_price, last_tick)
    fixed = (arrays.ts, arrays.codes, arrays.price, arrays.size, signs)
    fixed += (MEASURES.index(measure), thresholds, sf, si)
    layouts = [(len(FLOAT_FIELDS), np.float64), (len(INT_FIELDS), np.int64)]
    guess = 1024 + len(arrays.ts) // 256
    (out_f, out_i), seen = run_chunked(
        threshold_bars, fixed, arrays.codes, arrays.categories, layouts, guess
    )
    if include_partial:
        out_f, out_i = append_partials(out_f, out_i, sf, si, seen)
    bars = event_bars_frame(
        out_f, out_i, arrays.categories, FLOAT_FIELDS, INT_FIELDS, integral and integer_size
    )
    new_carry = carry_state.dump(
        carry, arrays.categories, seen > 0, sf, si, last_price, last_tick, FLOAT_FIELDS, INT_FIELDS
    )
    return bars, new_carry


def dollar_bars(
    ticks: pd.DataFrame,
    threshold_by_symbol: Thresholds,
    carry: pd.DataFrame | None = None,
    include_partial: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars of exactly the threshold in quote currency (price x size); see :func:`volume_bars`."""
    return volume_bars(ticks, threshold_by_symbol, "dollar", carry, include_partial)


def tick_bars(
    ticks: pd.DataFrame,
    threshold_by_symbol: Thresholds,
    carry: pd.DataFrame | None = None,
    include_partial: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars of exactly the threshold in trades (never split); see :func:`volume_bars`."""
    return volume_bars(ticks, threshold_by_symbol, "ticks", carry, include_partial)
