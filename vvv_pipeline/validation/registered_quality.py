"""Tier 4 as pandera dataframe-level checks: registered methods over the quality kernels.

Same contract as :mod:`.registered_tiers`: each check is one kind of the rule table, returns
``True`` or the passing rows, and notes rates, thresholds and stale runs under its ``kind``. The
kernels (:mod:`.quality`) work on the rows per symbol in time order; :class:`Ordered` is that
view, built once per validation, and maps flagged rows back to the frame's own positions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.validation import quality as t4
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.registered import Verdict, check_method, verdict
from vvv_pipeline.validation.results import (
    codes_and_names,
    runs_frame,
    segments,
    sort_order,
    ts_ns,
)


@dataclass(frozen=True)
class Ordered:
    """The frame's rows per symbol in time order (a stable sort only when not already so)."""

    frame: pd.DataFrame
    order: np.ndarray | None
    t: np.ndarray
    codes: np.ndarray
    names: np.ndarray
    starts: np.ndarray
    stops: np.ndarray

    def col(self, name: str) -> np.ndarray:
        values = self.frame[name].to_numpy()
        return values if self.order is None else values[self.order]

    def floats(self, name: str) -> np.ndarray:
        return self.col(name).astype(np.float64)

    def flag(self, sorted_rows: np.ndarray) -> Verdict:
        """The verdict that fails ``sorted_rows`` (positions in the sorted view)."""
        rows = sorted_rows if self.order is None else self.order[sorted_rows]
        mask = np.zeros(len(self.frame), dtype=bool)
        mask[rows] = True
        return verdict(mask, self.frame.index)


def _ordered(frame: pd.DataFrame, binding: Binding) -> Ordered | None:
    def compute() -> Ordered | None:
        if "ts" not in frame.columns or not len(frame):
            return None
        t = ts_ns(frame)
        if t is None:
            return None
        codes, names = codes_and_names(frame)
        order = sort_order(codes, t)
        if order is not None:
            codes, t = codes[order], t[order]
        return Ordered(frame, order, t, codes, names, *segments(codes))

    return binding.once("ordered", frame, compute)


def per_symbol(check: Callable[..., Verdict]) -> Callable[..., Verdict]:
    """``check`` called with the frame's :class:`Ordered` view instead of the frame; a frame
    without ``ts`` or rows passes (tier 1 reports those)."""

    @functools.wraps(check)
    def on_frame(frame: pd.DataFrame, *, binding: Binding, **statistics: Any) -> Verdict:
        o = _ordered(frame, binding)
        return True if o is None else check(o, binding=binding, **statistics)

    return on_frame


def _jumps(o: Ordered, binding: Binding, column: str, floor: float) -> tuple[np.ndarray, ...]:
    def compute() -> tuple[np.ndarray, np.ndarray]:
        return t4.robust_jumps(o.floats(column), o.starts, o.stops, t4.JUMP_K, floor)

    return binding.once(f"jumps:{column}:{floor}", o.frame, compute)


@check_method("binding", "kind", "column", "floor", frame=True)
@per_symbol
def robust_jumps(o: Ordered, *, binding: Binding, kind: str, column: str, floor: float) -> Verdict:
    """No log change beyond ``max(JUMP_K * 1.4826 * MAD, floor)`` from the symbol's median."""
    binding.note(kind)
    return o.flag(np.flatnonzero(_jumps(o, binding, column, floor)[0]))


@check_method("binding", "kind", "column", "floor", frame=True)
@per_symbol
def isolated_spikes(
    o: Ordered, *, binding: Binding, kind: str, column: str, floor: float
) -> Verdict:
    """No row reached by a jump and left by an opposite one."""
    binding.note(kind)
    return o.flag(t4.spike_rows(*_jumps(o, binding, column, floor)))


def _quotes(o: Ordered, binding: Binding, bid: str, ask: str) -> tuple[np.ndarray, ...]:
    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, a = o.floats(bid), o.floats(ask)
        return b, a, np.isfinite(b) & np.isfinite(a)

    return binding.once(f"quotes:{bid}:{ask}", o.frame, compute)


def _rate(o: Ordered, binding: Binding, kind: str, mask: np.ndarray, quoted: np.ndarray) -> Verdict:
    n_quoted = int(np.count_nonzero(quoted))
    rate = np.count_nonzero(mask) / n_quoted if n_quoted else 0.0
    binding.note(kind).metrics[kind.replace("_quote", "_rate")] = rate
    return o.flag(np.flatnonzero(mask))


@check_method("binding", "kind", "bid", "ask", frame=True)
@per_symbol
def crossed_quotes(o: Ordered, *, binding: Binding, kind: str, bid: str, ask: str) -> Verdict:
    """Quoted rows with bid > ask (the limit is a rate over quoted rows)."""
    b, a, quoted = _quotes(o, binding, bid, ask)
    return _rate(o, binding, kind, quoted & (b > a), quoted)


@check_method("binding", "kind", "bid", "ask", frame=True)
@per_symbol
def locked_quotes(o: Ordered, *, binding: Binding, kind: str, bid: str, ask: str) -> Verdict:
    b, a, quoted = _quotes(o, binding, bid, ask)
    return _rate(o, binding, kind, quoted & (b == a), quoted)


@check_method("binding", "kind", "bid", "ask", frame=True)
@per_symbol
def inside_quote(o: Ordered, *, binding: Binding, kind: str, bid: str, ask: str) -> Verdict:
    """A trade prints at or inside an ordered quote (a crossed quote is not a trade-through)."""
    b, a, quoted = _quotes(o, binding, bid, ask)
    price = o.floats("price")
    binding.note(kind)
    outside = quoted & (b <= a) & ((price < b - 1e-9) | (price > a + 1e-9))
    return o.flag(np.flatnonzero(outside))


@check_method("binding", "kind", "bid", "ask", "most", frame=True)
@per_symbol
def near_nbbo(
    o: Ordered, *, binding: Binding, kind: str, bid: str, ask: str, most: float
) -> Verdict:
    """``|price / NBBO mid - 1| <= most`` where quoted."""
    b, a, quoted = _quotes(o, binding, bid, ask)
    mid = (b + a) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = np.abs(o.floats("price") / mid - 1.0)
    binding.note(kind)
    return o.flag(np.flatnonzero(quoted & (mid > 0) & (deviation > most)))


@check_method("binding", "kind", "columns", frame=True)
@per_symbol
def stale_runs(o: Ordered, *, binding: Binding, kind: str, columns: tuple[str, ...]) -> Verdict:
    """No run of identical rows longer than the symbol's adaptive minimum and 30 s (noted as
    runs; the failing row is each run's first)."""
    first, length, need = t4.stale_runs([o.col(c) for c in columns], o.codes, o.starts, o.stops)
    lasting = o.t[first + length - 1] - o.t[first] >= t4.STALE_MIN_SECONDS * 1_000_000_000
    first, length = first[lasting], length[lasting]
    note = binding.note(kind)
    last = first + length - 1
    note.runs.append(runs_frame(kind, o.names[o.codes[first]], o.t[first], o.t[last], length))
    judged = need[need < np.iinfo(np.int64).max]
    if len(judged):
        note.metrics["stale_min_run"] = float(judged.min())
    return o.flag(first)


@check_method("binding", "kind", "column", "ratio", frame=True)
@per_symbol
def volume_spikes(o: Ordered, *, binding: Binding, kind: str, column: str, ratio: float) -> Verdict:
    """No minute above ``ratio`` times the symbol's median minute (the failing row is the
    minute's first)."""
    first, ratio_max = t4.minute_volume_spikes(
        o.t, o.codes, o.col(column), o.starts, o.stops, ratio
    )
    binding.note(kind).metrics["volume_ratio_max"] = ratio_max
    return o.flag(first)


@check_method("binding", "kind", "columns", frame=True)
@per_symbol
def duplicate_prints(
    o: Ordered, *, binding: Binding, kind: str, columns: tuple[str, ...]
) -> Verdict:
    """No row equal to the previous row of its symbol on ts and ``columns``."""
    dup = (o.codes[1:] == o.codes[:-1]) & (o.t[1:] == o.t[:-1])
    for name in columns:
        values = o.col(name)
        dup &= values[1:] == values[:-1]
    binding.note(kind)
    return o.flag(np.flatnonzero(dup) + 1)
