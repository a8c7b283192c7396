"""Fault injection: named, deterministic defects for validators, tests and demos.

Faults are applied after a unit is generated and clipped to the fetch window, to each
affected (symbol, unit): the fault's source matches, its symbol is None or matches, and (when
it has start/end) the unit's span overlaps ``[start, end)``. Rows are chosen by the unit's own
fault stream, so a faulty partition regenerates identically. ``count`` rows are hit per
affected unit (fewer if the unit has fewer rows).

======================  =====================================================  =============
kind                    defect                                                 sources
======================  =====================================================  =============
``drop_range``          every row with ts in ``[start, end)`` removed (a gap)  all
``nan_price``           price set to NaN                                       priced (1)
``negative_price``      price set to ``-abs(price)``                           priced (1)
``zero_size``           size set to 0                                          sized (2)
``crossed_quote``       bid and ask swapped, so bid > ask                      quoted (3)
``duplicate_id``        a row takes the id of the row before it (count pairs)  with ids (4)
``naive_timezone``      the unit's ts become tz-naive New York wall time; the  all
                        frame's ts dtype turns naive (other units keep their
                        UTC wall time, naive); every other column stays
                        canonical
``shifted_timezone``    the unit's ts are moved earlier by the New York UTC    all
                        offset (wall time labelled as UTC); dtype stays UTC
``out_of_window``       rows moved just outside the fetch window, alternately  all
                        to ``end`` (+0, +1 ns, ...) and ``start - 1 ns`` (...)
``unknown_symbol``      symbol set to ``ZZZZ``                                 all
``bad_occ_symbol``      option_symbol malformed (C/P replaced by X, last       options_flow
                        strike digit dropped, or lower-cased), cycling
``price_spike``         isolated prices x1.2 or x0.8 (to the cent) relative    (5)
                        to their neighbours; derived premium/value recomputed
``stale_run``           one run of ``count`` consecutive rows frozen at the    (6)
                        first row's values while the path moved under them
======================  =====================================================  =============

(1) equity_ticks, crypto_trades, darkpool_prints, options_flow (``price``),
crypto_open_interest (``mark_price``), daily_ohlcv (``close``). Derived columns (premium,
open_interest_value) are left as generated. (2) equity_ticks, crypto_trades, darkpool_prints,
options_flow. (3) equity_ticks (bid/ask), darkpool_prints (nbbo_bid/nbbo_ask). (4)
equity_ticks and crypto_trades (trade_id), darkpool_prints (print_id), options_flow
(alert_id); news shares headline ids across tickers by design, so it is excluded. (5)
equity_ticks, crypto_trades, crypto_open_interest, darkpool_prints. (6) equity_ticks (price,
bid, ask and aggressor frozen: a stuck feed), crypto_trades (price), crypto_open_interest
(mark price, open interest and value).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.simulated.fault_targets import (
    DERIVED,
    ID_COLUMN,
    PRICE_COLUMN,
    QUOTE_COLUMNS,
    SIZE_COLUMN,
    STALE_COLUMNS,
)
from vvv_pipeline.providers.simulated.seeding import rng_for

if TYPE_CHECKING:
    from vvv_pipeline.providers.simulated.config import Fault
    from vvv_pipeline.providers.simulated.units import Unit

Frame = pd.DataFrame
Rng = np.random.Generator
UNKNOWN_SYMBOL = "ZZZZ"


@dataclass(frozen=True)
class UnitContext:
    seed: int
    source: str
    symbol: str
    unit: Unit
    window: tuple[int, int]
    """The fetch window ``[start, end)``, UTC nanoseconds."""
    unknown_code: int
    """Symbol code that stands for :data:`UNKNOWN_SYMBOL` in the assembled frame."""


def targets(fault: Fault, ctx: UnitContext) -> bool:
    if fault.source != ctx.source or fault.symbol not in (None, ctx.symbol):
        return False
    window = fault.window
    return window is None or ctx.unit.overlaps(*window)


def local_wall_ns(ts_ns: np.ndarray) -> np.ndarray:
    """New York wall-clock time of UTC instants, as naive nanoseconds."""
    index = pd.DatetimeIndex(np.asarray(ts_ns, dtype=np.int64).view("datetime64[ns]"))
    return index.tz_localize("UTC").tz_convert(EXCHANGE_TZ).tz_localize(None).asi8


def _pick(rng: Rng, n: int, k: int, spaced: bool = False) -> np.ndarray:
    """Row positions to corrupt; ``spaced`` keeps them apart and off the first/last row."""
    candidates = np.arange(1, n - 1, 2) if spaced else np.arange(n)
    return np.sort(rng.choice(candidates, min(k, len(candidates)), replace=False))


def _set(frame: pd.DataFrame, column: str, rows: np.ndarray, values: object) -> None:
    data = frame[column].to_numpy(copy=True)
    data[rows] = values
    frame[column] = data


def _recompute(frame: pd.DataFrame, source: str) -> None:
    if source in DERIVED:
        out, left, right = DERIVED[source]
        frame[out] = frame[left].to_numpy() * frame[right].to_numpy()


def _price(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    column = PRICE_COLUMN[ctx.source]
    rows = _pick(rng, len(frame), fault.count)
    values = frame[column].to_numpy()[rows]
    _set(frame, column, rows, np.nan if fault.kind == "nan_price" else -np.abs(values))


def _zero_size(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    _set(frame, SIZE_COLUMN[ctx.source], _pick(rng, len(frame), fault.count), 0)


def _crossed(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    bid, ask = QUOTE_COLUMNS[ctx.source]
    rows = _pick(rng, len(frame), fault.count)
    bids, asks = frame[bid].to_numpy()[rows], frame[ask].to_numpy()[rows]
    _set(frame, bid, rows, asks)
    _set(frame, ask, rows, bids)


def _duplicate(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    column = ID_COLUMN[ctx.source]
    rows = _pick(rng, len(frame), fault.count, spaced=True)
    _set(frame, column, rows, frame[column].to_numpy()[rows - 1])


def _timezone(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    frame["ts"] = local_wall_ns(frame["ts"].to_numpy())


def _out_of_window(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    rows = _pick(rng, len(frame), fault.count)
    lo, hi = ctx.window
    j = np.arange(len(rows), dtype=np.int64)
    _set(frame, "ts", rows, np.where(j % 2 == 0, hi + j // 2, lo - 1 - j // 2))


def _unknown(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    _set(frame, "_sym", _pick(rng, len(frame), fault.count), ctx.unknown_code)


def _bad_occ(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    rows = _pick(rng, len(frame), fault.count)
    good = pd.Series(frame["option_symbol"].to_numpy()[rows], dtype=object).astype(str)
    swapped = good.str[:-9] + "X" + good.str[-8:]
    truncated = good.str[:-1]
    lowered = good.str.lower()
    variant = np.arange(len(rows)) % 3
    bad = np.where(variant == 0, swapped, np.where(variant == 1, truncated, lowered))
    _set(frame, "option_symbol", rows, bad.astype(object))


def _spike(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    column = PRICE_COLUMN[ctx.source]
    rows = _pick(rng, len(frame), fault.count, spaced=True)
    factor = rng.choice([1.2, 0.8], len(rows))
    _set(frame, column, rows, np.round(frame[column].to_numpy()[rows] * factor, 2))
    _recompute(frame, ctx.source)


def _stale(frame: Frame, fault: Fault, ctx: UnitContext, rng: Rng) -> None:
    n = len(frame)
    length = min(fault.count, n)
    reference = frame[STALE_COLUMNS[ctx.source][0]].to_numpy()
    windows = sliding_window_view(reference, length)
    moving = np.flatnonzero(np.ptp(windows, axis=1) > 0)
    start = int(rng.choice(moving if len(moving) else np.arange(n - length + 1)))
    rows = np.arange(start, start + length)
    for column in STALE_COLUMNS[ctx.source]:
        _set(frame, column, rows, frame[column].to_numpy()[start])


Handler = Callable[[pd.DataFrame, "Fault", UnitContext, np.random.Generator], None]
HANDLERS: dict[str, Handler] = {
    "nan_price": _price,
    "negative_price": _price,
    "zero_size": _zero_size,
    "crossed_quote": _crossed,
    "duplicate_id": _duplicate,
    "naive_timezone": _timezone,
    "shifted_timezone": _timezone,
    "out_of_window": _out_of_window,
    "unknown_symbol": _unknown,
    "bad_occ_symbol": _bad_occ,
    "price_spike": _spike,
    "stale_run": _stale,
}


def apply_faults(
    frame: pd.DataFrame, faults: Sequence[Fault], ctx: UnitContext
) -> tuple[pd.DataFrame, bool]:
    """Apply every fault that targets this (symbol, unit); returns (frame, ts became naive)."""
    naive = False
    copied = False
    for number, fault in enumerate(faults):
        if not targets(fault, ctx):
            continue
        if not copied:
            frame, copied = frame.copy(), True
        if fault.kind == "drop_range":
            lo, hi = fault.window  # type: ignore[misc]
            ts = frame["ts"].to_numpy()
            frame = frame[(ts < lo) | (ts >= hi)].reset_index(drop=True)
            continue
        if frame.empty:
            continue
        rng = rng_for(ctx.seed, "fault", number, fault.kind, ctx.source, ctx.symbol, ctx.unit.key)
        HANDLERS[fault.kind](frame, fault, ctx, rng)
        naive = naive or fault.kind == "naive_timezone"
    return frame, naive
