"""Vectorized row masks the tier-1 rules are made of (numpy; no per-row Python)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import UTC_TS
from vvv_pipeline.validation.rules import NAT, OCC_PATTERN


def dtype_ok(series: pd.Series, expected: str) -> bool:
    dtype = series.dtype
    if expected == "category":
        return isinstance(dtype, pd.CategoricalDtype)
    if expected == UTC_TS:
        return isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"
    return str(dtype) == expected


def as_float(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=np.float64, copy=False)


def positive_violations(values: np.ndarray) -> np.ndarray | None:
    if not len(values):
        return None
    if values.dtype.kind in "iu":
        return None if values.min() > 0 else values <= 0
    if values.min() > 0 and values.max() < np.inf:  # a NaN makes min() NaN: full pass
        return None
    return ~(values > 0) | ~np.isfinite(values)  # NaN fails ``values > 0``


def negative_violations(values: np.ndarray) -> np.ndarray | None:
    if not len(values):
        return None
    if values.dtype.kind in "iu":
        return None if values.min() >= 0 else values < 0
    if values.min() >= 0 and values.max() < np.inf:
        return None
    return ~(values >= 0) | ~np.isfinite(values)


def null_mask(series: pd.Series) -> np.ndarray | None:
    """Null rows of a column, or None when its dtype cannot hold nulls."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return None if not len(codes) or codes.min() >= 0 else codes == -1
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        stamps = series.array.asi8
        return None if not len(stamps) or stamps.min() != NAT else stamps == NAT
    if dtype.kind == "f":
        return np.isnan(series.to_numpy())
    if dtype.kind in "iub":
        return None
    return series.isna().to_numpy()


def category_mask(series: pd.Series, allowed: Collection[object]) -> np.ndarray:
    """Rows whose (non-null) category is not in ``allowed``: one lookup per category."""
    cats = series.cat.categories
    bad_cat = ~np.asarray(cats.isin(list(allowed)), dtype=bool)
    if not bad_cat.any():
        return np.zeros(len(series), dtype=bool)
    codes = series.cat.codes.to_numpy()
    table = np.append(bad_cat, False)  # code -1 (null) -> index -1 -> False
    return table[codes]


def enum_mask(series: pd.Series, allowed: tuple[object, ...]) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return category_mask(series, allowed)
    values = series.to_numpy()
    if values.dtype.kind in "iu" and len(allowed) and all(isinstance(a, int) for a in allowed):
        lo, hi = min(allowed), max(allowed)  # type: ignore[type-var]
        if set(range(lo, hi + 1)) == set(allowed):  # type: ignore[arg-type]
            if not len(values) or (values.min() >= lo and values.max() <= hi):
                return np.zeros(len(values), dtype=bool)
            return (values < lo) | (values > hi)
    return ~np.isin(values, np.asarray(allowed, dtype=object if values.dtype == object else None))


def symbol_codes(frame: pd.DataFrame) -> np.ndarray:
    symbol = frame["symbol"]
    if isinstance(symbol.dtype, pd.CategoricalDtype):
        return symbol.cat.codes.to_numpy()
    return pd.factorize(symbol)[0]


def duplicate_mask(codes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows whose id repeats an earlier row's id within the same symbol code.

    Fast path: if ids strictly increase within each symbol run (the canonical frame is sorted
    by symbol and ids are generated in order), no id repeats within a symbol run, and the
    symbol runs are distinct when the codes never decrease: two comparisons, no hashing.
    Otherwise numeric ids are sorted (a stable lexsort, about 10x faster than hashing the
    pair with ``duplicated``); text ids (a few hundred option alerts) are hashed.
    """
    n = len(ids)
    if n < 2:
        return np.zeros(n, dtype=bool)
    if ids.dtype.kind in "iuf":
        same = codes[1:] == codes[:-1]
        rising = ids[1:] > ids[:-1]
        if bool(np.all(rising | ~same)) and bool(np.all(codes[1:] >= codes[:-1])):
            return np.zeros(n, dtype=bool)
        # sort, don't hash: a stable lexsort keeps equal (symbol, id) keys in row order, so
        # every equal neighbour after the first of its group is a later occurrence
        order = np.lexsort((ids, codes))
        sorted_codes, sorted_ids = codes[order], ids[order]
        repeat = (sorted_codes[1:] == sorted_codes[:-1]) & (sorted_ids[1:] == sorted_ids[:-1])
        out = np.zeros(n, dtype=bool)
        out[order[1:][repeat]] = True
        return out
    keys = pd.DataFrame({"s": codes, "id": ids})
    return keys.duplicated(keep="first").to_numpy()


def occ_masks(frame: pd.DataFrame, unknown: np.ndarray) -> dict[str, np.ndarray]:
    """``occ_symbol_format`` (regex) and ``occ_symbol_consistent`` (root, expiry, type, strike).

    The root is compared with ``symbol`` only where the symbol is known (``unknown`` rows are
    already bad under ``symbol_in_universe``).
    """
    occ = frame["option_symbol"].astype(object)
    is_str = np.fromiter((isinstance(v, str) for v in occ), dtype=bool, count=len(occ))
    parts = occ.where(is_str, "").str.extract(OCC_PATTERN)
    well_formed = is_str & parts["root"].notna().to_numpy()
    null = occ.isna().to_numpy()
    out = {"occ_symbol_format": ~well_formed & ~null}
    if not well_formed.any():
        return out
    root = parts["root"].to_numpy(dtype=object)
    symbol = frame["symbol"].astype(object).to_numpy()
    root_ok = (root == symbol) | unknown
    expiry = pd.to_datetime(parts["yymmdd"], format="%y%m%d", errors="coerce").to_numpy()
    expiry_ok = expiry == frame["expiry"].to_numpy().astype("datetime64[ns]")
    cp = parts["cp"].map({"C": "call", "P": "put"}).to_numpy(dtype=object)
    type_ok = cp == frame["option_type"].astype(object).to_numpy()
    strike_code = pd.to_numeric(parts["strike"], errors="coerce").to_numpy(dtype=np.float64)
    strike = as_float(frame["strike"])
    strike_ok = np.round(strike * 1000.0) == strike_code
    out["occ_symbol_consistent"] = well_formed & ~(root_ok & expiry_ok & type_ok & strike_ok)
    return out


def window_ns(window: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[int, int]:
    def utc(stamp: pd.Timestamp) -> pd.Timestamp:
        stamp = pd.Timestamp(stamp)
        if stamp.tzinfo is None:
            raise ValueError(f"window bound {stamp} is tz-naive; pass tz-aware UTC timestamps")
        return stamp.tz_convert("UTC")

    lo, hi = utc(window[0]), utc(window[1])
    return lo.value, hi.value
