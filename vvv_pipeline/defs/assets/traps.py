"""Trap and spoof assets: ``equity_traps`` per session, ``crypto_traps`` per New York day.

Each reads the chunk's 1-minute bars, the market profile (and price zones) of the days before
it as reference levels, the raw trades one day at a time (size bursts need the tape's seconds;
a day at a time bounds memory) and, for crypto, the 5-second open-interest windows. It computes
with :mod:`vvv_pipeline.analytics.traps` and :mod:`vvv_pipeline.analytics.spoofing` and replaces
its window of ``analytics_traps``: ``{SYMBOL}`` (counts per kind per day) and
``{SYMBOL}/events`` (one row per trap, held breakout or burst, at its start). Each partition's
materialization carries the day's counts per kind over all instruments.
"""

import dagster as dg
import pandas as pd

from vvv_pipeline.analytics.oi_spikes import new_york_date
from vvv_pipeline.analytics.spoofing import oi_bursts, size_bursts
from vvv_pipeline.analytics.trap_events import (
    COLUMNS,
    EQUITY_COLUMNS,
    as_events,
    empty_events,
    trap_summary,
)
from vvv_pipeline.analytics.traps import LEVEL_MAX_AGE, detect_traps, reference_levels
from vvv_pipeline.defs.assets.derive import (
    CRYPTO_TRADES_DEP,
    derive,
    derived_asset,
    hours_of,
    partition_window,
    per_symbol,
)
from vvv_pipeline.defs.assets.frames_io import day_rows_to_series, read_bars, read_days, split_key
from vvv_pipeline.defs.partitions import calendar_day_partitions, session_partitions
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.storage.derived import MARKET_PROFILE, TIME_BARS, TRAPS, ZONES, DerivedStore

KINDS = {"arcticdb", "pandas"}
Window = tuple[pd.Timestamp, pd.Timestamp]


def _reference_levels(
    derived: DerivedStore, symbols: list[str], window: Window, crypto: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the window's 1-minute bars, the levels each of its symbol-days is read against).

    Profiles and zones are read from LEVEL_MAX_AGE before the window to its end, so a day
    inside a range run reads the day before it in the same run.
    """
    start = window[0] - LEVEL_MAX_AGE
    bars = read_bars(derived, symbols, "1min", *window)
    summary = read_days(derived, MARKET_PROFILE, symbols, start, window[1])
    zones = read_days(derived, ZONES, symbols, start, window[1]) if len(summary) else None
    if bars.empty or summary.empty:
        return bars, pd.DataFrame(columns=["symbol", "date", "level", "source", "direction"])
    days = bars[["symbol"]].assign(date=new_york_date(bars["ts"]).to_numpy())
    zones = zones if zones is not None and len(zones) else None
    return bars, reference_levels(summary, zones, days)


def _traps_asset(name: str, crypto: bool, deps: list, description: str) -> dg.AssetsDefinition:
    partitions_def = calendar_day_partitions() if crypto else session_partitions()
    counted = [c for c in (COLUMNS if crypto else EQUITY_COLUMNS) if c not in ("symbol", "date")]

    @derived_asset(name, partitions_def, deps, "analytics", description, TRAPS, KINDS)
    def _asset(
        context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
    ) -> dg.MaterializeResult:
        loaded = universe.load()
        symbols = list(loaded.crypto if crypto else loaded.equities)
        derived = DerivedStore(arctic.uri)
        store = arctic.store()
        totals: dict[str, pd.Series] = {}

        def trades_of(key: str) -> pd.DataFrame:
            if crypto:
                hours = hours_of(*partition_window(partitions_def, key))
                prefix = TICK_PREFIXES["crypto_trades"]
                return store.read_partitions(prefix, symbols, hours, CRYPTO_TRADES)
            prefix = TICK_PREFIXES["equity_ticks"]
            return store.read_partitions(prefix, symbols, [key], EQUITY_TICKS)

        def compute(chunk: list[str], window: Window) -> dict[str, pd.DataFrame]:
            bars, levels = _reference_levels(derived, symbols, window, crypto)
            if bars.empty:
                return {
                    f"{s}{suffix}": pd.DataFrame() for s in symbols for suffix in ("", "/events")
                }
            found = [detect_traps(bars, levels)]
            found += [size_bursts(trades) for trades in map(trades_of, chunk)]
            if crypto:
                names = [f"{symbol}/oi_5s" for symbol in symbols]
                windows = split_key(derived.read(TIME_BARS, names, *window))
                found.append(oi_bursts(windows) if len(windows) else empty_events())
            events = as_events(pd.concat([e for e in found if len(e)] or [empty_events()]))
            days = bars[["symbol"]].assign(date=new_york_date(bars["ts"]).to_numpy())
            summary = trap_summary(days, events, levels, crypto)
            for day, rows in summary.groupby("date"):
                totals[f"{day:%Y-%m-%d}"] = rows[counted].sum()
            events = events.assign(symbol=events["symbol"].astype(str))
            return day_rows_to_series(summary, symbols) | per_symbol(events, symbols, "/events")

        def partition_metadata(key: str) -> dict[str, dg.MetadataValue]:
            row = totals.get(key)
            if row is None:
                return {"traps": dg.MetadataValue.text("no 1-minute bars in this partition")}
            return {column: dg.MetadataValue.int(int(row[column])) for column in counted}

        return derive(context, arctic, TRAPS, compute, partition_metadata)

    return _asset


_WHAT = (
    "Bull and bear traps: breakouts through the previous day's value-area edges and price zones "
    "that close back inside within 5 one-minute bars after pushing at least 3 bar ranges beyond, "
    "on at most half the approach's volume; held breakouts are recorded beside them. Spoof-like "
    "bursts: 5 or more same-side prints of at least 20x the day's median print within a second "
    "of each other that are gone within 5 seconds (persistent ones are surges)"
)
equity_traps = _traps_asset(
    "equity_traps",
    False,
    ["equity_ticks", "equity_time_bars", "equity_market_profile", "equity_price_zones"],
    f"{_WHAT}. Per equity and session (docs: analytics). ArcticDB `analytics_traps`: `{{SYMBOL}}` "
    "(counts per kind), `{SYMBOL}/events`; the partition's counts in its metadata.",
)
crypto_traps = _traps_asset(
    "crypto_traps",
    True,
    [
        CRYPTO_TRADES_DEP,
        "crypto_time_bars",
        "crypto_oi_windows",
        "crypto_market_profile",
        "crypto_price_zones",
    ],
    f"{_WHAT}; and open-interest bursts of at least 0.5 % (robust z >= 8) undone within 30 "
    "seconds (else steps). Per crypto pair and New York day (docs: analytics). ArcticDB "
    "`analytics_traps`: `{PAIR}` (counts per kind), `{PAIR}/events`; the partition's counts in "
    "its metadata.",
)
TRAP_ASSETS = [equity_traps, crypto_traps]
