"""Analytics assets: one per analysis and asset class, downstream of bars and tiers.

Each reads its inputs from ArcticDB (bars, tiers, earlier analytics) or the DuckDB warehouse
(asset inputs), computes with :mod:`vvv_pipeline.analytics`, and replaces its window of one
series per symbol in its own ``analytics_*`` library (see :mod:`vvv_pipeline.defs.assets.derive`).
Per-day rows are indexed by the day's New York midnight; intraday rows by their time.
"""

import math
from collections.abc import Callable

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.analytics.adjustment import adjusted_history
from vvv_pipeline.analytics.flow import flow_view
from vvv_pipeline.analytics.forecast import SPEC as FORECAST_SPEC
from vvv_pipeline.analytics.forecast import forecast_sessions
from vvv_pipeline.analytics.fusion import fuse
from vvv_pipeline.analytics.oi_spikes import classify_oi_spikes, oi_spike_summary
from vvv_pipeline.analytics.portfolio import portfolio_history
from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.analytics.regime import daily_regime, regime_bars
from vvv_pipeline.analytics.risk import BENCHMARK, risk_metrics
from vvv_pipeline.analytics.velocity import daily_velocity
from vvv_pipeline.analytics.zones import price_zones
from vvv_pipeline.defs.assets.cross_venue import crypto_cross_venue
from vvv_pipeline.defs.assets.derive import (
    NEWS_SO_FAR,
    derive,
    derived_asset,
    news_completeness,
    per_symbol,
)
from vvv_pipeline.defs.assets.frames_io import (
    day_rows_to_series,
    indexed_by_day,
    read_bars,
    read_days,
    split_key,
)
from vvv_pipeline.defs.assets.traps import TRAP_ASSETS
from vvv_pipeline.defs.partitions import calendar_day_partitions, session_partitions
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.portfolio_holdings import load_holdings
from vvv_pipeline.storage.derived import (
    FLOW,
    FORECAST,
    MARKET_PROFILE,
    METADATA_TIER1,
    OI_SPIKES,
    PORTFOLIO,
    REGIME,
    RISK,
    SIGNALS,
    TIME_BARS,
    TRAPS,
    VELOCITY,
    ZONES,
    DerivedStore,
)
from vvv_pipeline.storage.warehouse_tables import read_source
from vvv_pipeline.stored_columns.days import PORTFOLIO_SERIES

KINDS = {"arcticdb", "pandas"}
REGIME_TRAILING_DAYS = 45
"""Calendar days of earlier regime rows read for the realized-vol percentile (20 sessions)."""
RISK_HISTORY_DAYS = 400
"""Calendar days of daily closes read for risk metrics (252 sessions plus holidays)."""
FORECAST_HISTORY_DAYS = math.ceil(FORECAST_SPEC.history_needed * 365 / 252) + 14
"""Calendar days of realized vol and closes read before a chunk for the forecasts: the sessions
a forecast depends on (about 252 in 365 days) and two weeks spare for holidays, so a session's
forecast is the same whichever run, range or chunk computed it."""

Compute = Callable[[DerivedStore, list[str], list[str], tuple], dict[str, pd.DataFrame]]


def _analytic(
    name: str, crypto: bool, deps: list, library: str, description: str, compute: Compute
) -> dg.AssetsDefinition:
    partitions_def = calendar_day_partitions() if crypto else session_partitions()

    @derived_asset(name, partitions_def, deps, "analytics", description, library, KINDS)
    def _asset(
        context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
    ) -> dg.MaterializeResult:
        loaded = universe.load()
        symbols = list(loaded.crypto if crypto else loaded.equities)
        derived = DerivedStore(arctic.uri)
        return derive(
            context, arctic, library, lambda chunk, window: compute(derived, symbols, chunk, window)
        )

    return _asset


def _nothing(symbols: list[str], *suffixes: str) -> dict[str, pd.DataFrame]:
    """No input rows in the window: every series' window is cleared (and nothing computed)."""
    return {f"{symbol}{suffix}": pd.DataFrame() for symbol in symbols for suffix in suffixes}


def _sessions(crypto: bool, chunk: list[str]) -> list[str] | None:
    return None if crypto else chunk


def _profile(crypto: bool) -> Compute:
    def compute(derived, symbols, chunk, window):
        bars = read_bars(derived, symbols, "1min", *window)
        if bars.empty:
            return _nothing(symbols, "", "/levels")
        profile = market_profile(bars, sessions=_sessions(crypto, chunk))
        return day_rows_to_series(profile.summary, symbols) | day_rows_to_series(
            profile.levels, symbols, "/levels"
        )

    return compute


def _regime(crypto: bool) -> Compute:
    def compute(derived, symbols, _chunk, window):
        bars = read_bars(derived, symbols, "5min", *window)
        if bars.empty:
            return _nothing(symbols, "", "/bars")
        before = window[0] - pd.Timedelta(days=REGIME_TRAILING_DAYS)
        trailing = read_days(derived, REGIME, symbols, before, window[0])
        daily = daily_regime(bars, trailing=trailing if len(trailing) else None)
        per_bar = regime_bars(bars)
        per_bar = per_bar.assign(regime=per_bar["regime"].astype(str))
        return day_rows_to_series(daily, symbols) | per_symbol(per_bar, symbols, "/bars")

    return compute


def _velocity(_crypto: bool) -> Compute:
    def compute(derived, symbols, _chunk, window):
        bars = read_bars(derived, symbols, "1min", *window)
        if bars.empty:
            return _nothing(symbols, "")
        return day_rows_to_series(daily_velocity(bars), symbols)

    return compute


def _zones(derived, symbols, _chunk, window):
    levels = read_days(derived, MARKET_PROFILE, [f"{s}/levels" for s in symbols], *window)
    bars = read_bars(derived, symbols, "1min", *window)
    if levels.empty or bars.empty:
        return _nothing(symbols, "")
    return day_rows_to_series(price_zones(levels, bars), symbols)


def _adjusted_closes(
    derived: DerivedStore, symbols: list[str], window, days: int = RISK_HISTORY_DAYS
) -> pd.DataFrame | None:
    """Adjusted daily closes of ``symbols`` from ``days`` calendar days before the window to its
    end (None: no rows)."""
    start = window[0] - pd.Timedelta(days=days)
    history = read_bars(derived, symbols, "1d", start, window[1])
    # daily_ohlcv's adjusted closes where the warehouse has the symbol: a split or a
    # dividend is then no loss (the bars from ticks are as traded)
    daily = read_source(settings.duckdb_path(), "daily_ohlcv", start, window[1])
    daily = daily.loc[daily["symbol"].astype(str).isin(symbols)]
    if history.empty and daily.empty:
        return None
    return adjusted_history(history, daily)


def _risk(derived, symbols, chunk, window):
    closes = _adjusted_closes(derived, symbols, window)
    if closes is None:
        return _nothing(symbols, "")
    rows = [risk_metrics(closes, as_of=day) for day in chunk]
    return day_rows_to_series(pd.concat(rows, ignore_index=True), symbols)


def _oi_spikes(derived, symbols, _chunk, window):
    windows = split_key(derived.read(TIME_BARS, [f"{s}/oi_5s" for s in symbols], *window))
    if windows.empty:
        return _nothing(symbols, "", "/spikes")
    classified = classify_oi_spikes(windows)
    spikes = classified[classified["size_class"].astype(str) != "small"]
    spikes = spikes.assign(size_class=spikes["size_class"].astype(str))
    return day_rows_to_series(oi_spike_summary(classified), symbols) | per_symbol(
        spikes.reset_index(drop=True), symbols, "/spikes"
    )


def _signals(crypto: bool) -> Compute:
    def compute(derived, symbols, _chunk, window):
        inputs = {
            "regime": read_days(derived, REGIME, symbols, *window),
            "velocity": read_days(derived, VELOCITY, symbols, *window),
            "profile": read_days(derived, MARKET_PROFILE, symbols, *window),
            ("oi" if crypto else "flow"): read_days(
                derived, OI_SPIKES if crypto else FLOW, symbols, *window
            ),
            "zones": read_days(derived, ZONES, symbols, *window),
            "traps": read_days(derived, TRAPS, symbols, *window),
        }
        present = {k: v for k, v in inputs.items() if len(v)}
        return day_rows_to_series(fuse(**present), symbols) if present else _nothing(symbols, "")

    return compute


def _both(stem: str, deps: Callable[[str], list], library: str, text: str, factory) -> list:
    return [
        _analytic(
            f"{kind}_{stem}",
            kind == "crypto",
            deps(kind),
            library,
            f"{text} {where}",
            factory(kind == "crypto"),
        )
        for kind, where in (
            ("equity", "Per equity and session."),
            ("crypto", "Per crypto pair and New York day (1-minute bars, 24 hours)."),
        )
    ]


PROFILE_ASSETS = _both(
    "market_profile",
    lambda kind: [f"{kind}_time_bars"],
    MARKET_PROFILE,
    "Market profile from 1-minute bars: TPO counts per price level (30-minute periods), volume "
    "profile, point of control, value area (70 %), single prints, initial balance (docs: "
    "analytics). ArcticDB `analytics_market_profile`: `{SYMBOL}` (summary), `{SYMBOL}/levels`.",
    _profile,
)
REGIME_ASSETS = _both(
    "regime",
    lambda kind: [f"{kind}_time_bars"],
    REGIME,
    "Trend / range / volatile regime with a confidence from 5-minute bars (efficiency ratio, "
    "realized-vol percentile against the trailing days, ADX). ArcticDB `analytics_regime`: "
    "`{SYMBOL}` (daily), `{SYMBOL}/bars` (per bar).",
    _regime,
)
VELOCITY_ASSETS = _both(
    "velocity",
    lambda kind: [f"{kind}_time_bars"],
    VELOCITY,
    "Price rate of change and acceleration over 5, 15 and 60 minutes at the day's last bar. "
    "ArcticDB `analytics_velocity`.",
    _velocity,
)
ZONE_ASSETS = _both(
    "price_zones",
    lambda kind: [f"{kind}_market_profile", f"{kind}_time_bars"],
    ZONES,
    "Supply/demand zones: high- and low-volume nodes of the volume profile and the single-print "
    "tails, with strength and touches. ArcticDB `analytics_zones`, several rows per day.",
    lambda _crypto: _zones,
)
equity_risk = _analytic(
    "equity_risk",
    False,
    ["equity_time_bars", "daily_ohlcv"],
    RISK,
    "Risk as of each session from a year of adjusted daily closes (daily_ohlcv's adj_close, "
    "else the 1d bars): 20-day volatility, historical VaR and CVaR (95/99), Sharpe, Sortino, "
    "max drawdown, beta to SPY. ArcticDB `analytics_risk`.",
    _risk,
)
crypto_oi_spikes = _analytic(
    "crypto_oi_spikes",
    True,
    ["crypto_oi_windows"],
    OI_SPIKES,
    "Open-interest spikes: every 5-second change classified by size (robust z and floors), "
    "flagged near whole-number price levels. ArcticDB `analytics_oi_spikes`: `{PAIR}` (daily "
    "summary), `{PAIR}/spikes` (medium and larger windows).",
    _oi_spikes,
)
SIGNAL_ASSETS = _both(
    "signals",
    lambda kind: [
        f"{kind}_regime",
        f"{kind}_velocity",
        f"{kind}_market_profile",
        "crypto_oi_spikes" if kind == "crypto" else "equity_flow",
        f"{kind}_price_zones",
        f"{kind}_traps",
    ],
    SIGNALS,
    "Signal fusion: a score in [-1, 1], direction and confidence from regime, velocity, profile, "
    "zones, traps and flow (equities) or open interest (crypto) with documented weights; "
    "conflict rules in priority order (trap veto, volatile regime, participation against the "
    "price side) and the reason for each row (docs/analytics.md). ArcticDB `analytics_signals`.",
    _signals,
)


@derived_asset(
    "equity_flow",
    session_partitions(),
    ["equity_metadata_tier1"],
    "analytics",
    "Flow views per equity and session: dark-pool share and large prints, options put/call "
    "premium, sweeps and floor trades, news volume and sentiment. ArcticDB `analytics_flow`.",
    FLOW,
    {"arcticdb", "duckdb"},
    ins=NEWS_SO_FAR,
)
def equity_flow(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    universe: UniverseFile,
    darkpool_prints: pd.DataFrame,
    options_flow: pd.DataFrame,
    news_headlines: pd.DataFrame,
) -> dg.MaterializeResult:
    symbols = list(universe.load().equities)
    derived = DerivedStore(arctic.uri)

    def compute(_chunk, window):
        volume = read_days(derived, METADATA_TIER1, symbols, *window)
        cut = {
            name: frame[(frame["ts"] >= window[0]) & (frame["ts"] < window[1])]
            for name, frame in (
                ("darkpool", darkpool_prints),
                ("options", options_flow),
                ("news", news_headlines),
            )
        }
        table = flow_view(
            volume=volume[["symbol", "date", "volume"]] if len(volume) else None, **cut
        )
        return day_rows_to_series(table, symbols)

    return derive(context, arctic, FLOW, compute, news_completeness(context))


def _money(value: float) -> dg.MetadataValue:
    if pd.isna(value):
        return dg.MetadataValue.text("n/a")
    return dg.MetadataValue.float(round(float(value), 2))


@derived_asset(
    "equity_portfolio",
    session_partitions(),
    ["equity_time_bars", "daily_ohlcv"],
    "analytics",
    "The portfolio of the holdings file (`VVV_HOLDINGS`, default `data/holdings.toml`: cash and "
    "per equity a quantity, negative for a short, and a cost basis) valued at each session's "
    "adjusted daily closes (daily_ohlcv's adj_close, else the 1d bars): value, daily and "
    "cumulative P&L against the cost basis, weights, long/short/gross/net exposure, one-day "
    "historical VaR and CVaR at 95 % of the value over a trailing year with each position's "
    "component contribution (its P&L in the tail scenarios; they sum to the total), max "
    "drawdown and beta to SPY (docs: analytics). ArcticDB `analytics_portfolio`: `portfolio` "
    "(one row per session), `portfolio/positions` (one row per position and session).",
    PORTFOLIO,
    KINDS,
)
def equity_portfolio(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    loaded = universe.load()
    holdings = load_holdings(universe=loaded)
    symbols = list(dict.fromkeys([*holdings.symbols, BENCHMARK]))
    derived = DerivedStore(arctic.uri)
    summaries: dict[str, pd.Series] = {}

    def compute(chunk, window):
        closes = _adjusted_closes(derived, symbols, window)
        empty = {PORTFOLIO_SERIES: pd.DataFrame(), f"{PORTFOLIO_SERIES}/positions": pd.DataFrame()}
        if closes is None:
            return empty
        day = portfolio_history(holdings.frame(), holdings.cash, closes, list(chunk))
        for row in day.summary.itertuples(index=False):
            summaries[f"{row.date:%Y-%m-%d}"] = pd.Series(row._asdict())
        return {
            PORTFOLIO_SERIES: indexed_by_day(day.summary),
            f"{PORTFOLIO_SERIES}/positions": indexed_by_day(day.positions),
        }

    def partition_metadata(key: str) -> dict[str, dg.MetadataValue]:
        row = summaries.get(key)
        if row is None:
            return {"portfolio": dg.MetadataValue.text("not valued: a held symbol has no close")}
        return {
            "total_value": _money(row["total_value"]),
            "pnl_day": _money(row["pnl_day"]),
            "pnl_total": _money(row["pnl_total"]),
            "var_95_value": _money(row["var_95_value"]),
            "cvar_95_value": _money(row["cvar_95_value"]),
            "var_95_pct": _money(100 * row["var_95"]),
            "cvar_95_pct": _money(100 * row["cvar_95"]),
        }

    return derive(context, arctic, PORTFOLIO, compute, partition_metadata)


def _figure(value: float, digits: int = 4) -> dg.MetadataValue:
    if pd.isna(value):
        return dg.MetadataValue.text("n/a")
    return dg.MetadataValue.float(round(float(value), digits))


def _walk_forward_table(rows: pd.DataFrame) -> str:
    """Per symbol: the forecasts and the walk-forward scores against the naive ones."""
    lines = [
        "| symbol | vol forecast | vol naive | scored | RMSE | naive RMSE | skill | QLIKE "
        "| naive QLIKE | return forecast | hit rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows.itertuples(index=False):
        cells = [
            row.vol_forecast,
            row.vol_naive,
            row.vol_eval_steps,
            row.vol_rmse,
            row.vol_rmse_naive,
            row.vol_skill,
            row.vol_qlike,
            row.vol_qlike_naive,
            row.ret_forecast,
            row.ret_hit_rate,
        ]
        text = ["—" if pd.isna(c) else f"{c:.4g}" for c in cells]
        lines.append(f"| {row.symbol} | " + " | ".join(text) + " |")
    return "\n".join(lines)


@derived_asset(
    "equity_forecast",
    session_partitions(),
    ["equity_regime", "equity_time_bars", "daily_ohlcv"],
    "analytics",
    "Next-session forecasts per equity: realized volatility by HAR-RV (OLS on the realized vol "
    "of the last 1, 5 and 22 sessions, from equity_regime) and the return by ridge regression "
    "on the last 5 daily returns (adjusted closes, as equity_risk reads them), refitted at every "
    "session on up to a year of pairs known then; and a walk-forward evaluation over the last 63 "
    "sessions against the naive forecasts (the session's realized vol, a zero return): RMSE, "
    "MAE, QLIKE, skill, hit rate (docs: analytics). ArcticDB `analytics_forecast`: `{SYMBOL}` "
    "(forecasts and scores), `{SYMBOL}/model` (the fitted coefficients, features and spec: the "
    "model artefact that reproduces each forecast). The code version is the spec's version.",
    FORECAST,
    {"arcticdb", "pandas", "scikitlearn"},
    code_version=FORECAST_SPEC.version,
)
def equity_forecast(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().equities)
    derived = DerivedStore(arctic.uri)
    done: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.Series]] = {}
    """Partition key -> its summary rows, model rows and pooled scores (for its metadata)."""

    def compute(
        chunk: list[str], window: tuple[pd.Timestamp, pd.Timestamp]
    ) -> dict[str, pd.DataFrame]:
        start = window[0] - pd.Timedelta(days=FORECAST_HISTORY_DAYS)
        realized = read_days(derived, REGIME, symbols, start, window[1])
        closes = _adjusted_closes(derived, symbols, window, FORECAST_HISTORY_DAYS)
        if realized.empty and closes is None:
            return _nothing(symbols, "", "/model")
        realized = realized[["symbol", "date", "realized_vol"]] if len(realized) else realized
        result = forecast_sessions(
            realized, closes if closes is not None else pd.DataFrame(), list(chunk)
        )
        for key in chunk:
            day = pd.Timestamp(key)
            mine = result.summary[result.summary["date"] == day]
            if len(mine):
                models = result.models[result.models["date"] == day]
                done[key] = (mine, models, result.pooled.loc[day])
        return day_rows_to_series(result.summary, symbols) | day_rows_to_series(
            result.models, symbols, "/model"
        )

    def partition_metadata(key: str) -> dict[str, dg.MetadataValue]:
        version = dg.MetadataValue.text(FORECAST_SPEC.version)
        if key not in done:
            return {
                "model_version": version,
                "forecast": dg.MetadataValue.text("no realized vol or return stored"),
            }
        rows, models, pooled = done[key]
        return {
            "model_version": version,
            "symbols_forecast": dg.MetadataValue.int(int(rows["vol_forecast"].notna().sum())),
            "training_rows_vol": dg.MetadataValue.int(int(models["vol_train_rows"].sum())),
            "training_rows_return": dg.MetadataValue.int(int(models["ret_train_rows"].sum())),
            "vol_eval_steps": dg.MetadataValue.int(int(pooled["vol_eval_steps"])),
            **{
                name: _figure(pooled[name])
                for name in (
                    "vol_rmse",
                    "vol_rmse_naive",
                    "vol_skill",
                    "vol_qlike",
                    "vol_qlike_naive",
                    "ret_rmse",
                    "ret_rmse_naive",
                    "ret_skill",
                    "ret_hit_rate",
                )
            },
            "walk_forward": dg.MetadataValue.md(_walk_forward_table(rows)),
        }

    return derive(context, arctic, FORECAST, compute, partition_metadata)


ANALYTICS_ASSETS = [
    *PROFILE_ASSETS,
    *REGIME_ASSETS,
    *VELOCITY_ASSETS,
    *ZONE_ASSETS,
    equity_risk,
    equity_portfolio,
    equity_forecast,
    equity_flow,
    crypto_oi_spikes,
    crypto_cross_venue,
    *TRAP_ASSETS,
    *SIGNAL_ASSETS,
]
