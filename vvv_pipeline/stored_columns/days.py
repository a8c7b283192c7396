"""Stored columns of the per-day assets: metadata tiers 1 to 3 and the analytics.

Meanings come from the pure modules' ``COLUMNS`` (the docs' tables render the same dicts);
only dtypes other than float64 and the columns that may be NaN are declared here. A tier-3 row
of a crypto pair has only open interest and an equity row everything else, so the other side's
columns are always NaN there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from vvv_pipeline.analytics import (
    flow,
    forecast,
    fusion,
    oi_spikes,
    portfolio,
    profile,
    regime,
    risk,
    trap_events,
    velocity,
    zones,
)
from vvv_pipeline.metadata_tiers import TIER1_COLUMNS, TIER2_COLUMNS, TIER3_COLUMNS
from vvv_pipeline.schemas import TEXT, UTC_TS
from vvv_pipeline.storage.derived import (
    FLOW,
    FORECAST,
    MARKET_PROFILE,
    METADATA_TIER1,
    METADATA_TIER2,
    METADATA_TIER3,
    OI_SPIKES,
    PORTFOLIO,
    REGIME,
    RISK,
    SIGNALS,
    TRAPS,
    VELOCITY,
    ZONES,
)
from vvv_pipeline.stored_columns.model import (
    BOOL,
    INT,
    NAIVE_TS,
    SeriesFamily,
    StoredTable,
    day_columns,
    instrument,
    listed_columns,
    size_dtype,
)

REGIME_BAR_DOCS = {
    "ts": "5-minute bar start, UTC; the series index",
    "regime": "regime of the bar from its trailing window: trend_up, trend_down, range or volatile",
}


def _values(docs: Mapping[str, str]) -> tuple[str, ...]:
    """Every column but the keys: for tables whose every value may be NaN."""
    return tuple(name for name in docs if name not in ("symbol", "date"))


_TIER1 = {"trade_count": INT, "window_minutes": INT, "active_minutes": INT}
_SPREADS = ("spread_mean_bps", "spread_median_bps", "locked_share", "crossed_share")
_TIER2_NAN = ("roll_spread", "roll_spread_bps", "kyle_lambda", "order_flow_imbalance")
_TIER3_OI = ("oi_first", "oi_last", "oi_change", "oi_change_pct")
_TIER3_RATIOS = ("dark_share", "dark_premium_bps", "put_call_premium_ratio")
_TIER3_EQUITY_NAN = (*_TIER3_RATIOS, "sentiment_balance", "sentiment_mean", *_TIER3_OI)
_PROFILE = {"single_prints": INT, "tpo_periods": INT, "close_location": TEXT}
_ZONES = {"kind": TEXT, "volume": INT, "touches": INT}
_SIGNALS = {"direction": TEXT, "conflicts": INT, "rule": TEXT, "reason": TEXT}
_COMPONENTS = tuple(name for name in fusion.COLUMNS if name.startswith("component_"))
_REGIME_NAN = ("vol_percentile", "adx")
_TIER3_CRYPTO_NAN = _values(TIER3_COLUMNS)
_VELOCITY_NAN = _values(velocity.COLUMNS)

Row = tuple[str, str, Mapping[str, str], Mapping[str, str], Collection[str], Collection[str]]
BOTH: tuple[Row, ...] = (
    # asset stem, library, meanings, dtypes, NaN-able columns (equities), (crypto)
    ("metadata_tier1", METADATA_TIER1, TIER1_COLUMNS, _TIER1, _SPREADS, _SPREADS),
    ("metadata_tier2", METADATA_TIER2, TIER2_COLUMNS, {"n_bars": INT}, _TIER2_NAN, _TIER2_NAN),
    ("metadata_tier3", METADATA_TIER3, TIER3_COLUMNS, {}, _TIER3_EQUITY_NAN, _TIER3_CRYPTO_NAN),
    ("market_profile", MARKET_PROFILE, profile.COLUMNS, _PROFILE, (), ()),
    ("regime", REGIME, regime.COLUMNS, {"regime": TEXT}, _REGIME_NAN, _REGIME_NAN),
    ("velocity", VELOCITY, velocity.COLUMNS, {}, _VELOCITY_NAN, _VELOCITY_NAN),
    ("signals", SIGNALS, fusion.COLUMNS, _SIGNALS, _COMPONENTS, _COMPONENTS),
)
"""Per-day assets built for equities (sessions) and crypto (New York days)."""

_FLOW_NAN = ("dp_share", "put_call_premium_ratio", "sentiment_mean", "sentiment_balance")
_SPIKES_NAN = ("net_oi_change_pct",)
_SPIKE_COUNTS = dict.fromkeys(
    ("spikes", "large_spikes", "whale_spikes", "whole_number_spikes"), INT
)
_FORECAST = {"model_version": TEXT, "vol_eval_steps": INT, "ret_eval_steps": INT}
_FORECAST_NAN = tuple(name for name in _values(forecast.COLUMNS) if name not in _FORECAST)
_TRAP_COUNTS = {name: INT for name in trap_events.COLUMNS if name not in ("symbol", "date")}
_EQUITY_TRAP_COUNTS = {k: v for k, v in _TRAP_COUNTS.items() if k in trap_events.EQUITY_COLUMNS}
ONE: tuple[tuple[str, bool, str, Mapping[str, str], Mapping[str, str], Collection[str]], ...] = (
    # asset, crypto, library, meanings, dtypes, NaN-able columns
    ("equity_price_zones", False, ZONES, zones.COLUMNS, _ZONES, ()),
    # crypto volumes are fractional base units
    ("crypto_price_zones", True, ZONES, zones.COLUMNS, {"kind": TEXT, "touches": INT}, ()),
    ("equity_risk", False, RISK, risk.COLUMNS, {}, _values(risk.COLUMNS)),
    ("equity_flow", False, FLOW, flow.COLUMNS, {}, _FLOW_NAN),
    ("crypto_oi_spikes", True, OI_SPIKES, oi_spikes.COLUMNS, _SPIKE_COUNTS, _SPIKES_NAN),
    ("equity_forecast", False, FORECAST, forecast.COLUMNS, _FORECAST, _FORECAST_NAN),
    ("equity_traps", False, TRAPS, trap_events.EQUITY_COLUMNS, _EQUITY_TRAP_COUNTS, ()),
    ("crypto_traps", True, TRAPS, trap_events.COLUMNS, _TRAP_COUNTS, ()),
)
"""Per-day assets of one asset class only."""


def _levels(crypto: bool) -> SeriesFamily:
    dtypes = {"tpo_count": INT, "volume": size_dtype(crypto), "in_value_area": BOOL}
    columns = day_columns(profile.LEVEL_COLUMNS, dtypes | {"is_poc": BOOL})
    return SeriesFamily(instrument(crypto) + "/levels", ("/levels",), columns)


def _regime_bars(crypto: bool) -> SeriesFamily:
    columns = listed_columns(["ts", "regime"], REGIME_BAR_DOCS, {"ts": UTC_TS, "regime": TEXT})
    return SeriesFamily(instrument(crypto) + "/bars", ("/bars",), columns)


def _spikes(crypto: bool) -> SeriesFamily:
    dtypes = {"ts": UTC_TS, "size_class": TEXT, "near_whole_number": BOOL}
    names = list(oi_spikes.SPIKE_COLUMNS)
    columns = listed_columns(names, oi_spikes.SPIKE_COLUMNS, dtypes, ("whole_number_level",))
    return SeriesFamily(instrument(crypto) + "/spikes", ("/spikes",), columns)


def _forecast_model(crypto: bool) -> SeriesFamily:
    """The fitted model behind each forecast row: the artefact that reproduces it."""
    dtypes = {"model_version": TEXT, "spec": TEXT, "vol_train_rows": INT, "ret_train_rows": INT}
    dtypes |= {"vol_train_start": NAIVE_TS, "ret_train_start": NAIVE_TS}
    nullable = [
        name for name in _values(forecast.MODEL_COLUMNS) if dtypes.get(name) in (None, NAIVE_TS)
    ]
    columns = day_columns(forecast.MODEL_COLUMNS, dtypes, nullable)
    return SeriesFamily(instrument(crypto) + "/model", ("/model",), columns)


def _trap_events(crypto: bool) -> SeriesFamily:
    dtypes = {"ts": UTC_TS, "kind": TEXT, "direction": INT, "level_source": TEXT}
    names = list(trap_events.EVENT_COLUMNS)
    nullable = [name for name in names if name not in (*dtypes, "symbol")]
    columns = listed_columns(names, trap_events.EVENT_COLUMNS, dtypes, nullable)
    return SeriesFamily(instrument(crypto) + "/events", ("/events",), columns)


MORE: dict[str, Callable[[bool], SeriesFamily]] = {
    "market_profile": _levels,
    "regime": _regime_bars,
    "oi_spikes": _spikes,
    "forecast": _forecast_model,
    "traps": _trap_events,
}
"""Intraday or per-level series an asset writes beside its per-day ``{SYMBOL}`` series."""


def _table(
    asset: str,
    crypto: bool,
    library: str,
    docs: Mapping[str, str],
    dtypes: Mapping[str, str],
    nullable: Collection[str],
) -> StoredTable:
    main = SeriesFamily(instrument(crypto), ("",), day_columns(docs, dtypes, nullable))
    stem = asset.split("_", 1)[1]
    more = (MORE[stem](crypto),) if stem in MORE else ()
    return StoredTable(asset, library, crypto, (main, *more))


PORTFOLIO_SERIES = "portfolio"
"""The portfolio's per-session summary series; its positions are ``portfolio/positions``."""
_PORTFOLIO_NAN = (
    "gross_leverage",
    "pnl_day",
    "return_day",
    "rolling_vol_20d",
    "var_95",
    "cvar_95",
    "var_95_value",
    "cvar_95_value",
    "max_drawdown",
    "beta_spy",
)
_POSITIONS_NAN = ("weight", "pnl_day", "var_contribution_95", "cvar_contribution_95")


def portfolio_table() -> StoredTable:
    """``equity_portfolio``: one summary row per session and one row per position and session
    (several rows at the session's index, like the price zones)."""
    summary = day_columns(portfolio.COLUMNS, {"positions": INT, "n_returns": INT}, _PORTFOLIO_NAN)
    positions = day_columns(
        portfolio.POSITION_COLUMNS, {"symbol": TEXT}, _POSITIONS_NAN, keep=("symbol",)
    )
    return StoredTable(
        "equity_portfolio",
        PORTFOLIO,
        False,
        (
            SeriesFamily(PORTFOLIO_SERIES, ("",), summary),
            SeriesFamily(f"{PORTFOLIO_SERIES}/positions", ("/positions",), positions),
        ),
        series_names=(PORTFOLIO_SERIES,),
    )


def day_tables() -> list[StoredTable]:
    """Every per-day asset's stored table."""
    tables = []
    for stem, library, docs, dtypes, equity_nan, crypto_nan in BOTH:
        tables.append(_table(f"equity_{stem}", False, library, docs, dtypes, equity_nan))
        tables.append(_table(f"crypto_{stem}", True, library, docs, dtypes, crypto_nan))
    tables += [_table(*row) for row in ONE]
    tables.append(portfolio_table())
    return tables
