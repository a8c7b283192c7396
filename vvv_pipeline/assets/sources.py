"""One partitioned source asset per data source.

Tick-scale sources (equity ticks, crypto trades, open interest) are written to ArcticDB one
symbol per instrument and partition, partition by partition, so memory stays bounded in long
single-run backfills. The small sources return a frame that the DuckDB warehouse IO manager
writes into the partition's time window.
"""

from collections.abc import Sequence

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


def _tags(asset_class: str, store: str) -> dict[str, str]:
    return {"layer": "source", "asset_class": asset_class, "store": store}


@dg.asset(
    partitions_def=session_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="sources",
    kinds=TICK_KINDS,
    owners=OWNERS,
    tags=_tags("equity", "arcticdb"),
    description=_describe(
        Source.EQUITY_TICKS,
        "Every equity trade of the universe with the NBBO at that moment.",
        "XNYS session (one key per trading day; holidays are not partitions)",
    ),
)
def equity_ticks(
    context: dg.AssetExecutionContext, market: MarketData, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    u = universe.load()
    return write_tick_partitions(
        context, Source.EQUITY_TICKS, "equity", u.equities, market, arctic, u
    )


@dg.asset(
    partitions_def=hourly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="sources",
    kinds=TICK_KINDS,
    owners=OWNERS,
    tags=_tags("crypto", "arcticdb"),
    description=_describe(
        Source.CRYPTO_TRADES,
        "Aggregate crypto trades, 24/7, with the taker side.",
        "UTC hour (crypto never closes; hours keep each partition small)",
    ),
)
def crypto_trades(
    context: dg.AssetExecutionContext, market: MarketData, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    u = universe.load()
    return write_tick_partitions(
        context, Source.CRYPTO_TRADES, "crypto", u.crypto, market, arctic, u
    )


@dg.asset(
    partitions_def=hourly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="sources",
    kinds=TICK_KINDS,
    owners=OWNERS,
    tags=_tags("crypto", "arcticdb"),
    description=_describe(
        Source.CRYPTO_OPEN_INTEREST,
        "Perpetual-futures open interest sampled every 5 seconds.",
        "UTC hour (720 samples per symbol-hour)",
    ),
)
def crypto_open_interest(
    context: dg.AssetExecutionContext, market: MarketData, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    u = universe.load()
    return write_tick_partitions(
        context, Source.CRYPTO_OPEN_INTEREST, "crypto_oi", u.crypto, market, arctic, u
    )


def _warehouse_asset(
    source: Source,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    asset_class: str,
    summary: str,
    partitioning: str,
    symbols_of: str,
) -> dg.AssetsDefinition:
    @dg.asset(
        name=source.value,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="sources",
        kinds=WAREHOUSE_KINDS,
        owners=OWNERS,
        tags=_tags(asset_class, "duckdb"),
        io_manager_key="warehouse",
        metadata=WAREHOUSE_METADATA,
        description=_describe(source, summary, partitioning),
    )
    def _source(
        context: dg.AssetExecutionContext, market: MarketData, universe: UniverseFile
    ) -> dg.Output[pd.DataFrame]:
        u = universe.load()
        symbols = list(getattr(u, symbols_of))
        return fetch_window(context, source, symbols, market, u)

    return _source


darkpool_prints = _warehouse_asset(
    Source.DARKPOOL_PRINTS,
    session_partitions(),
    "equity",
    "Off-exchange block prints with the NBBO at print time.",
    "XNYS session",
    "equities",
)
options_flow = _warehouse_asset(
    Source.OPTIONS_FLOW,
    session_partitions(),
    "equity",
    "Unusual options-flow alerts on the equity universe (OCC option symbols).",
    "XNYS session",
    "equities",
)
daily_ohlcv = _warehouse_asset(
    Source.DAILY_OHLCV,
    session_partitions(),
    "multi_asset",
    "Daily bars for stocks, an FX pair and a commodity; equities agree with their ticks.",
    "XNYS session (the bar of that session date)",
    "daily_ohlcv",
)
news_headlines = _warehouse_asset(
    Source.NEWS_HEADLINES,
    calendar_day_partitions(),
    "equity",
    "News headlines with tickers, publisher and sentiment, one row per mentioned ticker.",
    "calendar day, America/New_York (news never stops)",
    "equities",
)
economic_series = _warehouse_asset(
    Source.ECONOMIC_SERIES,
    calendar_day_partitions(),
    "macro",
    "Economic series (FRED) at their real frequencies, keyed by release time.",
    "calendar day of release, America/New_York",
    "economic",
)

SOURCE_ASSETS = [
    equity_ticks,
    crypto_trades,
    crypto_open_interest,
    darkpool_prints,
    options_flow,
    news_headlines,
    daily_ohlcv,
    economic_series,
]
