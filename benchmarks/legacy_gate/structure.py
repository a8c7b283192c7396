"""Tier 1: structure and integrity checks of a canonical frame, as pure vectorized functions.

:func:`check_tier1` takes one partition's frame, its source name, the partition's half-open
time window ``[start, end)`` and the universe symbols, and returns a :class:`Tier1Report`:

* ``frame_errors``: whole-frame problems (missing column, wrong dtype, tz-naive or non-UTC
  ``ts``). Row rules that need a broken column are not evaluated, and the error says so.
* ``failures``: rule name -> boolean mask (one entry per row) of the rows that break the rule;
  only rules with at least one failing row appear. A caller quarantines ``bad_rows()`` and
  keeps the rest.

Every rule is a numpy mask over the column arrays (no per-row Python). Uniqueness of ids, the
expensive rule when done by hashing, is first tested as "strictly increasing within each
symbol" with one comparison over the sorted canonical frame; only when that fails does a
sort (numeric ids) or hash (text ids) search name the exact duplicates (every occurrence
after the first is flagged, so the first keeps its row).

Rules are kept as orthogonal as is cheap: a NaN price breaks ``price_positive`` (finite and
> 0) but not a separate null rule; OCC consistency is judged only on well-formed OCC symbols;
OHLC consistency only where all four prices are positive and finite.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, UTC_TS
from vvv_pipeline.validation.masks import (
    as_float,
    category_mask,
    dtype_ok,
    duplicate_mask,
    enum_mask,
    negative_violations,
    null_mask,
    occ_masks,
    positive_violations,
    symbol_codes,
    window_ns,
)
from vvv_pipeline.validation.rules import NAT, RULES
from vvv_pipeline.validation.structure import (
    Tier1Report,
)


def check_tier1(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: Collection[str],
) -> Tier1Report:
    """Run every tier-1 rule of ``source`` on ``frame``; see the module docstring."""
    source = str(source)
    if source not in SOURCE_SCHEMAS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCE_SCHEMAS)}")
    schema, rules = SOURCE_SCHEMAS[source], RULES[source]
    lo, hi = window_ns(window)
    n = len(frame)
    errors: list[str] = []
    failures: dict[str, np.ndarray] = {}
    usable: set[str] = set()

    for col in schema.columns:
        if col.name not in frame.columns:
            errors.append(f"{source}: missing column {col.name!r}; its rules were not evaluated")
            continue
        series = frame[col.name]
        naive = series.dtype.kind == "M" and not isinstance(series.dtype, pd.DatetimeTZDtype)
        if col.name == "ts" and naive:
            errors.append(
                f"{source}: ts is tz-naive ({series.dtype}); expected {UTC_TS}. "
                "Rule ts_in_window was not evaluated (a naive time has no instant)"
            )
            continue
        if not dtype_ok(series, col.dtype):
            if col.name == "ts" and isinstance(series.dtype, pd.DatetimeTZDtype):
                errors.append(f"{source}: ts has dtype {series.dtype}; expected {UTC_TS}")
                usable.add(col.name)  # an aware instant is still comparable to the window
                continue
            errors.append(
                f"{source}: column {col.name!r} has dtype {series.dtype}; expected {col.dtype}; "
                "its value rules were not evaluated"
            )
            continue
        usable.add(col.name)

    def fail(rule: str, mask: np.ndarray | None) -> None:
        if mask is not None and mask.any():
            failures[rule] = failures[rule] | mask if rule in failures else mask

    nullable = set(rules.nullable) | set(rules.positive) | set(rules.non_negative)
    for name in schema.names:
        if name in usable and name not in nullable:
            fail(f"{name}_not_null", null_mask(frame[name]))

    if "ts" in usable:
        ts = frame["ts"]
        if isinstance(ts.dtype, pd.DatetimeTZDtype) and ts.dtype.unit != "ns":
            ts = ts.dt.as_unit("ns")
        t = ts.array.asi8
        # two reductions decide the common clean case without building a mask
        if len(t) and not (t.min() >= lo and t.max() < hi):
            fail("ts_in_window", ((t < lo) & (t != NAT)) | (t >= hi))

    if "symbol" in usable:
        fail("symbol_in_universe", category_mask(frame["symbol"], set(universe_symbols)))

    for name in rules.positive:
        if name in usable:
            fail(f"{name}_positive", positive_violations(frame[name].to_numpy()))
    for name in rules.non_negative:
        if name in usable:
            fail(f"{name}_non_negative", negative_violations(frame[name].to_numpy()))
    for name, (low, high) in rules.ranges.items():
        if name in usable:
            values = as_float(frame[name])
            outside = ~((values >= low) & (values <= high))
            # a NaN is the null rule's business: allowed only where the column is nullable
            fail(
                f"{name}_range", outside & ~np.isnan(values) if name in rules.nullable else outside
            )
    for name in rules.finite_or_nan:
        if name in usable:
            fail(f"{name}_finite", np.isinf(as_float(frame[name])))
    for name, allowed in rules.enums.items():
        if name in usable:
            fail(f"{name}_known", enum_mask(frame[name], allowed))

    if rules.quotes and set(rules.quotes) <= usable:
        bid, ask = (as_float(frame[c]) for c in rules.quotes)
        # clean case by reductions: no NaN/inf anywhere, bid >= 0 and ask - bid >= 0
        clean = not len(bid) or (
            bid.min() >= 0 and ask.max() < np.inf and np.subtract(ask, bid).min() >= 0
        )
        if not clean:
            quoted = ~np.isnan(bid) & ~np.isnan(ask)
            ordered = (bid >= 0) & (bid <= ask) & np.isfinite(bid) & np.isfinite(ask)
            fail("quote_ordered", quoted & ~ordered)

    if rules.unique_id and {rules.unique_id, "symbol"} <= usable:
        ids = frame[rules.unique_id].to_numpy()
        fail(f"{rules.unique_id}_unique", duplicate_mask(symbol_codes(frame), ids))

    occ_columns = {"option_symbol", "symbol", "expiry", "option_type", "strike"}
    if rules.occ and occ_columns <= usable and n:
        unknown = failures.get("symbol_in_universe", np.zeros(n, dtype=bool))
        for rule, mask in occ_masks(frame, unknown).items():
            fail(rule, mask)

    if rules.ohlc and {"open", "high", "low", "close"} <= usable:
        o, h, lw, c = (as_float(frame[k]) for k in ("open", "high", "low", "close"))
        valid = np.isfinite(o) & np.isfinite(h) & np.isfinite(lw) & np.isfinite(c)
        valid &= (o > 0) & (h > 0) & (lw > 0) & (c > 0)
        consistent = (lw <= np.minimum(o, c)) & (h >= np.maximum(o, c))
        fail("ohlc_consistent", valid & ~consistent)

    return Tier1Report(n, failures, errors)
