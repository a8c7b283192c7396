"""Tier 1's pandera checks: registered check methods whose bodies are the numpy kernels.

Each method returns ``True`` when no row fails (decided by a reduction or two, so a clean frame
costs no mask and pandera builds no failure cases), else a boolean Series on the frame's index,
``False`` where a row fails: pandera's ``failure_cases`` then name exactly those rows. Column
checks receive the column; dataframe-level checks the frame. ``binding`` carries the partition
(:class:`~.binding.Binding`). Registering happens on import; :mod:`.contract` imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
from pandera.extensions import register_check_method

from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.masks import (
    as_float,
    category_mask,
    duplicate_mask,
    enum_mask,
    negative_violations,
    occ_masks,
    positive_violations,
    symbol_codes,
)
from vvv_pipeline.validation.rules import NAT

F = TypeVar("F", bound=Callable[..., object])
Verdict = bool | pd.Series
CONTEXT: dict[str, frozenset[str]] = {}
"""Registered check -> which of ``binding`` (the partition) and ``kind`` (the rule's name, under
which a WARN check notes what it found) it takes; the schema builder passes them."""


def check_method(*statistics: str, frame: bool) -> Callable[[F], F]:
    """Register ``fn`` as ``pandera.Check.<name>``: a dataframe-level check when ``frame``."""

    def register(fn: F) -> F:
        CONTEXT[fn.__name__] = frozenset(statistics) & {"binding", "kind"}
        kind = pd.DataFrame if frame else pd.Series
        register_check_method(fn, statistics=list(statistics), supported_types=kind)
        return fn

    return register


def verdict(bad: np.ndarray | None, index: pd.Index) -> Verdict:
    """What a check hands pandera: True, or the passing rows as a Series on ``index``."""
    if bad is None or not bad.any():
        return True
    return pd.Series(~bad, index=index, copy=False)


@check_method(frame=False)
def finite_positive(column: pd.Series) -> Verdict:
    """Finite and > 0 (a NaN fails here, not in a null rule)."""
    return verdict(positive_violations(column.to_numpy()), column.index)


@check_method(frame=False)
def finite_non_negative(column: pd.Series) -> Verdict:
    return verdict(negative_violations(column.to_numpy()), column.index)


@check_method("lo", "hi", "nan_ok", frame=False)
def within(column: pd.Series, *, lo: float, hi: float, nan_ok: bool) -> Verdict:
    """In ``[lo, hi]``; a NaN is the null rule's business where the column is nullable."""
    values = as_float(column)
    outside = ~((values >= lo) & (values <= hi))
    return verdict(outside & ~np.isnan(values) if nan_ok else outside, column.index)


@check_method(frame=False)
def no_infinity(column: pd.Series) -> Verdict:
    return verdict(np.isinf(as_float(column)), column.index)


@check_method("allowed", frame=False)
def known_codes(column: pd.Series, *, allowed: tuple[object, ...]) -> Verdict:
    """One of ``allowed``: one lookup per category, or a range test for small integer codes."""
    return verdict(enum_mask(column, allowed), column.index)


@check_method("binding", frame=False)
def in_window(column: pd.Series, *, binding: Binding) -> Verdict:
    """Inside the partition's ``[start, end)``; two reductions decide the clean case."""
    if binding.window is None or not isinstance(column.dtype, pd.DatetimeTZDtype):
        return True  # unbound contract, or a naive ts (a frame error: no instant to compare)
    lo, hi = binding.window
    if column.dtype.unit != "ns":
        column = column.dt.as_unit("ns")
    t = column.array.asi8
    if not len(t) or (t.min() >= lo and t.max() < hi):
        return True
    return verdict(((t < lo) & (t != NAT)) | (t >= hi), column.index)


@check_method("binding", frame=False)
def in_universe(column: pd.Series, *, binding: Binding) -> Verdict:
    if binding.universe is None or not isinstance(column.dtype, pd.CategoricalDtype):
        return True
    return verdict(category_mask(column, binding.universe), column.index)


@check_method("bid", "ask", frame=True)
def quotes_ordered(frame: pd.DataFrame, *, bid: str, ask: str) -> Verdict:
    """Where both are quoted: 0 <= bid <= ask, both finite."""
    b, a = as_float(frame[bid]), as_float(frame[ask])
    # the clean case by reductions: no NaN/inf anywhere, bid >= 0 and ask - bid >= 0
    if not len(b) or (b.min() >= 0 and a.max() < np.inf and np.subtract(a, b).min() >= 0):
        return True
    quoted = ~np.isnan(b) & ~np.isnan(a)
    ordered = (b >= 0) & (b <= a) & np.isfinite(b) & np.isfinite(a)
    return verdict(quoted & ~ordered, frame.index)


@check_method("binding", "id_column", frame=True)
def unique_per_symbol(frame: pd.DataFrame, *, binding: Binding, id_column: str) -> Verdict:
    """Every occurrence after the first of an id within a symbol fails; strictly increasing ids
    per symbol (the canonical order) are proven unique by two comparisons, without hashing.
    The rule holds within a partition: unbound (a stored frame may span several), it passes."""
    if binding.window is None:
        return True
    ids = frame[id_column].to_numpy()
    return verdict(duplicate_mask(symbol_codes(frame), ids), frame.index)


def _occ(frame: pd.DataFrame, binding: Binding) -> dict[str, np.ndarray]:
    def compute() -> dict[str, np.ndarray]:
        # a root is compared with the symbol only where the symbol is known (an unknown one
        # is already symbol_in_universe's failure)
        if binding.universe is None:
            unknown = np.zeros(len(frame), dtype=bool)
        else:
            unknown = category_mask(frame["symbol"], binding.universe)
        return occ_masks(frame, unknown) if len(frame) else {}

    return binding.once("occ", frame, compute)


@check_method("binding", frame=True)
def occ_format(frame: pd.DataFrame, *, binding: Binding) -> Verdict:
    return verdict(_occ(frame, binding).get("occ_symbol_format"), frame.index)


@check_method("binding", frame=True)
def occ_consistent(frame: pd.DataFrame, *, binding: Binding) -> Verdict:
    """Root, expiry, call/put and strike of a well-formed OCC symbol match their columns."""
    return verdict(_occ(frame, binding).get("occ_symbol_consistent"), frame.index)


@check_method(frame=True)
def ohlc_ordered(frame: pd.DataFrame) -> Verdict:
    """low <= open, close <= high, judged where all four prices are finite and > 0."""
    o, h, lw, c = (as_float(frame[k]) for k in ("open", "high", "low", "close"))
    valid = np.isfinite(o) & np.isfinite(h) & np.isfinite(lw) & np.isfinite(c)
    valid &= (o > 0) & (h > 0) & (lw > 0) & (c > 0)
    consistent = (lw <= np.minimum(o, c)) & (h >= np.maximum(o, c))
    return verdict(valid & ~consistent, frame.index)


@check_method("tolerance", frame=True)
def adjusted_below_close(frame: pd.DataFrame, *, tolerance: float) -> Verdict:
    """adj_close <= close x (1 + tolerance): only dividends adjust a close that is already
    split-adjusted, and each ex-date multiplies the earlier factor by a number below 1.
    Judged where both are finite and > 0 (the positive rules own the rest)."""
    c, a = as_float(frame["close"]), as_float(frame["adj_close"])
    valid = np.isfinite(c) & np.isfinite(a) & (c > 0) & (a > 0)
    return verdict(valid & (a > c * (1.0 + tolerance)), frame.index)


@check_method("tolerance", frame=True)
def adjustment_steps(frame: pd.DataFrame, *, tolerance: float) -> Verdict:
    """Between a symbol's consecutive rows (by ts) the back-adjustment factor f = adj_close /
    close must satisfy f_prev = f_t x (1 - dividend_t / close_prev): the standard (CRSP, Yahoo)
    dividend multiplier. The later row of a pair that breaks it fails; a pair with a non-finite
    or non-positive value is left to the column rules."""
    if len(frame) < 2:
        return True
    codes = symbol_codes(frame)
    order = np.lexsort((frame["ts"].to_numpy(), codes))
    codes = codes[order]
    c = as_float(frame["close"])[order]
    a = as_float(frame["adj_close"])[order]
    d = as_float(frame["dividend"])[order]
    same = codes[1:] == codes[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = a / c
        expected = factor[1:] * (1.0 - d[1:] / c[:-1])
        off = np.abs(factor[:-1] / expected - 1.0) > tolerance
    finite = np.isfinite(factor[:-1]) & np.isfinite(expected)
    finite &= (c[:-1] > 0) & (c[1:] > 0) & (a[:-1] > 0) & (a[1:] > 0) & (d[1:] >= 0)
    bad_sorted = np.zeros(len(frame), dtype=bool)
    bad_sorted[1:] = same & finite & off
    bad = np.zeros(len(frame), dtype=bool)
    bad[order] = bad_sorted
    return verdict(bad, frame.index)
