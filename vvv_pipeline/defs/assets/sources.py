"""One partitioned source asset per data source, each with its validation tiers as checks.

Tick-scale sources (equity ticks, crypto trades, open interest) are written to ArcticDB one
symbol per instrument and partition, partition by partition (:mod:`.ingest`). The small
sources return their validated frame for the DuckDB warehouse IO manager, which writes it into
the partitions' time window. Each partition's materialization carries its own rows, rejects,
timestamps and preview; the asset is a generator so its check evaluations come after the
materializations they target (:func:`.checks.check_events`).
"""

from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

import dagster as dg
import pandas as pd

import vvv_pipeline.defs.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline import settings
from vvv_pipeline.defs.assets.checks import check_events, check_specs
from vvv_pipeline.defs.assets.column_schema import COLUMN_SCHEMA
from vvv_pipeline.defs.assets.ingest import ingest, split_by_symbol
from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS, SourceSpec
from vvv_pipeline.defs.assets.source_types import source_column_schema, source_dagster_type
from vvv_pipeline.defs.assets.stream_finalize import (
    open_interest_stream_fetch,
    prune_equity_stream,
    session_stream_fetch,
    stream_fetch,
)
from vvv_pipeline.defs.assets.ui_metadata import attach_per_partition
from vvv_pipeline.defs.automation.policies import (
    freshness_for,
    source_backfill_policy,
    source_retries,
)
from vvv_pipeline.defs.resources import ArcticDB, MarketData, UniverseFile, Validation
from vvv_pipeline.providers.base import Source
from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.storage.arctic import ts_indexed
from vvv_pipeline.streaming.iqfeed_l1 import VENUE as IQFEED
from vvv_pipeline.validation.gate import check_names

OWNERS = ["team:market-data"]
StepEvents: TypeAlias = Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]
"""What a source asset yields: its materialization, then its checks (see check_events)."""
TICK_KINDS = {"arcticdb", "pandas"}
WAREHOUSE_KINDS = {"duckdb", "pandas"}
WAREHOUSE_METADATA = {"partition_expr": "ts"}


def _describe(source: Source, summary: str, partitioning: str) -> str:
    schema = SOURCE_SCHEMAS[source.value]
    return f"{summary}\n\nPartitioned by {partitioning}.\n\n{schema.markdown()}"


def _asset_args(spec: SourceSpec, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    store = "arcticdb" if spec.arctic_prefix else "duckdb"
    schema = dg.MetadataValue.table_schema(source_column_schema(spec.source.value))
    current = settings.current()
    return {
        "name": spec.source.value,
        "partitions_def": spec.partitions(),
        "backfill_policy": source_backfill_policy(current.provider),
        "freshness_policy": freshness_for(spec.partitions()),
        "pool": f"provider_{spec.provider}",
        "group_name": "sources",
        "kinds": TICK_KINDS if spec.arctic_prefix else WAREHOUSE_KINDS,
        "owners": OWNERS,
        "tags": {"layer": "source", "asset_class": spec.asset_class, "store": store},
        "description": _describe(spec.source, spec.summary, spec.partitioning),
        # the UI's Columns section and column search, and the output's type: both from the
        # source's pandera contract, whose columns the description renders
        "metadata": {COLUMN_SCHEMA: schema, **(metadata or {})},
        "dagster_type": source_dagster_type(spec.source.value, spec.arctic_prefix is not None),
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
    ) -> StepEvents:
        u = universe.load()
        symbols = spec.symbols(u)
        arctic_store = arctic.store()

        def write(partition_key: str, clean: pd.DataFrame) -> None:
            # index once, then split into row slices: no copy per instrument; the validated
            # partition is not changed after it is stored, so the tick cache keeps the slices
            parts = split_by_symbol(ts_indexed(clean), symbols)
            arctic_store.write_partition(prefix, partition_key, parts, handed_over=True)

        # opt-in: what a stream settled for a partition is finalized from it (else fetched)
        config = settings.current()
        with source_retries(config, context.retry_number):
            fetch = None
            if spec.source == Source.CRYPTO_TRADES and config.stream_crypto_trades:
                fetch = stream_fetch(market, u, arctic_store.uri)
            elif spec.source == Source.CRYPTO_OPEN_INTEREST and config.stream_crypto_open_interest:
                fetch = open_interest_stream_fetch(market, u, arctic_store.uri)
            elif spec.source == Source.EQUITY_TICKS and config.stream_equity_ticks:
                fetch = session_stream_fetch(market, u, arctic_store.uri)
            ingested = ingest(context, spec, market, u, validation, write, fetch)
        if spec.source == Source.EQUITY_TICKS and IQFEED in settings.stream_venues():
            for session in sorted(ingested.partition_metadata):  # each counts what it let go
                pruned = prune_equity_stream(arctic_store.uri, symbols, session)
                ingested.partition_metadata[session]["stream_hours_pruned"] = dg.MetadataValue.int(
                    pruned
                )
        attach_per_partition(context, ingested.partition_metadata)
        metadata = ingested.run_metadata()
        metadata["storage"] = dg.MetadataValue.text(
            f"{arctic_store.uri} library tick_data, symbols {prefix}/<symbol>/<partition>"
        )
        yield dg.MaterializeResult(metadata=metadata)
        yield from check_events(context, ingested.outcomes)

    return _source


def _warehouse_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    key = dg.AssetKey(spec.source.value)

    @dg.asset(
        **_asset_args(spec, WAREHOUSE_METADATA),
        io_manager_key="warehouse",
        check_specs=check_specs(key, spec.partitions(), check_names(spec.source.value)),
    )
    def _source(
        context: dg.AssetExecutionContext,
        market: MarketData,
        universe: UniverseFile,
        validation: Validation,
    ) -> StepEvents:  # Dagster ignores a generator's annotation: the frame's type stays Any
        u = universe.load()
        frames: list[pd.DataFrame] = []
        with source_retries(settings.current(), context.retry_number):
            ingested = ingest(context, spec, market, u, validation, lambda _k, f: frames.append(f))
        schema = SOURCE_SCHEMAS[spec.source.value]
        frame = pd.concat(frames, ignore_index=True) if frames else schema.empty()
        if len(frame):
            frame = conform(frame, schema)
        attach_per_partition(context, ingested.partition_metadata)
        yield dg.MaterializeResult(value=frame, metadata=ingested.run_metadata())
        yield from check_events(context, ingested.outcomes)

    return _source


SOURCE_ASSETS = [
    _tick_asset(spec) if spec.arctic_prefix else _warehouse_asset(spec) for spec in SOURCE_SPECS
]
