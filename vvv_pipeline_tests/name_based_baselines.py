"""The pure-layer code as it was before it worked on category codes (issue 14's baselines).

Kept in one place for the equality tests (``storage/test_tick_frames.py``,
``metadata_tiers/test_codes_equal_names.py``, ``bars/test_partition_events_codes.py``) and the
side-by-side benchmark (``benchmarks/bench_pipeline_pure.py``): each selects, groups or sorts
rows by symbol name (``astype(str)``, ``np.unique``/``np.lexsort`` on strings, ``isin``, a copy
per symbol) where the code now uses the codes. Also the event-bar thresholds as they were
computed one measure at a time (``bars/test_thresholds.py``, ``benchmarks/bench_small_costs.py``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.bars.imbalance import tick_imbalance_bars
from vvv_pipeline.bars.partition_events import EVENT_KINDS
from vvv_pipeline.bars.spec import ImbalanceSpec
from vvv_pipeline.bars.thresholds import daily_measure, thresholds_from_means
from vvv_pipeline.schemas import Schema
from vvv_pipeline.storage import arctic
from vvv_pipeline.storage.arctic import TICK_LIBRARY, ArcticStore, partition_symbol
from vvv_pipeline.storage.tick_frames import _stack_by_names


def string_sorted_read(
    store: ArcticStore, prefix: str, symbols: list[str], keys: list[str], schema: Schema
) -> pd.DataFrame:
    """The tick read: concat, ``astype(str)``, a new Categorical, a stable string sort (today
    the fallback of :func:`~vvv_pipeline.storage.tick_frames.stack_partitions`)."""
    wanted = [partition_symbol(prefix, s, k) for s in symbols for k in keys]
    with arctic.library_lock(store.uri, TICK_LIBRARY, shared=True):
        items = dict(zip(wanted, store.library(TICK_LIBRARY).read_batch(wanted), strict=True))
    # by name, as the read did: a symbol asked for twice is read once
    frames = [item.data for item in items.values() if hasattr(item, "data")]
    return _stack_by_names(frames, schema.names) if frames else schema.empty()


def in_window_by_names(frame, window):
    if frame is None or len(frame) == 0:
        return frame.iloc[:0] if frame is not None else pd.DataFrame()
    ts = ts_ns(frame["ts"])
    mask = (ts >= window[0].value) & (ts < window[1].value)
    out = frame.loc[mask]
    order = np.lexsort((ts[mask], out["symbol"].astype(str).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def group_codes_by_names(symbols):
    names, codes = np.unique(symbols.astype(str).to_numpy(), return_inverse=True)
    return codes.astype(np.int64), names


def imbalance_bars_by_names(ticks, expected_ticks, base=None):
    base = base or ImbalanceSpec()
    names = ticks["symbol"].astype(str).to_numpy() if len(ticks) else np.array([], dtype=str)
    parts = []
    for symbol, e0 in expected_ticks.items():
        mine = ticks[names == str(symbol)].reset_index(drop=True)
        if mine.empty:
            continue
        floor = float(min(1.0, 1.0 / np.sqrt(max(e0, 1.0))))
        spec = replace(
            base,
            initial_expected_ticks=float(max(e0, 1.0)),
            initial_expected_imbalance=floor,
            min_expected_imbalance=floor,
        )
        parts.append(tick_imbalance_bars(mine, spec, include_partial=True)[0])
    if not parts:
        return tick_imbalance_bars(ticks.iloc[:0], base)[0]
    return pd.concat(parts, ignore_index=True)


def with_threshold_by_names(ticks, thresholds):
    if ticks.empty:
        return ticks
    keep = ticks["symbol"].astype(str).isin(thresholds.index.astype(str))
    return ticks if bool(keep.all()) else ticks[keep.to_numpy()].reset_index(drop=True)


def thresholds_one_measure_at_a_time(
    history: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    divisor: float = 50.0,
    lookback: int = 20,
) -> pd.DataFrame:
    """``partition_thresholds`` as it was before the measures shared one grouping: for each
    measure, and for the days before the window and the window's own, a sort, a tail and a mean
    of that measure's column alone."""

    def one(rows: pd.DataFrame, measure) -> pd.Series:
        if not len(rows):
            return pd.Series(dtype=float)
        rows = rows.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
        amount = daily_measure(rows, measure)
        symbols = rows["symbol"].astype(str)
        tail = amount.groupby(symbols).tail(lookback)
        recent = tail.groupby(symbols.loc[tail.index], sort=True).mean()
        return thresholds_from_means(recent, measure, divisor)

    start, end = window
    columns, bootstrapped = {}, pd.Index([])
    for kind, measure in EVENT_KINDS.items():
        before = one(history[history["ts"] < start], measure)
        own = history[(history["ts"] >= start) & (history["ts"] < end)]
        fallback = one(own, measure).drop(before.index, errors="ignore")
        bootstrapped = bootstrapped.union(fallback.index)
        columns[kind] = pd.concat([before, fallback]).rename("threshold")
    table = pd.DataFrame(columns)
    table["bootstrapped"] = table.index.isin(bootstrapped)
    table.index.name = "symbol"
    return table
