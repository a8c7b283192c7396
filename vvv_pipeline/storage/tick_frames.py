"""Stacking the ``ts``-indexed partition frames ArcticDB returns into one canonical frame.

The result is sorted by (symbol, ts), stably, with ``symbol`` a category of the symbols present
(sorted by name) and a fresh RangeIndex. Stored frames keep ``symbol`` as a category, and
:meth:`~vvv_pipeline.storage.arctic.ArcticStore.read_partitions` reads them in sorted symbol
order, each partition already in time order, so the rows are normally in place already: the
frame is built column by column from the category codes (one copy of each column, no string
conversion, no sort), and one pass over (code, ts) confirms the order. Only when it does not
hold (partitions asked for out of time order, overlapping ones) are the rows put in order, by a
stable sort on (code, ts), which is the stable (symbol, ts) sort by name since the codes follow
the names' order.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import in_symbol_time_order
from vvv_pipeline.schemas import Schema


def stack_partitions(
    frames: list[pd.DataFrame], schema: Schema, columns: Collection[str] | None = None
) -> pd.DataFrame:
    """One frame of ``schema``'s columns from ``frames`` (``ts`` their index), by (symbol, ts);
    ``columns``: only those of them (in the schema's order; ``ts`` and ``symbol`` always), so a
    reader that needs a few columns copies only those."""
    names = _wanted(schema, columns)
    if not frames:
        return schema.empty()[names]
    if not all(_by_codes_ok(frame) for frame in frames):
        return _stack_by_names(frames, names)
    codes, categories = _symbol_codes(frames)
    ts = np.concatenate([frame.index.asi8 for frame in frames])
    nat = np.iinfo(np.int64).min
    if in_symbol_time_order(codes, ts):
        order = None
    elif (ts == nat).any():  # NaT sorts last within its symbol: leave that to pandas
        return _stack_by_names(frames, names)
    else:
        order = np.lexsort((ts, codes))  # stable, like the (symbol, ts) sort it replaces
        codes, ts = codes[order], ts[order]
    stacked: dict[str, object] = {}
    for name in names:
        if name == "ts":
            stacked[name] = _timestamps(ts, frames[0].index.dtype)
        elif name == "symbol":
            stacked[name] = pd.Categorical.from_codes(codes, categories=categories, validate=False)
        else:
            stacked[name] = _concat([frame[name] for frame in frames], order)
    return pd.DataFrame(stacked, index=pd.RangeIndex(len(ts)), copy=False)


def _wanted(schema: Schema, columns: Collection[str] | None) -> list[str]:
    if columns is None:
        return schema.names
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise ValueError(f"columns {sorted(unknown)} are not in the schema {schema.names}")
    return [name for name in schema.names if name in {"ts", "symbol", *columns}]


def _by_codes_ok(frame: pd.DataFrame) -> bool:
    """A tz-aware ``ts`` index in ns and a categorical ``symbol`` without missing values."""
    index_dtype = frame.index.dtype
    if frame.index.name != "ts":
        return False
    if not isinstance(index_dtype, pd.DatetimeTZDtype) or index_dtype.unit != "ns":
        return False
    if "symbol" not in frame.columns or not isinstance(frame["symbol"].dtype, pd.CategoricalDtype):
        return False
    codes = frame["symbol"].cat.codes.to_numpy()
    return not (len(codes) and codes.min() < 0)


def _symbol_codes(frames: list[pd.DataFrame]) -> tuple[np.ndarray, list[str]]:
    """Row codes into the sorted names of the symbols present, and those names."""
    parts = []
    present: set[str] = set()
    for frame in frames:
        column = frame["symbol"].array
        names = [str(name) for name in column.categories]
        used = np.bincount(column.codes, minlength=len(names)) > 0
        present.update(name for name, seen in zip(names, used, strict=True) if seen)
        parts.append((names, column.codes))
    categories = sorted(present)
    position = {name: i for i, name in enumerate(categories)}
    dtype = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
    codes = np.concatenate(
        [np.array([position.get(n, -1) for n in names], dtype=dtype)[c] for names, c in parts]
    )
    return codes, categories


def _timestamps(ns: np.ndarray, dtype: pd.DatetimeTZDtype) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(dtype.tz)


def _concat(parts: list[pd.Series], order: np.ndarray | None):
    """The parts end to end (rows taken in ``order`` if given): one copy when they share a
    dtype, else pandas' concat rules."""
    first = parts[0].dtype
    if isinstance(first, pd.CategoricalDtype):
        cats = first.categories
        same = all(
            isinstance(p.dtype, pd.CategoricalDtype)
            and p.dtype.ordered == first.ordered
            and p.dtype.categories.equals(cats)
            and p.dtype.categories.dtype == cats.dtype
            for p in parts
        )
        if same:
            codes = np.concatenate([p.cat.codes.to_numpy() for p in parts])
            codes = codes if order is None else codes[order]
            return pd.Categorical.from_codes(codes, dtype=first, validate=False)
    elif isinstance(first, np.dtype) and all(p.dtype == first for p in parts):
        values = np.concatenate([p.to_numpy() for p in parts])
        return values if order is None else values[order]
    combined = pd.concat(parts, ignore_index=True)
    return combined if order is None else combined.take(order).reset_index(drop=True)


def _stack_by_names(frames: list[pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """Frames whose ``symbol`` is not a clean category (older or foreign writes): by names."""
    combined = pd.concat([frame.reset_index() for frame in frames], ignore_index=True)
    combined["symbol"] = pd.Categorical(combined["symbol"].astype(str))
    combined = combined.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
    return combined[names]
