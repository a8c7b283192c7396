"""Reading back what the source assets stored, and what the simulator says they should hold."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.assets.ingest import UNLISTED
from vvv_pipeline.partitions import window_utc
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SCALE_PRESETS, SimulatedMarket, SimulationConfig
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.universe import load_universe

TICK_SOURCES = TICK_PREFIXES


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
