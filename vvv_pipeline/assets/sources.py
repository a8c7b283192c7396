"""One partitioned source asset per data source.

Tick-scale sources (equity ticks, crypto trades, open interest) are written to ArcticDB one
symbol per instrument and partition, partition by partition, so memory stays bounded in long
single-run backfills. The small sources return a frame that the DuckDB warehouse IO manager
writes into the partition's time window.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pandas as pd

import vvv_pipeline.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline.assets.checks import check_specs, report, with_expectations
from vvv_pipeline.assets.metadata import frame_metadata, partition_rows_table
from vvv_pipeline.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
    window_utc,
)
from vvv_pipeline.providers.base import Source
from vvv_pipeline.resources import ArcticDB, MarketData, UniverseFile, Validation
from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.tiers.expectations import ExpectationsRun
from vvv_pipeline.tiers.gate import (
    TIER4,
    CheckOutcome,
    PartitionValidation,
    check_names,
    validate_partition,
)
from vvv_pipeline.universe import Universe

OWNERS = ["team:market-data"]
PROGRESS_LINES = 20
UNLISTED = "_unlisted"
"""ArcticDB bucket for rows whose symbol is not in the universe (kept for the tier-1 checks)."""


def _describe(source: Source, summary: str, partitioning: str) -> str:
    schema = SOURCE_SCHEMAS[source.value]
    return f"{summary}\n\nPartitioned by {partitioning}.\n\n{schema.markdown()}"


def split_by_symbol(frame: pd.DataFrame, symbols: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One frame per universe symbol (empty where it has no rows) plus the unlisted bucket."""
    codes = frame["symbol"].astype(str)
    parts = {symbol: frame[codes == symbol] for symbol in symbols}
    parts[UNLISTED] = frame[~codes.isin(symbols)]
    return parts


@dataclass
class Ingested:
    """What a run fetched, stored and rejected, partition by partition."""

    rows: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, list[CheckOutcome]] = field(default_factory=dict)
    symbols: set[str] = field(default_factory=set)
    first_ts: pd.Timestamp | None = None
    last_ts: pd.Timestamp | None = None
    last_frame: pd.DataFrame | None = None

    def add(self, key: str, stored: pd.DataFrame, validation: PartitionValidation) -> None:
        self.rows[key] = len(stored)
        self.rejected[key] = len(validation.rejected)
        self.outcomes[key] = validation.outcomes
        if len(stored):
            self.symbols.update(map(str, stored["symbol"].unique()))
            if self.first_ts is None:
                self.first_ts = stored["ts"].min()
            self.last_ts = stored["ts"].max()
            self.last_frame = stored

    def attach_expectations(self, run: ExpectationsRun) -> None:
        """Fold the run's great-expectations result into every partition's tier-4 outcome."""
        for key, outcomes in self.outcomes.items():
            self.outcomes[key] = [
                with_expectations(o, run) if o.name == TIER4 else o for o in outcomes
            ]

    def metadata(self, schema_empty: pd.DataFrame) -> dict[str, dg.MetadataValue]:
        meta = frame_metadata(self.last_frame if self.last_frame is not None else schema_empty)
        meta["dagster/row_count"] = dg.MetadataValue.int(sum(self.rows.values()))
        meta["rejected_rows"] = dg.MetadataValue.int(sum(self.rejected.values()))
        meta["symbols"] = dg.MetadataValue.text(", ".join(sorted(self.symbols)) or "(none)")
        meta["symbol_count"] = dg.MetadataValue.int(len(self.symbols))
        if self.first_ts is not None:
            meta["first_ts"] = dg.MetadataValue.text(str(self.first_ts))
            meta["last_ts"] = dg.MetadataValue.text(str(self.last_ts))
        meta["partition_rows"] = partition_rows_table(self.rows)
        return meta


def ingest(
    context: dg.AssetExecutionContext,
    spec: "SourceSpec",
    market: MarketData,
    universe: Universe,
    validation_config: Validation,
    store: Callable[[str, pd.DataFrame], None],
) -> Ingested:
    """Fetch, validate, quarantine and ``store`` each partition of the run's range in turn."""
    partitions_def = context.assets_def.partitions_def
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    source = spec.source.value
    symbols = spec.symbols(universe)
    keys = context.partition_keys
    quarantine = validation_config.quarantine()
    ingested = Ingested()
    gx_rows: list[pd.DataFrame] = []
    for done, key in enumerate(keys, start=1):
        window = window_utc(partitions_def.time_window_for_partition_key(key))
        frame = market.fetch(spec.source, *window, symbols, universe)
        validation = validate_partition(frame, source, window, symbols)
        quarantine.replace_partition(
            source, key, validation.rejected, validation.rejected_rules, context.run_id
        )
        store(key, validation.clean)
        ingested.add(key, validation.clean, validation)
        if validation_config.great_expectations:
            gx_rows.append(gx_sample(validation.clean, len(keys)))
        if validation.rejected.shape[0]:
            context.log.warning(
                f"{source} {key}: {len(validation.rejected)} rows rejected to quarantine "
                f"({validation.outcomes[0].summary})"
            )
        if done == len(keys) or done % max(1, len(keys) // PROGRESS_LINES) == 0:
            context.log.info(f"{source}: {done}/{len(keys)} partitions, last {key}")
    if validation_config.great_expectations:
        label = keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]}"
        sample = pd.concat(gx_rows, ignore_index=True)
        ingested.attach_expectations(validation_config.expect(sample, source, label, symbols))
    return ingested


GX_ROWS_PER_RUN = 200_000
"""Rows the great-expectations suite sees per run, spread evenly over its partitions."""


def gx_sample(frame: pd.DataFrame, partitions: int) -> pd.DataFrame:
    per_partition = max(1, GX_ROWS_PER_RUN // max(1, partitions))
    if len(frame) <= per_partition:
        return frame
    step = len(frame) / per_partition
    return frame.iloc[(pd.RangeIndex(per_partition) * step).astype(int)]


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
        arctic_prefix=TICK_PREFIXES["equity_ticks"],
    ),
    SourceSpec(
        Source.CRYPTO_TRADES,
        hourly_partitions,
        "crypto",
        "crypto",
        "Aggregate crypto trades, 24/7, with the taker side.",
        "UTC hour (crypto never closes; hours keep each partition small)",
        arctic_prefix=TICK_PREFIXES["crypto_trades"],
    ),
    SourceSpec(
        Source.CRYPTO_OPEN_INTEREST,
        hourly_partitions,
        "crypto",
        "crypto",
        "Perpetual-futures open interest sampled every 5 seconds.",
        "UTC hour (720 samples per symbol-hour)",
        arctic_prefix=TICK_PREFIXES["crypto_open_interest"],
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
    prefix = spec.arctic_prefix
    assert prefix is not None
    key = dg.AssetKey(spec.source.value)

    @dg.asset(
        **_asset_args(spec),
        check_specs=check_specs(key, spec.partitions(), check_names(spec.source.value)),
    )
    def _source(
        context: dg.AssetExecutionContext,
        market: MarketData,
        arctic: ArcticDB,
        universe: UniverseFile,
        validation: Validation,
    ) -> dg.MaterializeResult:
        u = universe.load()
        symbols = spec.symbols(u)
        arctic_store = arctic.store()

        def write(partition_key: str, clean: pd.DataFrame) -> None:
            arctic_store.write_partition(prefix, partition_key, split_by_symbol(clean, symbols))

        ingested = ingest(context, spec, market, u, validation, write)
        metadata = ingested.metadata(SOURCE_SCHEMAS[spec.source.value].empty())
        metadata["storage"] = dg.MetadataValue.text(
            f"{arctic_store.uri} library tick_data, symbols {prefix}/<symbol>/<partition>"
        )
        return dg.MaterializeResult(
            metadata=metadata, check_results=report(context, ingested.outcomes)
        )

    return _source


def _warehouse_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    key = dg.AssetKey(spec.source.value)

    @dg.asset(
        **_asset_args(spec),
        io_manager_key="warehouse",
        metadata=WAREHOUSE_METADATA,
        check_specs=check_specs(key, spec.partitions(), check_names(spec.source.value)),
    )
    def _source(
        context: dg.AssetExecutionContext,
        market: MarketData,
        universe: UniverseFile,
        validation: Validation,
    ):  # returns a MaterializeResult carrying the frame (Dagster rejects that annotation here)
        u = universe.load()
        frames: list[pd.DataFrame] = []
        ingested = ingest(context, spec, market, u, validation, lambda _k, f: frames.append(f))
        schema = SOURCE_SCHEMAS[spec.source.value]
        frame = pd.concat(frames, ignore_index=True) if frames else schema.empty()
        if len(frame):
            frame = conform(frame, schema)
        return dg.MaterializeResult(
            value=frame,
            metadata=ingested.metadata(schema.empty()),
            check_results=report(context, ingested.outcomes),
        )

    return _source


SOURCE_ASSETS = [
    _tick_asset(spec) if spec.arctic_prefix else _warehouse_asset(spec) for spec in SOURCE_SPECS
]
