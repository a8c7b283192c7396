"""The day a metadata row describes, and the grouped numpy helpers every tier shares.

A metadata row is one (symbol, date). ``date`` is tz-naive midnight: the XNYS session date for
equity sources, the America/New_York calendar date for crypto. Its window is half-open UTC:

- ``equity_ticks`` (and dark-pool prints): the regular session ``[open, close)`` from
  :func:`~vvv_pipeline.calendars.session_bounds` (early closes honoured; pre/post market dropped);
- ``crypto_trades``, open interest, options flow and news: the New York calendar day
  ``[00:00, 24:00)`` local (23 or 25 hours on DST changes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import in_symbol_time_order, name_ranked_codes, ts_ns
from vvv_pipeline.bars.session_grid import calendar_day_windows
from vvv_pipeline.calendars import EXCHANGE_TZ, session_bounds

DayLike = str | dt.date | pd.Timestamp
SOURCES = ("equity_ticks", "crypto_trades")
NS_PER_MINUTE = 60_000_000_000


def as_date(day: DayLike) -> pd.Timestamp:
    """``day`` as tz-naive midnight (a tz-aware instant is read in New York)."""
    stamp = pd.Timestamp(day)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(EXCHANGE_TZ).tz_localize(None)
    return stamp.normalize()


def calendar_window(day: DayLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The New York calendar day of ``day`` as UTC ``[open, close)``."""
    frame = calendar_day_windows(as_date(day), as_date(day), EXCHANGE_TZ)
    return frame["open"].iloc[0], frame["close"].iloc[0]


def day_window(source: str, day: DayLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC ``[open, close)`` of ``day`` for ``source`` ("equity_ticks" or "crypto_trades")."""
    if source == "equity_ticks":
        return session_bounds(as_date(day))
    if source == "crypto_trades":
        return calendar_window(day)
    raise ValueError(f"source must be one of {SOURCES}, got {source!r}")


def in_window(frame: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """Rows of ``frame`` with ``open <= ts < close``, stably sorted by (symbol, ts).

    A canonical frame (sorted, ``symbol`` a category) is only filtered: its order is checked on
    the category codes in one pass, and a frame wholly inside the window is not copied.
    """
    if frame is None or len(frame) == 0:
        return frame.iloc[:0] if frame is not None else pd.DataFrame()
    ts = ts_ns(frame["ts"])
    mask = (ts >= window[0].value) & (ts < window[1].value)
    ranked = name_ranked_codes(frame["symbol"])
    if ranked is not None and in_symbol_time_order(ranked[0], ts):
        out = frame.copy(deep=False) if mask.all() else frame.loc[mask]
        return out.set_axis(pd.RangeIndex(len(out)), axis=0, copy=False)
    out = frame.loc[mask]
    keys = out["symbol"].astype(str).to_numpy() if ranked is None else ranked[0][mask]
    order = np.lexsort((ts[mask], keys))
    return out.iloc[order].reset_index(drop=True)


def group_codes(symbols: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes (0..G-1, in sorted symbol order) and the G symbol names of ``symbols``.

    A category column is grouped by its codes (no string is compared); other columns by name,
    hashed (``pd.factorize``: the result of ``np.unique(..., return_inverse=True)`` without its
    sort of every string, 25x faster on two million rows).
    """
    ranked = name_ranked_codes(symbols)
    if ranked is None or len(symbols) == 0:
        codes, names = pd.factorize(symbols.astype(str).to_numpy(), sort=True)
        return codes.astype(np.int64), np.asarray(names, dtype=object)
    ranks, ordered = ranked
    present = np.flatnonzero(np.bincount(ranks, minlength=len(ordered)))
    dense = np.zeros(len(ordered), dtype=np.int64)
    dense[present] = np.arange(len(present))
    names = np.empty(len(present), dtype=object)
    names[:] = [ordered[i] for i in present]
    return dense[ranks], names


def symbol_column(names: np.ndarray | list[str]) -> pd.Categorical:
    """The output ``symbol`` column: a category of the (sorted) symbols present."""
    names = [str(n) for n in names]
    return pd.Categorical(names, categories=sorted(set(names)))


def same_group_as_previous(codes: np.ndarray) -> np.ndarray:
    """Boolean per row: True when the previous row belongs to the same group."""
    out = np.zeros(len(codes), dtype=bool)
    out[1:] = codes[1:] == codes[:-1]
    return out


def group_sum(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group sum (float64); a group with no rows sums to 0."""
    return np.bincount(codes, weights=np.asarray(values, dtype=np.float64), minlength=n_groups)


def group_count(codes: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(codes, minlength=n_groups).astype(np.int64)


def group_first_last(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Row index of each group's first and last row (codes contiguous, every group present)."""
    starts = np.flatnonzero(~same_group_as_previous(codes))
    ends = np.r_[starts[1:], len(codes)] - 1
    return starts, ends


def group_quantiles(
    codes: np.ndarray, values: np.ndarray, n_groups: int, qs: tuple[float, ...]
) -> np.ndarray:
    """Per group (rows) and quantile (columns), what
    ``pd.Series(values).groupby(codes).quantile(qs)`` gives (linear interpolation), to the bit;
    NaN for a group with no rows.

    pandas sorts every value by (group, value) and then, for each group of ``n`` values and each
    ``q``, takes ``v[i] + (v[i + 1] - v[i]) * frac`` at ``q * (n - 1) = i + frac`` (``v[i]`` when
    ``frac`` is 0): the same arithmetic here on each group's own sorted values, without pandas'
    sort of every (group, value) pair (``benchmarks/bench_tier_groups.py``). Values with NaN
    (which pandas leaves out) go to pandas itself.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full((n_groups, len(qs)), np.nan)
    if np.isnan(values).any():
        found = pd.Series(values).groupby(codes).quantile(list(qs)).unstack()
        out[found.index.to_numpy()] = found.to_numpy()
        return out
    with np.errstate(invalid="ignore"):  # infinite neighbours interpolate to NaN, as in pandas
        for group, members in _groups(codes, values, n_groups):
            ordered = np.sort(members)
            for column, q in enumerate(qs):
                position = q * float(len(ordered) - 1)
                index, frac = int(position), position % 1
                below = ordered[index]
                step = (ordered[index + 1] - below) * frac if frac != 0.0 else None
                out[group, column] = below if step is None else below + step
    return out


def group_medians(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, what ``pd.Series(values).groupby(codes).median()`` gives, to the bit: the
    middle value, or ``(upper + lower) / 2`` of the two middle ones; NaN for a group with no
    rows. Values with NaN (which pandas leaves out) go to pandas itself."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(n_groups, np.nan)
    if np.isnan(values).any():
        found = pd.Series(values).groupby(codes).median()
        out[found.index.to_numpy()] = found.to_numpy()
        return out
    with np.errstate(invalid="ignore"):  # opposite infinities average to NaN, as in pandas
        for group, members in _groups(codes, values, n_groups):
            n = len(members)
            middle = np.partition(members, [(n - 1) // 2, n // 2])
            upper = middle[n // 2]
            out[group] = upper if n % 2 else (upper + middle[n // 2 - 1]) / 2
    return out


def _groups(
    codes: np.ndarray, values: np.ndarray, n_groups: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Each group with rows and its values, in row order (codes stably sorted if they are not
    already, as canonical frames' are)."""
    if len(codes) and not (np.diff(codes) >= 0).all():
        order = np.argsort(codes, kind="stable")
        codes, values = codes[order], values[order]
    bounds = np.searchsorted(codes, np.arange(n_groups + 1))
    for group in range(n_groups):
        if bounds[group + 1] > bounds[group]:
            yield group, values[bounds[group] : bounds[group + 1]]


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 or NaN."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def markdown(columns: dict[str, str]) -> str:
    """A markdown table (docs, asset descriptions) of a tier's ``COLUMNS``."""
    rows = "\n".join(f"| `{name}` | {doc} |" for name, doc in columns.items())
    return f"| column | definition |\n| --- | --- |\n{rows}"
