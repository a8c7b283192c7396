"""Time bars and per-day metadata tiers, derived from the stored ticks into ArcticDB.

Each asset reads its run's partitions from ``tick_data`` in chunks (one ``read_batch`` per
chunk), computes with the pure layers (:mod:`vvv_pipeline.bars`, :mod:`vvv_pipeline.metadata`),
replaces exactly the chunk's window of each ``{symbol}/{spec}`` series, and ends with an
ArcticDB snapshot named in the materialization metadata (point-in-time reads).
"""

from collections.abc import Callable, Sequence

import dagster as dg
import pandas as pd

import vvv_pipeline.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline.bars import time_bars
from vvv_pipeline.bars.time import FREQUENCIES
from vvv_pipeline.metadata import tier1_summary, tier2_microstructure
from vvv_pipeline.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
    window_utc,
)
from vvv_pipeline.resources import ArcticDB, UniverseFile
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.storage.derived import (
    METADATA_TIER1,
    METADATA_TIER2,
    TIME_BARS,
    DerivedStore,
)

OWNERS = ["team:market-data"]
CHUNK_PARTITIONS = 20
"""Partitions read, computed and written together: bounds memory in year-long backfills."""


def _chunks(keys: Sequence[str], size: int = CHUNK_PARTITIONS) -> list[list[str]]:
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def _per_symbol(frame: pd.DataFrame, symbols: Sequence[str], suffix: str) -> dict:
    """``{symbol}{suffix}`` -> that symbol's rows, ``ts``-indexed, without the symbol column."""
    names = frame["symbol"].astype(str) if len(frame) else pd.Series(dtype=str)
    out = {}
    for symbol in symbols:
        rows = frame[names == symbol].drop(columns="symbol")
        out[f"{symbol}{suffix}"] = rows.set_index("ts")
    return out


def _window(partitions_def, keys: Sequence[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = window_utc(partitions_def.time_window_for_partition_key(keys[0]))[0]
    last = window_utc(partitions_def.time_window_for_partition_key(keys[-1]))[1]
    return first, last


def _hours_of(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    first = start.strftime("%Y-%m-%d-%H:%M")
    last = (end - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")
    return hourly_partitions().get_partition_keys_in_range(dg.PartitionKeyRange(first, last))


def _derive(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    library: str,
    compute: Callable[[list[str], tuple[pd.Timestamp, pd.Timestamp]], dict[str, pd.DataFrame]],
) -> dg.MaterializeResult:
    partitions_def = context.assets_def.partitions_def
    derived = DerivedStore(arctic.uri)
    rows = 0
    for chunk in _chunks(context.partition_keys):
        window = _window(partitions_def, chunk)
        frames = compute(chunk, window)
        derived.replace_window(library, frames, *window)
        rows += sum(len(f) for f in frames.values())
        context.log.info(f"{library}: {chunk[0]}..{chunk[-1]} written ({len(frames)} series)")
    name = derived.snapshot(
        [library], f"{context.assets_def.key.to_user_string()}-{context.run.run_id}"
    )
    if rows == 0:
        context.log.warning(f"{library}: no input rows in this run's partitions")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(rows),
            "library": dg.MetadataValue.text(library),
            "snapshot": dg.MetadataValue.text(name or "(library empty: no snapshot)"),
            "read_as_of_this_run": dg.MetadataValue.md(
                f"`load_series('{library}', [...], start, end, as_of='{name}')`"
            ),
        }
    )


def _asset(name: str, partitions_def, deps: list, group: str, description: str, library: str):
    return dg.asset(
        name=name,
        partitions_def=partitions_def,
        deps=deps,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=group,
        kinds={"arcticdb", "numba"},
        owners=OWNERS,
        tags={"layer": group},
        pool=f"arcticdb_{library}",
        description=description,
    )


@_asset(
    "equity_time_bars",
    session_partitions(),
    ["equity_ticks"],
    "bars",
    "1m, 5m, 15m, 1h and 1d bars of every equity, session-aligned (early closes end early), "
    "left-closed and left-labelled; minutes without trades emit no row. ArcticDB "
    "`bars_time_bars`, symbols `{SYMBOL}/{freq}`.",
    TIME_BARS,
)
def equity_time_bars(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().equities)
    store = arctic.store()

    def compute(chunk: list[str], _window) -> dict[str, pd.DataFrame]:
        ticks = store.read_partitions(TICK_PREFIXES["equity_ticks"], symbols, chunk, EQUITY_TICKS)
        frames: dict[str, pd.DataFrame] = {}
        for freq in FREQUENCIES:
            frames |= _per_symbol(time_bars(ticks, freq, sessions=chunk), symbols, f"/{freq}")
        return frames

    return _derive(context, arctic, TIME_BARS, compute)


# Dagster maps time windows only between equal time zones (UTC hours vs New York days raise),
# so the lineage edge is declared over all partitions and the asset reads exactly the UTC hours
# of its New York day itself (23, 24 or 25; see test_partitions).
CRYPTO_TRADES_DEP = dg.AssetDep("crypto_trades", partition_mapping=dg.AllPartitionMapping())


@_asset(
    "crypto_time_bars",
    calendar_day_partitions(),
    [CRYPTO_TRADES_DEP],
    "bars",
    "1m, 5m, 15m, 1h and 1d bars of every crypto pair, 24/7 (1d = New York calendar day), "
    "left-closed and left-labelled. ArcticDB `bars_time_bars`, symbols `{PAIR}/{freq}`.",
    TIME_BARS,
)
def crypto_time_bars(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().crypto)
    store = arctic.store()

    def compute(_chunk: list[str], window) -> dict[str, pd.DataFrame]:
        hours = _hours_of(*window)
        trades = store.read_partitions(
            TICK_PREFIXES["crypto_trades"], symbols, hours, CRYPTO_TRADES
        )
        frames: dict[str, pd.DataFrame] = {}
        for freq in FREQUENCIES:
            frames |= _per_symbol(time_bars(trades, freq), symbols, f"/{freq}")
        return frames

    return _derive(context, arctic, TIME_BARS, compute)


def _equity_tier(
    name: str, library: str, function: Callable, description: str
) -> dg.AssetsDefinition:
    @_asset(name, session_partitions(), ["equity_ticks"], "metadata", description, library)
    def _tier(
        context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
    ) -> dg.MaterializeResult:
        symbols = list(universe.load().equities)
        store = arctic.store()

        def compute(chunk: list[str], _window) -> dict[str, pd.DataFrame]:
            days = []
            for day in chunk:
                # one partition's ticks per day: each row is read once and filtered once,
                # instead of filtering the whole chunk for every day
                ticks = store.read_partitions(
                    TICK_PREFIXES["equity_ticks"], symbols, [day], EQUITY_TICKS
                )
                rows = function(ticks, "equity_ticks", day)
                local = pd.to_datetime(rows["date"]).dt.tz_localize("America/New_York")
                days.append(rows.assign(ts=local.dt.tz_convert("UTC")))
            table = pd.concat(days, ignore_index=True) if days else pd.DataFrame()
            return _per_symbol(table.drop(columns="date"), symbols, "")

        return _derive(context, arctic, library, compute)

    return _tier


equity_metadata_tier1 = _equity_tier(
    "equity_metadata_tier1",
    METADATA_TIER1,
    tier1_summary,
    "Per symbol and session: OHLC, VWAP, volume, trade count, session coverage, spread "
    "statistics (README: metadata tier 1). ArcticDB `metadata_tier1`, one symbol per equity.",
)
equity_metadata_tier2 = _equity_tier(
    "equity_metadata_tier2",
    METADATA_TIER2,
    tier2_microstructure,
    "Per symbol and session: realized variance (5-minute), bipower variation, Roll spread, "
    "Amihud, Kyle's lambda, order-flow imbalance, trade-size quantiles (README: metadata "
    "tier 2). ArcticDB `metadata_tier2`, one symbol per equity.",
)

DERIVED_ASSETS = [equity_time_bars, crypto_time_bars, equity_metadata_tier1, equity_metadata_tier2]
