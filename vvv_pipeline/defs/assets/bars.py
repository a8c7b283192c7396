"""Time bars and 5-second open-interest windows, derived from the stored ticks into ArcticDB.

Each asset reads its run's partitions from ``tick_data`` in chunks, computes with the pure bar
layer (:mod:`vvv_pipeline.bars`) and replaces exactly the chunk's window of each
``{symbol}/{spec}`` series of ``bars_time_bars`` (see :mod:`vvv_pipeline.defs.assets.derive`).
Trades are signed per partition (:func:`partition_starts`), so a chunk of twenty sessions gives
each session the bars it would get alone.
"""

import dagster as dg
import pandas as pd

from vvv_pipeline.bars import join_oi, oi_windows
from vvv_pipeline.bars.frames import TICK_ARRAY_COLUMNS
from vvv_pipeline.bars.time import FREQUENCIES, time_bars_by_freq
from vvv_pipeline.defs.assets.derive import (
    CRYPTO_OI_DEP,
    CRYPTO_TRADES_DEP,
    derive,
    derived_asset,
    hours_of,
    partition_window,
    per_symbol,
    tick_reads,
)
from vvv_pipeline.defs.assets.frames_io import split_key
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.schemas import CRYPTO_OPEN_INTEREST, CRYPTO_TRADES, EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.storage.derived import TIME_BARS, DerivedStore

OI_SERIES = "oi_5s"
OI_SECONDS = 5


@derived_asset(
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
        ticks = store.read_partitions(
            TICK_PREFIXES["equity_ticks"], symbols, chunk, EQUITY_TICKS, columns=TICK_ARRAY_COLUMNS
        )
        starts = partition_starts(session_partitions(), chunk)
        frames: dict[str, pd.DataFrame] = {}
        by_freq = time_bars_by_freq(ticks, FREQUENCIES, sessions=chunk, partition_starts=starts)
        for freq, bars in zip(FREQUENCIES, by_freq, strict=True):
            frames |= per_symbol(bars, symbols, f"/{freq}")
        return frames

    rows_of, in_memory = tick_reads(store, "equity_ticks", symbols)
    return derive(context, arctic, TIME_BARS, compute, rows_of=rows_of, in_memory=in_memory)


def partition_starts(
    partitions_def: dg.PartitionsDefinition, keys: list[str]
) -> list[pd.Timestamp]:
    """Where each partition of a chunk begins: its trades are signed from its own rows only
    (the tick rule never carries a price across partitions), so a partition's bars are the
    same however a range was chunked or run."""
    return [partition_window(partitions_def, key)[0] for key in keys]


def _hours_with_previous(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    """The day's hours plus the hour before (the first window's change needs its predecessor)."""
    hours = hours_of(start, end)
    first = hourly_partitions().get_first_partition_key()
    before = (start - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")
    return ([before] if before >= first else []) + hours


@derived_asset(
    "crypto_oi_windows",
    calendar_day_partitions(),
    [CRYPTO_OI_DEP],
    "bars",
    "Open interest of every crypto pair on 5-second windows (last sample per window, venues "
    "summed) with its change against the previous window, also across midnight. ArcticDB "
    "`bars_time_bars`, symbols `{PAIR}/oi_5s`.",
    TIME_BARS,
)
def crypto_oi_windows(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().crypto)
    store = arctic.store()

    def compute(_chunk: list[str], window) -> dict[str, pd.DataFrame]:
        samples = store.read_partitions(
            TICK_PREFIXES["crypto_open_interest"],
            symbols,
            _hours_with_previous(*window),
            CRYPTO_OPEN_INTEREST,
        )
        windows = oi_windows(samples, OI_SECONDS) if len(samples) else samples.iloc[:0]
        if len(windows):
            windows = windows[windows["ts"] >= window[0]]
        return per_symbol(windows.reset_index(drop=True), symbols, f"/{OI_SERIES}")

    rows_of, _in_memory = tick_reads(store, "crypto_open_interest", symbols, hourly=True)
    return derive(context, arctic, TIME_BARS, compute, rows_of=rows_of)


@derived_asset(
    "crypto_time_bars",
    calendar_day_partitions(),
    [CRYPTO_TRADES_DEP, "crypto_oi_windows"],
    "bars",
    "1m, 5m, 15m, 1h and 1d bars of every crypto pair, 24/7 (1d = New York calendar day), "
    "left-closed and left-labelled, with per-bar open interest (`oi_open`, `oi_close`, "
    "`oi_change` from the 5-second windows). ArcticDB `bars_time_bars`, symbols `{PAIR}/{freq}`.",
    TIME_BARS,
)
def crypto_time_bars(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    symbols = list(universe.load().crypto)
    store = arctic.store()
    derived = DerivedStore(arctic.uri)

    def compute(chunk: list[str], window) -> dict[str, pd.DataFrame]:
        trades = store.read_partitions(
            TICK_PREFIXES["crypto_trades"],
            symbols,
            hours_of(*window),
            CRYPTO_TRADES,
            columns=TICK_ARRAY_COLUMNS,
        )
        starts = partition_starts(calendar_day_partitions(), chunk)
        names = [f"{s}/{OI_SERIES}" for s in symbols]
        # from an hour before: the first bar's opening OI is the last window before midnight
        oi = split_key(derived.read(TIME_BARS, names, window[0] - pd.Timedelta(hours=1), window[1]))
        frames: dict[str, pd.DataFrame] = {}
        by_freq = time_bars_by_freq(trades, FREQUENCIES, partition_starts=starts)
        for freq, bars in zip(FREQUENCIES, by_freq, strict=True):
            bars = join_oi(bars, oi, freq, OI_SECONDS)
            frames |= per_symbol(bars, symbols, f"/{freq}")
        return frames

    rows_of, in_memory = tick_reads(store, "crypto_trades", symbols, hourly=True)
    return derive(context, arctic, TIME_BARS, compute, rows_of=rows_of, in_memory=in_memory)


TIME_BAR_ASSETS = [equity_time_bars, crypto_oi_windows, crypto_time_bars]
