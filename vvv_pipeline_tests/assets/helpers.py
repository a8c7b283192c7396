"""Reading back what the source assets stored, and what the simulator says they should hold."""

from __future__ import annotations

from contextlib import nullcontext

import dagster as dg
import duckdb
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.ingest import UNLISTED
from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS, SourceSpec
from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.partitions import window_utc
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SCALE_PRESETS, SimulatedMarket, SimulationConfig
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.instance_home import project_instance_for_test

TICK_SOURCES = TICK_PREFIXES


ID_COLUMN = {"darkpool_prints": "print_id", "options_flow": "alert_id"}


def source_spec(source: str) -> SourceSpec:
    return next(s for s in SOURCE_SPECS if s.source.value == source)


def materialize_alone(
    source: str,
    keys: list[str],
    faults: list[dict],
    *,
    instance: dg.DagsterInstance | None = None,
    **market: object,
) -> dg.ExecuteInProcessResult:
    """One run of ``source`` alone over ``keys`` (a range when several), tiny scale, ``faults``,
    recorded in ``instance`` (default: a throwaway instance of its own, half a second to open).

    Run config replaces the market resource's whole config, so the scale is restated.
    """
    defs = build_definitions()
    job = dg.define_asset_job(f"only_{source}", selection=[source]).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )
    config = {"resources": {"market": {"config": {"scale": "tiny", "faults": faults, **market}}}}
    tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True)) if len(keys) > 1 else {}
    with nullcontext(instance) if instance else project_instance_for_test() as run_instance:
        return job.execute_in_process(
            instance=run_instance,
            partition_key=None if tags else keys[0],
            tags=tags,
            run_config=config,
            raise_on_error=False,
        )


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories as strings, so frames from ArcticDB, DuckDB and the provider compare."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(str)
    return out


def in_total_order(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Canonical rows in a total order (ties in ts broken by id), ts at the warehouse's us."""
    schema = SOURCE_SCHEMAS[source]
    out = plain(frame[list(schema.names)])
    out["ts"] = pd.to_datetime(out["ts"], utc=True).dt.floor("us").dt.as_unit("ns")
    keys = [k for k in ("symbol", "ts", ID_COLUMN.get(source, "trade_id")) if k in schema.names]
    return out.sort_values(keys, kind="stable", ignore_index=True)


def stored_partition(source: str, key: str) -> pd.DataFrame:
    """The stored rows of one partition, in :func:`in_total_order`."""
    if source in TICK_SOURCES:
        rows = stored_ticks(source, [key])
    else:
        start, end = window_utc(source_spec(source).partitions().time_window_for_partition_key(key))
        rows = stored_table(source)
        rows = rows[((rows["ts"] >= start) & (rows["ts"] < end)).to_numpy()]
    return in_total_order(rows, source)


def tiny_market() -> SimulatedMarket:
    ticks, crypto = SCALE_PRESETS["tiny"]
    config = SimulationConfig(ticks_per_session=ticks, crypto_trades_per_hour=crypto)
    return SimulatedMarket(config, load_universe())


def symbols_for(source: str) -> list[str]:
    u = load_universe()
    if source in ("crypto_trades", "crypto_open_interest"):
        return list(u.crypto)
    if source == "economic_series":
        return list(u.economic)
    if source == "daily_ohlcv":
        return list(u.daily_ohlcv)
    return list(u.equities)


def expected(source: str, partitions_def: dg.PartitionsDefinition, keys: list[str]) -> pd.DataFrame:
    """What the simulator produces for ``keys`` of ``source`` (the assets' single truth)."""
    frames = []
    for key in keys:
        start, end = window_utc(partitions_def.time_window_for_partition_key(key))
        frames.append(tiny_market().fetch(Source(source), start, end, symbols_for(source)))
    frame = pd.concat(frames, ignore_index=True)
    frame["symbol"] = frame["symbol"].astype(str).astype("category")
    return frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)


def stored_ticks(source: str, keys: list[str]) -> pd.DataFrame:
    store = ArcticStore(settings.arctic_uri())
    schema = SOURCE_SCHEMAS[source]
    symbols = [*symbols_for(source), UNLISTED]
    return store.read_partitions(TICK_SOURCES[source], symbols, keys, schema)


def stored_table(source: str) -> pd.DataFrame:
    with duckdb.connect(settings.duckdb_path(), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM sources.{source}").fetchdf()
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
