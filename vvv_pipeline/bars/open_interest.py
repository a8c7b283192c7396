"""Crypto open interest on fixed windows (5 seconds by default), and OI columns on time bars.

Open interest is a level (contracts outstanding), not a flow, so a window's value is the **last**
sample in it, not a sum. Windows are ``[start, start + seconds)`` aligned to the UTC epoch and
labelled by their start, like time bars; a window without samples emits no row.

Several venues (``by_venue=False``, the default) add up to the cross-exchange total: each venue's
last sample in a window, a venue without a sample in that window contributing its last earlier
value in the frame (a venue not seen yet contributes nothing). ``mark_price`` is then the
OI-weighted mark, ``open_interest_value / open_interest``. ``by_venue=True`` keeps one series
per (symbol, venue) instead.

``oi_change`` is the change from the symbol's previous emitted window (its previous row, even
across a gap); for a frame's first window it is measured against ``previous`` (the last
``oi_windows`` rows of the previous partition) when given, else NaN. ``oi_change_pct`` is that
change over the previous value.

:func:`join_oi` adds per-bar OI to crypto time bars: ``oi_open`` is the open interest known at
the bar's start (the last window ending at or before it), ``oi_close`` at its end, and
``oi_change = oi_close - oi_open``, so bar changes add up across consecutive bars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import symbol_codes, ts_ns, utc
from vvv_pipeline.bars.spec import BarSpec

OI_WINDOW_COLUMNS = [
    "symbol",
    "ts",
    "open_interest",
    "open_interest_value",
    "mark_price",
    "samples",
    "oi_change",
    "oi_change_pct",
]
"""Columns of :func:`oi_windows` (``venue`` follows ``symbol`` when ``by_venue``)."""

BAR_OI_COLUMNS = ("oi_open", "oi_close", "oi_change")
"""Columns :func:`join_oi` adds to crypto time bars."""


def _last_per_window(oi: pd.DataFrame, width: int, keys: list[str]) -> pd.DataFrame:
    """Last sample of each (keys, window) group; vectorized, sorting only across venues."""
    ts = ts_ns(oi["ts"])
    codes = [symbol_codes(oi[k])[0].astype(np.int64) for k in keys]
    window = ts // width
    if len(keys) > 1:
        order = np.lexsort((ts, *reversed(codes)))
        ts, window, codes = ts[order], window[order], [c[order] for c in codes]
        oi = oi.iloc[order]
    same = np.ones(len(ts) - 1 if len(ts) else 0, dtype=bool)
    for c in codes:
        same &= c[1:] == c[:-1]
    if np.any(same & (ts[1:] < ts[:-1])):
        raise ValueError("open interest must be sorted by ts within each symbol")
    last = np.flatnonzero(np.append(~(same & (window[1:] == window[:-1])), True))
    samples = np.diff(np.concatenate([[-1], last]))
    out = {k: oi[k].to_numpy()[last] for k in keys}
    out["ts"] = utc(window[last] * width)
    for col in ("open_interest", "open_interest_value", "mark_price"):
        out[col] = oi[col].to_numpy(dtype=float)[last]
    out["samples"] = samples
    return pd.DataFrame(out)


def _sum_venues(per_venue: pd.DataFrame) -> pd.DataFrame:
    """Cross-venue totals per (symbol, window), each venue forward-filled within its symbol."""
    values = ["open_interest", "open_interest_value"]
    wide = per_venue.pivot_table(
        index=["symbol", "ts"], columns="venue", values=values, observed=True, sort=True
    )
    wide = wide.groupby(level="symbol", observed=True).ffill()
    out = pd.DataFrame({v: wide[v].sum(axis=1, min_count=1) for v in values})
    out["mark_price"] = out["open_interest_value"] / out["open_interest"]
    out["samples"] = per_venue.groupby(["symbol", "ts"], observed=True, sort=True)["samples"].sum()
    return out.reset_index()


def oi_windows(
    oi: pd.DataFrame,
    seconds: int = 5,
    previous: pd.DataFrame | None = None,
    by_venue: bool = False,
) -> pd.DataFrame:
    """Open interest per ``seconds`` window with its change; see the module docstring."""
    width = int(seconds) * 1_000_000_000
    keys = ["symbol", "venue"] if by_venue or oi["venue"].nunique() > 1 else ["symbol"]
    frame = _last_per_window(oi, width, keys)
    if len(keys) > 1 and not by_venue:
        frame = _sum_venues(frame)
    keys = ["symbol", "venue"] if by_venue else ["symbol"]
    prior = frame.groupby(keys, observed=True, sort=False)["open_interest"].shift(1)
    if previous is not None and not previous.empty:
        as_text = {k: previous[k].astype(str) for k in keys}
        last = previous.assign(**as_text).groupby(keys)["open_interest"].last().rename("_last")
        first = ~frame.duplicated(keys)
        heads = frame.loc[first, keys].astype(str).merge(last.reset_index(), on=keys, how="left")
        prior.loc[first] = heads["_last"].to_numpy()
    frame["oi_change"] = frame["open_interest"] - prior
    frame["oi_change_pct"] = frame["oi_change"] / prior
    for k in keys:
        frame[k] = frame[k].astype(oi[k].dtype)
    columns = OI_WINDOW_COLUMNS[:1] + (["venue"] if by_venue else []) + OI_WINDOW_COLUMNS[1:]
    return frame[columns].reset_index(drop=True)


def bar_bounds(bars: pd.DataFrame, spec: BarSpec) -> tuple[pd.Series, pd.Series]:
    """(start, end) of 24/7 time bars from their labels; daily bars are local days."""
    label = bars["ts"]
    if spec.is_daily:
        day = pd.DateOffset(days=1)
        local = label.dt.tz_convert(spec.day_tz)
        other = (local + day if spec.label == "left" else local - day).dt.tz_convert("UTC")
    else:
        step = pd.Timedelta(spec.width_ns, "ns")
        other = label + step if spec.label == "left" else label - step
    return (label, other) if spec.label == "left" else (other, label)


def oi_unknown(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` with NaN OI columns: no window is known (a day without OI samples, or live
    bars before their day's windows are built). The columns are always present, so every day
    of a series has the same schema."""
    return bars.assign(**dict.fromkeys(BAR_OI_COLUMNS, np.nan))


def join_oi(
    bars: pd.DataFrame, windows: pd.DataFrame, spec: BarSpec | str = "1min", seconds: int = 5
) -> pd.DataFrame:
    """Crypto time bars with ``oi_open``, ``oi_close`` and ``oi_change`` (see module docstring).

    ``windows`` is :func:`oi_windows` output (``by_venue=False``) with ``seconds`` windows.
    Left-closed bars only: a window belongs to the bar containing its start. One searchsorted per
    symbol; no per-row Python. No windows (or no bars): :func:`oi_unknown`.
    """
    if len(windows) == 0 or len(bars) == 0:
        return oi_unknown(bars)
    spec = spec if isinstance(spec, BarSpec) else BarSpec(spec)
    if spec.closed != "left":
        raise ValueError("join_oi supports left-closed bars (the OI windows are left-closed)")
    start, end = bar_bounds(bars, spec)
    start_ns, end_ns = ts_ns(start), ts_ns(end)
    width = int(seconds) * 1_000_000_000
    oi_ts = ts_ns(windows["ts"]) + width
    oi_value = windows["open_interest"].to_numpy(dtype=float)
    oi_sym = windows["symbol"].astype(str).to_numpy()
    bar_sym = bars["symbol"].astype(str).to_numpy()
    oi_open = np.full(len(bars), np.nan)
    oi_close = np.full(len(bars), np.nan)
    for symbol in pd.unique(bar_sym):
        rows = np.flatnonzero(bar_sym == symbol)
        mine = np.flatnonzero(oi_sym == symbol)
        if not len(mine):
            continue
        known_ts, known = oi_ts[mine], oi_value[mine]
        for target, at in ((oi_open, start_ns[rows]), (oi_close, end_ns[rows])):
            j = np.searchsorted(known_ts, at, side="right") - 1
            target[rows] = np.where(j >= 0, known[np.maximum(j, 0)], np.nan)
    out = bars.copy()
    out["oi_open"] = oi_open
    out["oi_close"] = oi_close
    out["oi_change"] = oi_close - oi_open
    return out
