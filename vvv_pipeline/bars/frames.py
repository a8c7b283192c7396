"""Zero-copy views of canonical frames as the numpy arrays the kernels read, and back.

Canonical tick frames (``vvv_pipeline.schemas``) are sorted by (symbol, ts) with ``symbol`` as a
category, so the kernels need no sort: each symbol is one contiguous block, told apart by its
category code, and per-symbol state lives in arrays indexed by that code. These helpers only
take views (``ts`` as int64 ns, codes as small ints); nothing here loops per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TICK_ARRAY_COLUMNS = ("ts", "symbol", "price", "size", "aggressor")
"""Every tick column the bar kernels read (:func:`tick_arrays`): readers of stored ticks for
bars need no others."""


@dataclass(frozen=True)
class TickArrays:
    """The columns a bar kernel reads, as aligned numpy arrays."""

    ts: np.ndarray
    """int64 UTC nanoseconds."""
    codes: np.ndarray
    """symbol category codes (int8/int16/int32)."""
    categories: pd.Index
    price: np.ndarray
    size: np.ndarray
    """int64 (equities) or float64 (crypto); kernels keep the dtype so integer sums stay exact."""
    aggressor: np.ndarray
    """int8 taker side (1, -1, 0 unknown); empty when the source has none (tick rule only)."""

    @property
    def n_symbols(self) -> int:
        return len(self.categories)


def ts_ns(series: pd.Series) -> np.ndarray:
    """int64 UTC nanoseconds of a tz-aware (or naive UTC) timestamp column, as a view."""
    values = series
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        if values.dt.unit != "ns":
            values = values.dt.as_unit("ns")
        return values.array.asi8
    if values.dtype.kind == "M":
        return values.astype("datetime64[ns]").to_numpy().view(np.int64)
    return np.asarray(values, dtype=np.int64)


def symbol_codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Category codes and categories of ``symbol`` (factorized once if not categorical)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    return series.cat.codes.to_numpy(), series.cat.categories


def in_symbol_time_order(codes: np.ndarray, ts: np.ndarray) -> bool:
    """Whether rows are sorted by code, and by ``ts`` (int64) within each code: one pass."""
    if len(codes) < 2:
        return True
    step = np.diff(codes.astype(np.int32, copy=False))
    if (step < 0).any():
        return False
    return not ((np.diff(ts) < 0) & (step == 0)).any()


def name_ranked_codes(series: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """Per row, the rank of its symbol's name among the category names (``str``), and the
    names in that order: codes that sort, group and compare like the names themselves.

    None when ``series`` is not a category or has missing values (callers use the names). The
    ranks are the category codes themselves when the categories are already sorted by name.
    """
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return None
    codes = series.cat.codes.to_numpy()
    if len(codes) and codes.min() < 0:
        return None
    names = [str(name) for name in series.cat.categories]
    ordered = sorted(set(names))
    if ordered == names:
        return codes, names
    rank = {name: i for i, name in enumerate(ordered)}
    return np.array([rank[name] for name in names], dtype=np.int32)[codes], ordered


def tick_arrays(ticks: pd.DataFrame) -> TickArrays:
    """Views of ``ts``, ``symbol``, ``price``, ``size`` and (if present) ``aggressor``."""
    codes, categories = symbol_codes(ticks["symbol"])
    if len(codes) and codes.min() < 0:
        raise ValueError("symbol has missing values; every tick needs a symbol")
    if "aggressor" in ticks.columns:
        aggressor = ticks["aggressor"].to_numpy(dtype=np.int8, copy=False)
    else:
        aggressor = np.zeros(0, dtype=np.int8)
    size = ticks["size"].to_numpy()
    if size.dtype.kind not in "if":
        size = size.astype(np.float64)
    return TickArrays(
        ts=ts_ns(ticks["ts"]),
        codes=codes,
        categories=categories,
        price=ticks["price"].to_numpy(dtype=np.float64, copy=False),
        size=size,
        aggressor=aggressor,
    )


def utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns -> tz-aware UTC timestamps (no copy of the data)."""
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def symbols(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """The output ``symbol`` column: same categories as the input, so frames concatenate."""
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)
