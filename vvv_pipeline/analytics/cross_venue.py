"""Cross-venue crypto: open interest summed over venues, each venue's share, and how the
venues' prices move together or apart (correlation, basis, lead-lag).

Input: open-interest samples of several venues in the ``crypto_open_interest`` columns
(``ts``, ``symbol``, ``venue``, ``open_interest``, ``open_interest_value``, ``mark_price``).
Venues sample on their own clocks (the simulated market every 5 seconds, Binance and Bybit
every 5 minutes at best, MEXC only at its ticker), so every measure works on a common grid
built **as of** each grid point: a venue counts with its latest sample at or before the
point, and not before its first one (:func:`as_of_grid`).

- **Aggregate open interest** (:func:`aggregate_open_interest`): per minute, the venues' open
  interest and its value summed, the number of venues reporting, each venue's share of the
  value, and the spread of their mark prices in bps (max minus min over the median), the
  instant divergence of the venues.
- **Basis** of a venue: ``1e4 x (mark / reference mark - 1)`` bps (:func:`basis_bps`). The
  reference is the venue with the largest mean open-interest value that day (Binance in
  practice): the deepest market is where the price is made.
- **Return correlation**: of one-minute log returns of each venue's mark with the
  reference's, over the day and as a rolling 60-minute window (:func:`rolling_correlation`)
  whose minimum is the day's weakest coupling. One-minute returns, not the native grid: a
  follower a few seconds late is still the same market over a minute.
- **Lead-lag** (:func:`lead_lag`): the lag in grid steps at which the cross-correlation of the
  reference's returns with the venue's later returns peaks, within +-``max_lag`` steps on the
  finest common grid (5 s on the simulated market). A positive lag means the venue trails the
  reference by that long; negative, it leads. The day's *leader* is the venue every other
  venue trails most (the reference when none leads it).
- **Divergence minutes**: minutes whose basis of some venue (at the minute's last marks)
  exceeds :data:`DIVERGENCE_BPS` in absolute value.

Days are New York calendar days, like every crypto daily roll-up. No Dagster here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.oi_spikes import new_york_date

VENUES: tuple[str, ...] = ("binance", "bybit", "mexc")
"""The venues compared, in reporting order (the crypto seed's three; ``CROSS_VENUES``)."""
GRID = "5s"
"""Finest common grid: the lead-lag resolution on 5-second samples."""
MINUTE = "1min"
CORRELATION_WINDOW = 60
"""Minutes of one-minute returns in the rolling correlation."""
MAX_LAG = 12
"""Largest lead or lag searched, in grid steps (12 x 5 s = one minute)."""
DIVERGENCE_BPS = 10.0
"""Minute basis beyond which a minute counts as the venues diverging."""

COLUMNS = {
    "symbol": "crypto pair",
    "date": "New York calendar date, tz-naive midnight",
    "venues": "venues with open-interest samples that day",
    "reference": "reference venue: the largest mean open-interest value of the day",
    "open_interest_last": "open interest summed over the venues at the day's last minute, base "
    "units",
    "open_interest_value_last": "its value at each venue's mark, USDT",
    "open_interest_change_pct": "change of the summed value from the day's first to last minute, %",
    "top_venue": "venue with the largest share of the value at the day's last minute",
    "top_share": "that share, 0..1",
    "leader": "venue the others trail most (lead-lag peak); the reference if none leads it",
    "lead_seconds": "how far the slowest venue trails the leader, seconds",
    "min_return_corr": "lowest whole-day one-minute return correlation of a venue with the "
    "reference",
    "min_rolling_corr": "lowest 60-minute rolling return correlation of any venue with the "
    "reference",
    "max_abs_basis_bps": "largest absolute minute basis of any venue, bps",
    "divergence_minutes": f"minutes with some venue's basis beyond {DIVERGENCE_BPS:g} bps",
}
"""The daily cross-venue summary, one row per (pair, day)."""

VENUE_COLUMNS = {
    "symbol": "crypto pair",
    "date": "New York calendar date, tz-naive midnight",
    "venue": "venue",
    "open_interest_last": "the venue's open interest at the day's last minute, base units",
    "open_interest_value_last": "its value, USDT",
    "share_mean": "mean share of the summed open-interest value over the day's minutes, 0..1",
    "share_last": "share at the day's last minute, 0..1",
    "basis_bps_mean": "mean minute basis against the reference venue (last marks of each "
    "minute), bps; 0 for the reference",
    "basis_bps_std": "standard deviation of the minute basis, bps",
    "basis_bps_max_abs": "largest absolute minute basis, bps",
    "return_corr": "whole-day correlation of one-minute returns with the reference's",
    "lag_seconds": "seconds the venue trails the reference (negative: leads), cross-correlation "
    "peak on the finest common grid",
    "lag_corr": "the cross-correlation at that peak",
}
"""One row per (pair, day, venue)."""

AGGREGATE_COLUMNS = {
    "symbol": "crypto pair",
    "ts": "minute start, UTC; the series index",
    "open_interest": "open interest summed over the venues reporting, base units",
    "open_interest_value": "its value at each venue's mark, USDT",
    "venues": "venues reporting (with a sample at or before the minute)",
    **{f"share_{v}": f"{v}'s share of the summed value, 0..1 (NaN: no sample)" for v in VENUES},
    "basis_spread_bps": "spread of the venues' marks: (max - min) / median, bps",
}
"""Per pair and minute, as of the minute's end."""


def basis_bps(price: pd.Series | np.ndarray, reference: pd.Series | np.ndarray) -> np.ndarray:
    """Premium of ``price`` over ``reference`` in basis points."""
    return 1e4 * (np.asarray(price, dtype=np.float64) / np.asarray(reference, dtype=np.float64) - 1)


def shares(values: pd.DataFrame) -> pd.DataFrame:
    """Each column's share of the row total (NaN cells are venues not reporting)."""
    total = values.sum(axis=1, min_count=1)
    return values.div(total, axis=0)


def lead_lag(
    reference: pd.Series | np.ndarray, other: pd.Series | np.ndarray, max_lag: int = MAX_LAG
) -> tuple[int, float]:
    """(lag, correlation) at the peak of ``corr(reference[t], other[t + lag])``, ``|lag| <=
    max_lag``. A positive lag: ``other`` repeats ``reference``'s moves ``lag`` steps later.

    NaN pairs are skipped; ties go to the smallest absolute lag. (0, NaN) without overlap.
    """
    x = np.asarray(reference, dtype=np.float64)
    y = np.asarray(other, dtype=np.float64)
    best, best_corr = 0, np.nan
    for lag in sorted(range(-max_lag, max_lag + 1), key=abs):
        if lag >= 0:
            a, b = x[: len(x) - lag], y[lag:]
        else:
            a, b = x[-lag:], y[: len(y) + lag]
        keep = np.isfinite(a) & np.isfinite(b)
        if keep.sum() < 3 or np.std(a[keep]) == 0 or np.std(b[keep]) == 0:
            continue
        corr = float(np.corrcoef(a[keep], b[keep])[0, 1])
        if np.isnan(best_corr) or corr > best_corr:
            best, best_corr = lag, corr
    return best, best_corr


def rolling_correlation(a: pd.Series, b: pd.Series, window: int = CORRELATION_WINDOW) -> pd.Series:
    """Rolling correlation over ``window`` aligned rows (at least half of them present)."""
    return a.rolling(window, min_periods=max(3, window // 2)).corr(b)


GRIDDED = ("open_interest", "open_interest_value", "mark_price")
"""The venue columns put on the as-of grid together, in this order."""


def as_of_grid(samples: pd.DataFrame, column: str, freq: str) -> pd.DataFrame:
    """One symbol's ``column`` per venue on a ``freq`` grid: each venue's last sample at or
    before each grid point's end, carried forward, absent before its first sample."""
    return as_of_grids(samples, [column], freq)[column]


def as_of_grids(
    samples: pd.DataFrame, columns: Sequence[str], freq: str
) -> dict[str, pd.DataFrame]:
    """:func:`as_of_grid` of each of ``columns`` (in their order), from one grouping of the
    samples."""
    if samples.empty:
        return {column: pd.DataFrame() for column in columns}
    step = pd.Timedelta(freq)
    bucket = samples["ts"].dt.floor(freq).rename("_bucket")
    # groupby-last then unstack: what pivot_table(aggfunc="last") computes, without its
    # general machinery (it was a fifth of the asset's time); last() skips missing values
    # column by column, so the columns grouped together are each what they are alone
    last = (
        samples[list(columns)]
        .groupby([bucket, samples["venue"]], observed=True, sort=True)
        .last()
        .unstack("venue")
    )
    full = pd.date_range(last.index.min(), last.index.max(), freq=step, name="ts")
    tables = {}
    for column in columns:
        table = last[column].reindex(full).ffill()
        table.columns = [str(c) for c in table.columns]
        tables[column] = table
    return tables


def aggregate_open_interest(samples: pd.DataFrame, freq: str = MINUTE) -> pd.DataFrame:
    """Per (symbol, minute): summed open interest and value, venues reporting, shares and the
    spread of the marks (:data:`AGGREGATE_COLUMNS`)."""
    frames = []
    for symbol, rows in _by_symbol(samples):
        amount, value, mark = as_of_grids(rows, GRIDDED, freq).values()
        share = shares(value)
        out = pd.DataFrame(
            {
                "symbol": symbol,
                "ts": value.index,
                "open_interest": amount.sum(axis=1, min_count=1).to_numpy(),
                "open_interest_value": value.sum(axis=1, min_count=1).to_numpy(),
                "venues": value.notna().sum(axis=1).to_numpy().astype(np.int64),
            }
        )
        for venue in VENUES:
            column = share[venue] if venue in share else pd.Series(np.nan, index=share.index)
            out[f"share_{venue}"] = column.to_numpy()
        spread = (mark.max(axis=1) - mark.min(axis=1)) / mark.median(axis=1)
        out["basis_spread_bps"] = (1e4 * spread).to_numpy()
        frames.append(out)
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in AGGREGATE_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(AGGREGATE_COLUMNS)]


def cross_venue_days(
    samples: pd.DataFrame, grid: str = GRID, max_lag: int = MAX_LAG
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily summary rows, per-venue rows) per (symbol, New York day) of ``samples``."""
    days, venues = [], []
    if len(samples):
        dated = samples.assign(_date=new_york_date(samples["ts"]).to_numpy())
        for (symbol, date), rows in dated.groupby(["symbol", "_date"], observed=True, sort=True):
            summary, per_venue = _one_day(rows.drop(columns="_date"), grid, max_lag)
            days.append({"symbol": symbol, "date": date, **summary})
            venues += [{"symbol": symbol, "date": date, **row} for row in per_venue]
    return _frame(days, COLUMNS), _frame(venues, VENUE_COLUMNS)


def _one_day(rows: pd.DataFrame, grid: str, max_lag: int) -> tuple[dict, list[dict]]:
    amount, value, marks = as_of_grids(rows, GRIDDED, MINUTE).values()
    fine = as_of_grid(rows, "mark_price", _finest(rows, grid))
    names = [v for v in _ordered(value.columns)]
    reference = str(value.mean().idxmax())
    share = shares(value)
    basis = pd.DataFrame({v: basis_bps(marks[v], marks[reference]) for v in names}, marks.index)
    minute_returns = np.log(marks).diff()
    fine_returns = np.log(fine).diff()
    step = pd.Timedelta(fine.index.freq or grid).total_seconds() if len(fine) > 1 else 0.0
    per_venue, lags, correlations, rolling = [], {}, {}, []
    for venue in names:
        lag, lag_corr = lead_lag(fine_returns[reference], fine_returns[venue], max_lag)
        lags[venue] = lag * step
        corr = minute_returns[reference].corr(minute_returns[venue])
        correlations[venue] = corr
        if venue != reference:
            rolling.append(rolling_correlation(minute_returns[reference], minute_returns[venue]))
        per_venue.append(
            {
                "venue": venue,
                "open_interest_last": amount[venue].iloc[-1],
                "open_interest_value_last": value[venue].iloc[-1],
                "share_mean": share[venue].mean(),
                "share_last": share[venue].iloc[-1],
                "basis_bps_mean": basis[venue].mean(),
                "basis_bps_std": basis[venue].std(),
                "basis_bps_max_abs": basis[venue].abs().max(),
                "return_corr": corr if venue != reference else 1.0,
                "lag_seconds": lags[venue],
                "lag_corr": lag_corr,
            }
        )
    total = value.sum(axis=1, min_count=1)
    last_share = share.iloc[-1]
    leader = min(lags, key=lambda v: (lags[v], v != reference))
    followers = [v for v in names if v != reference]
    summary = {
        "venues": len(names),
        "reference": reference,
        "open_interest_last": amount.iloc[-1].sum(min_count=1),
        "open_interest_value_last": total.iloc[-1],
        "open_interest_change_pct": 100.0 * (total.iloc[-1] / total.iloc[0] - 1.0),
        "top_venue": str(last_share.idxmax()),
        "top_share": float(last_share.max()),
        "leader": leader,
        "lead_seconds": max(lags.values()) - lags[leader],
        "min_return_corr": min((correlations[v] for v in followers), default=np.nan),
        "min_rolling_corr": pd.concat(rolling).min() if rolling else np.nan,
        "max_abs_basis_bps": basis.abs().max().max(),
        "divergence_minutes": int((basis.abs() > DIVERGENCE_BPS).any(axis=1).sum()),
    }
    return summary, per_venue


def _finest(rows: pd.DataFrame, grid: str) -> str:
    """The lead-lag grid: ``grid``, or the coarsest venue's own spacing when that is coarser
    (5-minute venues compared on a 5-second grid would be steps of carried values)."""
    spacing = rows.groupby("venue", observed=True)["ts"].apply(lambda ts: ts.diff().median())
    coarsest = spacing.dropna().max() if spacing.notna().any() else pd.Timedelta(grid)
    return grid if coarsest <= pd.Timedelta(grid) else pd.Timedelta(coarsest).floor("1s")


def _ordered(names: Sequence[str]) -> list[str]:
    known = [v for v in VENUES if v in names]
    return known + sorted(v for v in names if v not in VENUES)


def _by_symbol(samples: pd.DataFrame):
    if samples.empty:
        return []
    return samples.groupby("symbol", observed=True, sort=True)


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    frame = pd.DataFrame(rows)[list(columns)]
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return frame
