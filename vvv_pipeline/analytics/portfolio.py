"""Portfolio analytics: value, P&L, weights, exposures, VaR/CVaR with contributions, drawdown, beta.

Inputs of :func:`portfolio_metrics`:

- ``positions``: columns ``symbol``, ``quantity`` (shares held now, **negative = short**, never
  0) and ``cost_basis`` (average price per share paid, or received for a short; > 0);
- ``cash`` in the quote currency (may be negative: a margin loan);
- ``closes``: daily closes as :mod:`.risk` takes them (``symbol``, ``date``, ``close`` or
  ``adj_close``), for every held symbol and the benchmark (SPY).

Output: :class:`PortfolioDay`, one summary row (columns :data:`COLUMNS`) and one row per
position (:data:`POSITION_COLUMNS`) as of ``as_of``; :func:`portfolio_history` stacks several
sessions. No row at all for a session on which some held symbol has no close.

Conventions (docs/analytics.md quotes them):

- **Holdings are a snapshot**: the same quantities are applied to every date (no trade
  history). The portfolio's value on date ``s`` is ``V_s = cash + sum_i q_i p_i,s`` over the
  dates on which *every* held symbol has a close (the common dates); prices are the closes the
  pipeline reads (adjusted where daily_ohlcv has them: on the latest session that is the traded
  close, earlier ones are back-adjusted, so the history has no split or dividend jumps).
- **Value**: ``market_value_i = q_i p_i`` (negative for a short), ``weight_i = market_value_i /
  V`` (shorts weigh negative; weights plus ``cash / V`` sum to 1). Exposures are in currency:
  long = sum of positive market values, short = minus the sum of negative ones (>= 0), gross =
  long + short, net = long - short; ``gross_leverage = gross / V``.
- **P&L**: daily ``pnl_day = sum q_i (p_i,t - p_i,t-1)`` against the previous common date
  (NaN on the first); ``return_day = pnl_day / V_t-1``; cumulative ``pnl_total = sum q_i
  (p_i,t - cost_basis_i)`` (unrealized, against the cost basis; a short gains when the price
  falls below what it was sold at). Cash earns nothing.
- **Risk** of the value series ``V``, exactly as :func:`.risk.risk_metrics` computes it for a
  symbol's closes (it is called with ``V`` as a pseudo-symbol): simple returns ``r_s = V_s /
  V_s-1 - 1`` over the last 252 (>= 20 needed, else NaN), historical one-day VaR and CVaR at
  95 % as positive fractions of value (``k = ceil(n x 0.05)`` worst returns; VaR is the k-th
  worst loss, CVaR the mean of the k worst), max drawdown of ``V`` over the window, beta to
  SPY on common dates, 20-day volatility. ``var_95_value``/``cvar_95_value`` are the same
  losses in currency at today's value (fraction x ``V_t``). A value history that is ever <= 0
  (a short book bigger than its equity) has no returns to speak of: every risk column is NaN.
- **Contributions** (component VaR/CVaR by historical simulation): scenario ``s``'s return splits
  exactly into the positions' P&L over the previous value, ``c_i,s = q_i (p_i,s - p_i,s-1) /
  V_s-1`` with ``sum_i c_i,s = r_s`` (cash contributes 0). With the window's scenarios sorted by
  ``r`` (ties: earlier date first) the tail is the k worst; ``cvar_contribution_95_i = -mean of
  c_i,s over the tail`` and ``var_contribution_95_i = -c_i,s*`` at the k-th worst scenario
  ``s*``. They sum over the positions to ``cvar_95`` and ``var_95`` exactly (up to rounding); a
  negative contribution is a hedge (the position gained in the portfolio's worst days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.risk import (
    BENCHMARK,
    LOOKBACK_DAYS,
    MIN_RETURNS,
    prepare_closes,
    risk_metrics,
    tail_count,
)

LEVEL_PCT = 95
PORTFOLIO = "__portfolio__"
"""The pseudo-symbol the value series is handed to :func:`.risk.risk_metrics` under."""

COLUMNS: dict[str, str] = {
    "date": "as-of session date, tz-naive midnight: values use closes up to and including it",
    "positions": "number of positions held",
    "cash": "cash, quote currency (negative: a margin loan)",
    "market_value": "sum of quantity x close over the positions (net of shorts), quote currency",
    "total_value": "cash + market_value, quote currency",
    "long_exposure": "sum of the positive market values, quote currency",
    "short_exposure": "minus the sum of the negative market values (>= 0), quote currency",
    "gross_exposure": "long_exposure + short_exposure, quote currency",
    "net_exposure": "long_exposure - short_exposure, quote currency",
    "gross_leverage": "gross_exposure / total_value",
    "pnl_day": "sum of quantity x (close - previous close), quote currency; NaN on the first date",
    "return_day": "pnl_day / the previous date's total_value",
    "pnl_total": "sum of quantity x (close - cost_basis): unrealized P&L, quote currency",
    "n_returns": "daily returns of the value series in the risk window (at most 252)",
    "rolling_vol_20d": "std (ddof 1) of the last 20 daily returns of the value x sqrt(252)",
    "var_95": "one-day historical VaR at 95 % of the value series: -r_(k), k = ceil(n x 0.05), "
    "positive fraction = loss",
    "cvar_95": "mean loss of the k worst daily returns of the value series (expected shortfall), "
    "positive fraction",
    "var_95_value": "var_95 x total_value, quote currency",
    "cvar_95_value": "cvar_95 x total_value, quote currency",
    "max_drawdown": "largest peak-to-trough fall of the value over the window, positive fraction",
    "beta_spy": "cov(r, r_SPY) / var(r_SPY) of the value's daily returns over common dates",
}
POSITION_COLUMNS: dict[str, str] = {
    "symbol": "held equity symbol",
    "date": "as-of session date, tz-naive midnight",
    "quantity": "shares held (negative: a short), from the holdings file",
    "cost_basis": "average price per share paid (received, for a short)",
    "close": "close of the date (adjusted where daily_ohlcv has it)",
    "market_value": "quantity x close, quote currency (negative for a short)",
    "weight": "market_value / the portfolio's total_value (negative for a short)",
    "pnl_day": "quantity x (close - previous close), quote currency; NaN on the first date",
    "pnl_total": "quantity x (close - cost_basis), quote currency",
    "var_contribution_95": "-(the position's P&L / previous total value) in the k-th worst "
    "scenario of the portfolio: the positions sum to var_95",
    "cvar_contribution_95": "-mean of (the position's P&L / previous total value) over the k "
    "worst scenarios of the portfolio: the positions sum to cvar_95",
}
_RISK = ("rolling_vol_20d", "var_95", "cvar_95", "max_drawdown", "beta_spy")


@dataclass(frozen=True)
class PortfolioDay:
    """One session's portfolio: the summary (0 or 1 row) and its positions (0 or one per held)."""

    summary: pd.DataFrame
    positions: pd.DataFrame


def _empty() -> PortfolioDay:
    return PortfolioDay(
        pd.DataFrame(columns=list(COLUMNS)), pd.DataFrame(columns=list(POSITION_COLUMNS))
    )


def _checked(positions: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("symbol", "quantity", "cost_basis") if c not in positions.columns]
    if missing:
        raise ValueError(f"positions: missing required column(s) {missing}")
    frame = pd.DataFrame(
        {
            "symbol": positions["symbol"].astype(str).to_numpy(),
            "quantity": positions["quantity"].to_numpy(dtype=np.float64),
            "cost_basis": positions["cost_basis"].to_numpy(dtype=np.float64),
        }
    )
    if frame.empty or frame["symbol"].duplicated().any():
        raise ValueError("positions: need at least one position and each symbol once")
    if not (np.isfinite(frame["quantity"]) & (frame["quantity"] != 0)).all():
        raise ValueError("positions: quantity must be finite and non-zero (negative is a short)")
    if not (np.isfinite(frame["cost_basis"]) & (frame["cost_basis"] > 0)).all():
        raise ValueError("positions: cost_basis must be finite and > 0")
    return frame


def portfolio_metrics(
    positions: pd.DataFrame,
    cash: float,
    closes: pd.DataFrame,
    as_of: object = None,
    lookback: int = LOOKBACK_DAYS,
    min_returns: int = MIN_RETURNS,
    benchmark: str = BENCHMARK,
) -> PortfolioDay:
    """The portfolio as of ``as_of`` (default: the latest date in ``closes``); see the module."""
    held = _checked(positions)
    symbols = held["symbol"].tolist()
    frame, stamp = prepare_closes(closes, as_of)
    # one column per held symbol, only the dates on which every one of them has a close
    prices = (
        frame.loc[frame["symbol"].isin(symbols)]
        .pivot(index="date", columns="symbol", values="close")
        .reindex(columns=symbols)
        .dropna()
    )
    if prices.empty or prices.index[-1] != stamp:
        return _empty()
    quantity = held["quantity"].to_numpy()
    price = prices.to_numpy()
    value = cash + price @ quantity  # V_s per common date
    today, mv = price[-1], quantity * price[-1]
    total = float(value[-1])
    has_previous = len(value) > 1
    step = quantity * (price[-1] - price[-2]) if has_previous else np.full(len(held), np.nan)
    long, short = float(mv[mv > 0].sum()), float(-mv[mv < 0].sum())

    risk = dict.fromkeys(_RISK, np.nan)
    contribution_var = contribution_cvar = np.full(len(held), np.nan)
    returns = value[1:] / value[:-1] - 1.0
    window = min(len(returns), lookback)
    if (value > 0).all():
        series = pd.DataFrame({"symbol": PORTFOLIO, "date": prices.index, "close": value})
        bench = frame.loc[frame["symbol"] == benchmark, ["symbol", "date", "close"]]
        metrics = risk_metrics(
            pd.concat([series, bench], ignore_index=True),
            as_of=stamp,
            lookback=lookback,
            min_returns=min_returns,
            benchmark=benchmark,
        )
        row = metrics.loc[metrics["symbol"].astype(str) == PORTFOLIO].iloc[0]
        risk = {name: float(row[name]) for name in _RISK}
        if window >= min_returns:
            # c_{i,s}: each position's P&L in scenario s over the previous value; rows sum to r_s
            parts = (np.diff(price, axis=0) * quantity / value[:-1, None])[-window:]
            order = np.argsort(returns[-window:], kind="stable")
            k = int(tail_count(window, LEVEL_PCT))
            contribution_var = -parts[order[k - 1]]
            contribution_cvar = -parts[order[:k]].mean(axis=0)

    date = pd.Timestamp(stamp)
    pnl_day = float(step.sum()) if has_previous else np.nan
    summary = pd.DataFrame(
        {
            "date": [date],
            "positions": [len(held)],
            "cash": [float(cash)],
            "market_value": [float(mv.sum())],
            "total_value": [total],
            "long_exposure": [long],
            "short_exposure": [short],
            "gross_exposure": [long + short],
            "net_exposure": [long - short],
            "gross_leverage": [(long + short) / total if total > 0 else np.nan],
            "pnl_day": [pnl_day],
            "return_day": [pnl_day / value[-2] if has_previous and value[-2] > 0 else np.nan],
            "pnl_total": [float((quantity * (today - held["cost_basis"].to_numpy())).sum())],
            "n_returns": [window],
            "rolling_vol_20d": [risk["rolling_vol_20d"]],
            "var_95": [risk["var_95"]],
            "cvar_95": [risk["cvar_95"]],
            "var_95_value": [risk["var_95"] * total],
            "cvar_95_value": [risk["cvar_95"] * total],
            "max_drawdown": [risk["max_drawdown"]],
            "beta_spy": [risk["beta_spy"]],
        }
    )
    summary["date"] = summary["date"].astype("datetime64[ns]")
    per_position = pd.DataFrame(
        {
            "symbol": symbols,
            "date": pd.DatetimeIndex([date] * len(held)).astype("datetime64[ns]"),
            "quantity": quantity,
            "cost_basis": held["cost_basis"].to_numpy(),
            "close": today,
            "market_value": mv,
            "weight": mv / total if total != 0 else np.nan,
            "pnl_day": step,
            "pnl_total": quantity * (today - held["cost_basis"].to_numpy()),
            "var_contribution_95": contribution_var,
            "cvar_contribution_95": contribution_cvar,
        }
    )
    return PortfolioDay(summary, per_position)


def portfolio_history(
    positions: pd.DataFrame,
    cash: float,
    closes: pd.DataFrame,
    sessions: list[object],
    **options: object,
) -> PortfolioDay:
    """:func:`portfolio_metrics` as of each of ``sessions``, stacked (sessions without a row
    are left out)."""
    days = [portfolio_metrics(positions, cash, closes, as_of=s, **options) for s in sessions]
    kept = [d for d in days if len(d.summary)]
    if not kept:
        return _empty()
    return PortfolioDay(
        pd.concat([d.summary for d in kept], ignore_index=True),
        pd.concat([d.positions for d in kept], ignore_index=True),
    )
