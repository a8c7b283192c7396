"""Risk metrics from daily closes: volatility, historical VaR/CVaR, Sharpe, Sortino, drawdown, beta.

Input ``closes``: columns ``symbol``, ``date`` (a day: tz-naive, or a tz-aware instant read
in New York) and ``close`` (quote currency, > 0), one row per symbol-day in any order. NaN closes
are dropped. Where the frame has an ``adj_close`` column (:mod:`.adjustment`, or the canonical
daily_ohlcv's) every metric reads it instead of ``close``: returns are then total returns, so a
split is no crash and a dividend no loss. Output of :func:`risk_metrics`: one row per symbol
with a close on or before ``as_of``; ``date`` is ``as_of`` (default: the latest date in
``closes``). Columns in :data:`COLUMNS`. :func:`correlation_matrix` gives the return
correlations across the universe.

Conventions (docs/analytics.md quotes them):

- **Returns** are simple daily returns ``r = close_t / close_(t-1) - 1`` between a symbol's
  consecutive closes in the frame (a gap in the dates is one return). Simple, not log, so that
  VaR, CVaR and drawdown read directly as the fraction of position value lost.
- **Window**: every metric uses the symbol's last ``lookback`` returns (default 252, one trading
  year) up to ``as_of`` and needs at least ``min_returns`` (default 20) of them, else NaN;
  ``rolling_vol_20d`` uses exactly the last 20 returns (NaN with fewer).
- **Annualization**: 252 trading days a year; volatility and the Sharpe/Sortino ratios are
  scaled by ``sqrt(252)``; the risk-free rate is an annual simple rate, ``rf / 252`` per day.
- **VaR sign**: VaR and CVaR are one-day losses as **positive** fractions (0.02 = 2 % of value);
  a negative VaR means even the tail return was a gain. With the ``n`` window returns sorted
  ascending ``r_(1) <= ... <= r_(n)`` and ``k = ceil(n x (1 - level))`` (integer arithmetic:
  ``k = 5`` for ``n = 100`` at 95 %), ``VaR = -r_(k)`` and ``CVaR = -mean(r_(1) .. r_(k))``,
  so ``CVaR >= VaR`` always.
- **Max drawdown** is the largest peak-to-trough fall of the close over the window (its
  ``lookback + 1`` closes, the first being the initial peak), a positive fraction.
- **Beta** to SPY is ``cov(r, r_SPY) / var(r_SPY)`` over the dates where both have a return
  inside the symbol's window (at least ``min_returns`` of them); SPY's own beta is 1. Crypto
  closes on days SPY does not trade have no partner and drop out of the pairing.
- **Correlation**: Pearson correlation of the same daily returns, pairwise over common dates,
  NaN for a pair sharing fewer than ``min_returns`` dates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.metadata_tiers.windows import symbol_column

TRADING_DAYS = 252
LOOKBACK_DAYS = 252
VOL_WINDOW = 20
MIN_RETURNS = 20
BENCHMARK = "SPY"

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "as-of date, tz-naive midnight: metrics use closes up to and including it",
    "rolling_vol_20d": "std (ddof 1) of the last 20 simple daily returns x sqrt(252), annualized "
    "fraction",
    "var_95": "one-day historical VaR at 95 %: -r_(k), k = ceil(n x 0.05), positive = loss",
    "var_99": "one-day historical VaR at 99 %: -r_(k), k = ceil(n x 0.01), positive = loss",
    "cvar_95": "mean loss of the k worst returns at 95 % (expected shortfall), positive = loss",
    "cvar_99": "mean loss of the k worst returns at 99 % (expected shortfall), positive = loss",
    "sharpe": "mean(r - rf/252) / std(r, ddof 1) x sqrt(252) over the window",
    "sortino": "mean(r - rf/252) / sqrt(mean(min(r - rf/252, 0)^2)) x sqrt(252); NaN without "
    "a loss",
    "max_drawdown": "largest peak-to-trough fall of the close over the window, positive fraction",
    "beta_spy": "cov(r, r_SPY) / var(r_SPY) over common dates in the window",
}


def prepare_closes(closes: pd.DataFrame, as_of: object = None) -> tuple[pd.DataFrame, pd.Timestamp]:
    """``closes`` validated, sorted by (symbol, date), cut at ``as_of``, with a ``ret`` column."""
    price = "adj_close" if "adj_close" in closes.columns else "close"
    missing = [c for c in ("symbol", "date", price) if c not in closes.columns]
    if missing:
        raise ValueError(f"closes: missing required column(s) {missing}")
    date = pd.to_datetime(closes["date"])
    if date.dt.tz is not None:  # a tz-aware instant names its New York day
        date = date.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "symbol": closes["symbol"].astype(str).to_numpy(),
            "date": date.dt.normalize().astype("datetime64[ns]").to_numpy(),
            "close": closes[price].to_numpy(dtype=np.float64),
        }
    ).dropna(subset=["close"])
    if (frame["close"] <= 0).any():
        raise ValueError(f"closes: {price} must be > 0")
    if frame.duplicated(["symbol", "date"]).any():
        raise ValueError("closes: more than one close for a (symbol, date)")
    stamp = frame["date"].max() if as_of is None else pd.Timestamp(as_of).normalize()
    frame = frame.loc[frame["date"] <= stamp].sort_values(["symbol", "date"], ignore_index=True)
    frame["ret"] = frame["close"] / frame.groupby("symbol", sort=False)["close"].shift(1) - 1.0
    return frame, stamp


def _from_end(frame: pd.DataFrame) -> np.ndarray:
    """Each row's position counted back from its symbol's last row (0 = latest)."""
    return frame.groupby("symbol", sort=False).cumcount(ascending=False).to_numpy()


def tail_count(counts: np.ndarray | int, level_pct: int) -> np.ndarray | int:
    """``k = ceil(n x (1 - level))``: how many worst returns the VaR/CVaR tail of ``n`` holds.

    Integer arithmetic (``level_pct`` in percent): no ``100 x 0.05 = 5.000...1`` trap.
    """
    return -((-counts * (100 - level_pct)) // 100)


def _tail_losses(
    ordered: np.ndarray, counts: np.ndarray, level_pct: int
) -> tuple[np.ndarray, np.ndarray]:
    """(VaR, CVaR) per column of ascending returns (NaN last) with ``counts`` valid values."""
    k = tail_count(counts, level_pct)
    cols = np.arange(ordered.shape[1])
    rows = np.maximum(k - 1, 0)
    worst_sum = np.nancumsum(ordered, axis=0)[rows, cols]
    var = -ordered[rows, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        cvar = -worst_sum / k
    return var, cvar


def _drawdowns(frame: pd.DataFrame, lookback: int, codes: np.ndarray, n: int) -> np.ndarray:
    """Max drawdown per symbol over its last ``lookback + 1`` closes."""
    window = frame.loc[_from_end(frame) <= lookback]
    peak = window.groupby("symbol", sort=False)["close"].cummax().to_numpy()
    fall = 1.0 - window["close"].to_numpy() / peak
    out = np.zeros(n)
    np.maximum.at(out, codes[window.index.to_numpy()], fall)
    return out


def _betas(windowed: pd.DataFrame, frame: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """Per symbol: ``beta`` of its window returns to the benchmark's on the same dates, ``n``."""
    bench = frame.loc[frame["symbol"] == benchmark, ["date", "ret"]].rename(columns={"ret": "x"})
    pairs = windowed[["symbol", "date", "ret"]].merge(bench, on="date").dropna()
    grouped = pairs.groupby("symbol", sort=False)
    xc = pairs["x"] - grouped["x"].transform("mean")
    yc = pairs["ret"] - grouped["ret"].transform("mean")
    sums = pd.DataFrame({"symbol": pairs["symbol"], "xy": xc * yc, "xx": xc * xc})
    totals = sums.groupby("symbol", sort=False).agg(xy=("xy", "sum"), xx=("xx", "sum"))
    totals["n"] = grouped.size()
    totals["beta"] = totals["xy"] / totals["xx"].where(totals["xx"] > 0)
    return totals[["beta", "n"]]


def _moments(wide: np.ndarray, risk_free_rate: float) -> dict[str, np.ndarray]:
    """Annualized vol, Sharpe and Sortino per column of a (window x symbol) return matrix."""
    valid = ~np.isnan(wide)
    counts = valid.sum(axis=0)
    values = np.where(valid, wide, 0.0)
    excess = np.where(valid, wide - risk_free_rate / TRADING_DAYS, 0.0)
    recent, recent_valid = values[:VOL_WINDOW], valid[:VOL_WINDOW]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values.sum(axis=0) / counts
        std = np.sqrt(np.where(valid, (values - mean) ** 2, 0.0).sum(axis=0) / (counts - 1))
        mean_excess = excess.sum(axis=0) / counts
        downside = np.sqrt((np.minimum(excess, 0.0) ** 2).sum(axis=0) / counts)
        recent_mean = recent.sum(axis=0) / VOL_WINDOW
        recent_var = np.where(recent_valid, (recent - recent_mean) ** 2, 0.0).sum(axis=0)
        vol = np.sqrt(recent_var / (VOL_WINDOW - 1))
        return {
            "rolling_vol_20d": np.where(recent_valid.sum(axis=0) == VOL_WINDOW, vol, np.nan)
            * math.sqrt(TRADING_DAYS),
            "sharpe": mean_excess / std * math.sqrt(TRADING_DAYS),
            "sortino": np.where(downside > 0, mean_excess / downside, np.nan)
            * math.sqrt(TRADING_DAYS),
        }


def risk_metrics(
    closes: pd.DataFrame,
    as_of: object = None,
    lookback: int = LOOKBACK_DAYS,
    min_returns: int = MIN_RETURNS,
    risk_free_rate: float = 0.0,
    benchmark: str = BENCHMARK,
) -> pd.DataFrame:
    """One row of risk metrics per symbol as of ``as_of``; see the module docstring."""
    if lookback < VOL_WINDOW or min_returns < 2:
        raise ValueError(f"risk_metrics: need lookback >= {VOL_WINDOW} and min_returns >= 2")
    frame, stamp = prepare_closes(closes, as_of)
    names = np.unique(frame["symbol"].to_numpy())
    n = len(names)
    codes = np.searchsorted(names, frame["symbol"].to_numpy())
    returns = frame.dropna(subset=["ret"])
    rank = _from_end(returns)
    windowed = returns.loc[rank < lookback]
    # (position back from the latest return) x symbol, NaN-padded for short histories
    wide = np.full((lookback, n), np.nan)
    wide[rank[rank < lookback], codes[windowed.index.to_numpy()]] = windowed["ret"].to_numpy()
    counts = (~np.isnan(wide)).sum(axis=0)
    ordered = np.sort(wide, axis=0)
    var_95, cvar_95 = _tail_losses(ordered, counts, 95)
    var_99, cvar_99 = _tail_losses(ordered, counts, 99)
    moments = _moments(wide, risk_free_rate)
    betas = _betas(windowed, frame, benchmark).reindex(names)
    out = pd.DataFrame(
        {
            "symbol": symbol_column(names),
            "date": pd.DatetimeIndex([stamp] * n).astype("datetime64[ns]"),
            "rolling_vol_20d": moments["rolling_vol_20d"],
            "var_95": var_95,
            "var_99": var_99,
            "cvar_95": cvar_95,
            "cvar_99": cvar_99,
            "sharpe": moments["sharpe"],
            "sortino": moments["sortino"],
            "max_drawdown": _drawdowns(frame, lookback, codes, n),
            "beta_spy": np.where(
                betas["n"].fillna(0).to_numpy() >= min_returns, betas["beta"].to_numpy(), np.nan
            ),
        }
    )
    out.loc[counts < min_returns, list(COLUMNS)[3:-1]] = np.nan
    return out


def correlation_matrix(
    closes: pd.DataFrame,
    as_of: object = None,
    lookback: int = LOOKBACK_DAYS,
    min_returns: int = MIN_RETURNS,
) -> pd.DataFrame:
    """Square frame of return correlations, index and columns the sorted symbols.

    Uses each symbol's last ``lookback`` returns up to ``as_of``, paired on common dates; the
    diagonal is 1 for a symbol with at least ``min_returns`` returns, NaN otherwise.
    """
    frame, _ = prepare_closes(closes, as_of)
    returns = frame.dropna(subset=["ret"])
    windowed = returns.loc[_from_end(returns) < lookback]
    wide = windowed.pivot(index="date", columns="symbol", values="ret")
    names = sorted(frame["symbol"].unique())
    matrix = wide.reindex(columns=names).corr(min_periods=min_returns)
    matrix.index.name = "symbol"
    matrix.columns.name = "symbol"
    return matrix
