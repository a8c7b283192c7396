"""Per-(symbol, day) metadata tiers 1 to 3 of equities and crypto into ``metadata_tier1..3``.

One ArcticDB series per instrument (its symbol), indexed by the day's New York midnight in UTC;
columns as in the docs' metadata tables (docs/bars-and-tiers.md). Each day's partition is read
on its own so every tick is read and filtered once; the small sources of tier 3 come from the
DuckDB warehouse as asset inputs (lineage included).
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.assets.derive import (
    CRYPTO_OI_DEP,
    CRYPTO_TRADES_DEP,
    NEWS_SO_FAR,
    InMemory,
    PartitionMetadata,
    RowsOf,
    derive,
    derived_asset,
    hours_of,
    news_completeness,
    partition_window,
    tick_reads,
)
from vvv_pipeline.defs.assets.frames_io import day_rows_to_series
from vvv_pipeline.defs.partitions import calendar_day_partitions, session_partitions
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.metadata_tiers import (
    TIER1_READS,
    TIER2_READS,
    tier1_summary,
    tier2_microstructure,
)
from vvv_pipeline.metadata_tiers.tier3_context import tier3_context
from vvv_pipeline.metadata_tiers.windows import in_window
from vvv_pipeline.schemas import CRYPTO_OPEN_INTEREST, CRYPTO_TRADES, EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.storage.derived import METADATA_TIER1, METADATA_TIER2, METADATA_TIER3

DayRows = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""(partition key, window start, window end) -> that day's metadata rows (symbol, date, ...)."""


def _run_days(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    library: str,
    symbols: list[str],
    day_rows: DayRows,
    partition_metadata: PartitionMetadata | None = None,
    in_memory: InMemory | None = None,
    rows_of: RowsOf | None = None,
) -> dg.MaterializeResult:
    """``in_memory``: given when ``day_rows`` is pure; ``rows_of``: the ticks each day reads
    (see :func:`.derive.derive`)."""
    partitions_def = context.assets_def.partitions_def

    def compute(chunk: list[str], _window) -> dict[str, pd.DataFrame]:
        days = [day_rows(key, *partition_window(partitions_def, key)) for key in chunk]
        return day_rows_to_series(pd.concat(days, ignore_index=True), symbols)

    return derive(
        context, arctic, library, compute, partition_metadata, rows_of=rows_of, in_memory=in_memory
    )


def _ticks_tier(
    name: str,
    crypto: bool,
    library: str,
    function: Callable,
    reads: tuple[str, ...],
    description: str,
) -> dg.AssetsDefinition:
    """``function`` of each day's ticks, which are read with the ``reads`` columns only."""
    partitions_def = calendar_day_partitions() if crypto else session_partitions()
    deps = [CRYPTO_TRADES_DEP] if crypto else ["equity_ticks"]
    source = "crypto_trades" if crypto else "equity_ticks"
    schema = CRYPTO_TRADES if crypto else EQUITY_TICKS
    columns = [column for column in reads if column in schema.names]

    @derived_asset(name, partitions_def, deps, "metadata", description, library)
    def _tier(
        context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
    ) -> dg.MaterializeResult:
        loaded = universe.load()
        symbols = list(loaded.crypto if crypto else loaded.equities)
        store = arctic.store()

        def day_rows(key: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
            stored = hours_of(start, end) if crypto else [key]
            trades = store.read_partitions(
                TICK_PREFIXES[source], symbols, stored, schema, columns=columns
            )
            return function(trades, source, key)

        rows_of, in_memory = tick_reads(store, source, symbols, hourly=crypto)
        return _run_days(
            context, arctic, library, symbols, day_rows, in_memory=in_memory, rows_of=rows_of
        )

    return _tier


_T1 = "OHLC, VWAP, volume, trade count, coverage, spread statistics (docs: metadata tier 1)"
_T2 = (
    "realized variance (5-minute), bipower variation, Roll spread, Amihud, Kyle's lambda, "
    "order-flow imbalance, trade-size quantiles (docs: metadata tier 2)"
)
equity_metadata_tier1 = _ticks_tier(
    "equity_metadata_tier1",
    False,
    METADATA_TIER1,
    tier1_summary,
    TIER1_READS,
    f"Per equity and session: {_T1}. ArcticDB `metadata_tier1`, one symbol per equity.",
)
equity_metadata_tier2 = _ticks_tier(
    "equity_metadata_tier2",
    False,
    METADATA_TIER2,
    tier2_microstructure,
    TIER2_READS,
    f"Per equity and session: {_T2}. ArcticDB `metadata_tier2`, one symbol per equity.",
)
crypto_metadata_tier1 = _ticks_tier(
    "crypto_metadata_tier1",
    True,
    METADATA_TIER1,
    tier1_summary,
    TIER1_READS,
    f"Per crypto pair and New York day: {_T1}. ArcticDB `metadata_tier1`, one symbol per pair.",
)
crypto_metadata_tier2 = _ticks_tier(
    "crypto_metadata_tier2",
    True,
    METADATA_TIER2,
    tier2_microstructure,
    TIER2_READS,
    f"Per crypto pair and New York day: {_T2}. ArcticDB `metadata_tier2`, one symbol per pair.",
)


@derived_asset(
    "equity_metadata_tier3",
    session_partitions(),
    ["equity_ticks"],
    "metadata",
    "Per equity and session: dark-pool share of volume and premium, options put/call premium "
    "and alert counts, news count and sentiment balance (docs: metadata tier 3). ArcticDB "
    "`metadata_tier3`, one symbol per equity.",
    METADATA_TIER3,
    kinds={"arcticdb", "duckdb"},
    ins=NEWS_SO_FAR,
)
def equity_metadata_tier3(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    universe: UniverseFile,
    darkpool_prints: pd.DataFrame,
    options_flow: pd.DataFrame,
    news_headlines: pd.DataFrame,
) -> dg.MaterializeResult:
    symbols = list(universe.load().equities)
    store = arctic.store()

    def day_rows(key: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        ticks = store.read_partitions(TICK_PREFIXES["equity_ticks"], symbols, [key], EQUITY_TICKS)
        window = (start, end)
        return tier3_context(
            key,
            equity_ticks=ticks,
            darkpool=in_window(darkpool_prints, window),
            options=in_window(options_flow, window),
            news=in_window(news_headlines, window),
        )

    return _run_days(context, arctic, METADATA_TIER3, symbols, day_rows, news_completeness(context))


@derived_asset(
    "crypto_metadata_tier3",
    calendar_day_partitions(),
    [CRYPTO_OI_DEP],
    "metadata",
    "Per crypto pair and New York day: open-interest first, last and change (docs: metadata "
    "tier 3). ArcticDB `metadata_tier3`, one symbol per pair.",
    METADATA_TIER3,
)
def crypto_metadata_tier3(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().crypto)
    store = arctic.store()

    def day_rows(key: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        oi = store.read_partitions(
            TICK_PREFIXES["crypto_open_interest"],
            symbols,
            hours_of(start, end),
            CRYPTO_OPEN_INTEREST,
        )
        return tier3_context(key, open_interest=oi)

    return _run_days(context, arctic, METADATA_TIER3, symbols, day_rows)


METADATA_TIER_ASSETS = [
    equity_metadata_tier1,
    equity_metadata_tier2,
    equity_metadata_tier3,
    crypto_metadata_tier1,
    crypto_metadata_tier2,
    crypto_metadata_tier3,
]
