"""One partitioned source asset per data source.

Tick-scale sources (equity ticks, crypto trades, open interest) are written to ArcticDB one
symbol per instrument and partition, partition by partition, so memory stays bounded in long
single-run backfills. The small sources return a frame that the DuckDB warehouse IO manager
writes into the partition's time window.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd

import vvv_pipeline.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline.assets.metadata import frame_metadata, partition_rows_table
from vvv_pipeline.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
    window_utc,
)
from vvv_pipeline.providers.base import Source
from vvv_pipeline.resources import ArcticDB, MarketData, UniverseFile
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.universe import Universe

OWNERS = ["team:market-data"]
PROGRESS_LINES = 20
UNLISTED = "_unlisted"
"""ArcticDB bucket for rows whose symbol is not in the universe (kept for the tier-1 checks)."""


def _describe(source: Source, summary: str, partitioning: str) -> str:
    schema = SOURCE_SCHEMAS[source.value]
    return f"{summary}\n\nPartitioned by {partitioning}.\n\n{schema.markdown()}"


def _rows_per_partition(
    frame: pd.DataFrame, partitions_def: dg.TimeWindowPartitionsDefinition, keys: Sequence[str]
) -> dict[str, int]:
    ts = frame["ts"]
    counts = {}
    for key in keys:
        start, end = window_utc(partitions_def.time_window_for_partition_key(key))
        counts[key] = int(((ts >= start) & (ts < end)).sum()) if len(frame) else 0
    return counts


def split_by_symbol(frame: pd.DataFrame, symbols: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One frame per universe symbol (empty where it has no rows) plus the unlisted bucket."""
    codes = frame["symbol"].astype(str)
    parts = {symbol: frame[codes == symbol] for symbol in symbols}
    parts[UNLISTED] = frame[~codes.isin(symbols)]
    return parts


def write_tick_partitions(
    context: dg.AssetExecutionContext,
    source: Source,
    asset_class: str,
    symbols: Sequence[str],
    market: MarketData,
    arctic: ArcticDB,
    universe: Universe,
) -> dg.MaterializeResult:
    """Fetch and store each partition of the run's range; one ArcticDB write per symbol."""
    store = arctic.store()
    partitions_def = context.assets_def.partitions_def
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    keys = context.partition_keys
    rows: dict[str, int] = {}
    last_frame = SOURCE_SCHEMAS[source.value].empty()
    first_ts = last_ts = None
    seen: set[str] = set()
    for done, key in enumerate(keys, start=1):
        start, end = window_utc(partitions_def.time_window_for_partition_key(key))
        frame = market.fetch(source, start, end, symbols, universe)
        store.write_partition(asset_class, key, split_by_symbol(frame, symbols))
        rows[key] = len(frame)
        if len(frame):
            seen.update(map(str, frame["symbol"].unique()))
            first_ts = first_ts if first_ts is not None else frame["ts"].min()
            last_ts = frame["ts"].max()
            last_frame = frame
        if done == len(keys) or done % max(1, len(keys) // PROGRESS_LINES) == 0:
            context.log.info(f"{source.value}: {done}/{len(keys)} partitions, last {key}")
    metadata = frame_metadata(last_frame)
    metadata["dagster/row_count"] = dg.MetadataValue.int(sum(rows.values()))
    metadata["symbols"] = dg.MetadataValue.text(", ".join(sorted(seen)) or "(none)")
    metadata["symbol_count"] = dg.MetadataValue.int(len(seen))
    if first_ts is not None:
        metadata["first_ts"] = dg.MetadataValue.text(str(first_ts))
        metadata["last_ts"] = dg.MetadataValue.text(str(last_ts))
    metadata["partition_rows"] = partition_rows_table(rows)
    metadata["storage"] = dg.MetadataValue.text(
        f"{store.uri} library tick_data, symbols {asset_class}/<symbol>/<partition>"
    )
    return dg.MaterializeResult(metadata=metadata)


def fetch_window(
    context: dg.AssetExecutionContext,
    source: Source,
    symbols: Sequence[str],
    market: MarketData,
    universe: Universe,
) -> dg.Output[pd.DataFrame]:
    """Fetch the run's whole partition range at once (small sources) for the warehouse."""
    start, end = window_utc(context.partition_time_window)
    frame = market.fetch(source, start, end, symbols, universe)
    partitions_def = context.assets_def.partitions_def
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    metadata = frame_metadata(frame)
    rows = _rows_per_partition(frame, partitions_def, context.partition_keys)
    metadata["partition_rows"] = partition_rows_table(rows)
    context.log.info(f"{source.value} {start}..{end}: {len(frame)} rows")
    return dg.Output(frame, metadata=metadata)


TICK_KINDS = {"arcticdb", "pandas"}
WAREHOUSE_KINDS = {"duckdb", "pandas"}
WAREHOUSE_METADATA = {"partition_expr": "ts"}


@dataclass(frozen=True)
class SourceSpec:
    """Everything that distinguishes one source asset from another."""

    source: Source
    partitions: Callable[[], dg.TimeWindowPartitionsDefinition]
    asset_class: str
    symbols_of: str
    """Universe attribute listing the source's symbols."""
    summary: str
    partitioning: str
    arctic_prefix: str | None = None
    """ArcticDB symbol prefix for tick-scale sources; None means the DuckDB warehouse."""

    def symbols(self, universe: Universe) -> list[str]:
        return list(getattr(universe, self.symbols_of))


SOURCE_SPECS = (
    SourceSpec(
        Source.EQUITY_TICKS,
        session_partitions,
        "equity",
        "equities",
        "Every equity trade of the universe with the NBBO at that moment.",
        "XNYS session (one key per trading day; holidays are not partitions)",
        arctic_prefix="equity",
    ),
    SourceSpec(
        Source.CRYPTO_TRADES,
        hourly_partitions,
        "crypto",
        "crypto",
        "Aggregate crypto trades, 24/7, with the taker side.",
        "UTC hour (crypto never closes; hours keep each partition small)",
        arctic_prefix="crypto",
    ),
    SourceSpec(
        Source.CRYPTO_OPEN_INTEREST,
        hourly_partitions,
        "crypto",
        "crypto",
        "Perpetual-futures open interest sampled every 5 seconds.",
        "UTC hour (720 samples per symbol-hour)",
        arctic_prefix="crypto_oi",
    ),
    SourceSpec(
        Source.DARKPOOL_PRINTS,
        session_partitions,
        "equity",
        "equities",
        "Off-exchange block prints with the NBBO at print time.",
        "XNYS session",
    ),
    SourceSpec(
        Source.OPTIONS_FLOW,
        session_partitions,
        "equity",
        "equities",
        "Unusual options-flow alerts on the equity universe (OCC option symbols).",
        "XNYS session",
    ),
    SourceSpec(
        Source.NEWS_HEADLINES,
        calendar_day_partitions,
        "equity",
        "equities",
        "News headlines with tickers, publisher and sentiment, one row per mentioned ticker.",
        "calendar day, America/New_York (news never stops)",
    ),
    SourceSpec(
        Source.DAILY_OHLCV,
        session_partitions,
        "multi_asset",
        "daily_ohlcv",
        "Daily bars for stocks, an FX pair and a commodity; equities agree with their ticks.",
        "XNYS session (the bar of that session date)",
    ),
    SourceSpec(
        Source.ECONOMIC_SERIES,
        calendar_day_partitions,
        "macro",
        "economic",
        "Economic series (FRED) at their real frequencies, keyed by release time.",
        "calendar day of release, America/New_York",
    ),
)


def _asset_args(spec: SourceSpec) -> dict[str, Any]:
    store = "arcticdb" if spec.arctic_prefix else "duckdb"
    return {
        "name": spec.source.value,
        "partitions_def": spec.partitions(),
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "group_name": "sources",
        "kinds": TICK_KINDS if spec.arctic_prefix else WAREHOUSE_KINDS,
        "owners": OWNERS,
        "tags": {"layer": "source", "asset_class": spec.asset_class, "store": store},
        "description": _describe(spec.source, spec.summary, spec.partitioning),
    }


def _tick_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    assert spec.arctic_prefix is not None

    @dg.asset(**_asset_args(spec))
    def _source(
        context: dg.AssetExecutionContext,
        market: MarketData,
        arctic: ArcticDB,
        universe: UniverseFile,
    ) -> dg.MaterializeResult:
        u = universe.load()
        symbols = spec.symbols(u)
        return write_tick_partitions(
            context, spec.source, spec.arctic_prefix, symbols, market, arctic, u
        )

    return _source


def _warehouse_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    @dg.asset(**_asset_args(spec), io_manager_key="warehouse", metadata=WAREHOUSE_METADATA)
    def _source(
        context: dg.AssetExecutionContext, market: MarketData, universe: UniverseFile
    ) -> dg.Output[pd.DataFrame]:
        u = universe.load()
        return fetch_window(context, spec.source, spec.symbols(u), market, u)

    return _source


SOURCE_ASSETS = [
    _tick_asset(spec) if spec.arctic_prefix else _warehouse_asset(spec) for spec in SOURCE_SPECS
]
