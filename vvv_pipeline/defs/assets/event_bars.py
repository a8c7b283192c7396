"""Volume, dollar, tick and tick-imbalance bars of equities and crypto into ``bars_volume_bars``.

One series per symbol and kind (``{SYMBOL}/volume``, ``/dollar``, ``/tick``,
``/tick_imbalance``), indexed by each bar's last trade. Thresholds come from the daily time bars
stored before each partition (mean of the last ``lookback_days`` days / ``divisor``), and every
partition starts fresh, ending with each symbol's partial bar (``complete`` False): see
:mod:`vvv_pipeline.bars.partition_events` for why.
"""

from collections.abc import Callable, Sequence

import dagster as dg
import pandas as pd
from pydantic import Field

from vvv_pipeline.bars.frames import TICK_ARRAY_COLUMNS
from vvv_pipeline.bars.partition_events import (
    EVENT_KINDS,
    HISTORY_COLUMNS,
    IMBALANCE_KIND,
    partition_event_bars,
    partition_thresholds,
)
from vvv_pipeline.defs.assets.derive import (
    CRYPTO_TRADES_DEP,
    derive,
    derived_asset,
    hours_of,
    keys_window,
    partition_window,
    per_symbol,
    tick_reads,
)
from vvv_pipeline.defs.assets.frames_io import read_bars
from vvv_pipeline.defs.assets.ui_metadata import markdown_table
from vvv_pipeline.defs.partitions import calendar_day_partitions, session_partitions
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.storage.derived import VOLUME_BARS, DerivedStore

KINDS = (*EVENT_KINDS, IMBALANCE_KIND)
HISTORY_CALENDAR_DAYS = 45
"""Calendar days of daily bars read before a chunk: enough for 20 sessions plus holidays."""


class EventBarsConfig(dg.Config):
    divisor: float = Field(default=50.0, description="bars per average day (ADV / divisor)")
    lookback_days: int = Field(default=20, description="days of history averaged per symbol")


def partition_history(
    history: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The daily rows a run of the partition [start, end) alone reads (its
    ``HISTORY_CALENDAR_DAYS`` before it, up to its end), cut from a chunk's: a partition's
    thresholds do not depend on which partitions share its chunk."""
    if history.empty:
        return history
    lo = start - pd.Timedelta(days=HISTORY_CALENDAR_DAYS)
    return history[(history["ts"] >= lo) & (history["ts"] < end)]


def daily_history(
    derived: DerivedStore, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Stored 1d time bars (``symbol``, ``ts``, ``volume``, ``vwap``, ``trade_count``)."""
    lo = start - pd.Timedelta(days=HISTORY_CALENDAR_DAYS)
    frame = read_bars(derived, symbols, "1d", lo, end)
    if frame.empty:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    return frame[list(HISTORY_COLUMNS)].assign(symbol=frame["symbol"].astype(str))


def _event_asset(
    name: str,
    partitions_def: dg.PartitionsDefinition,
    deps: list,
    universe_symbols: Callable,
    read_day: Callable,
    source: str,
    description: str,
) -> dg.AssetsDefinition:
    @derived_asset(name, partitions_def, deps, "bars", description, VOLUME_BARS)
    def _bars(
        context: dg.AssetExecutionContext,
        config: EventBarsConfig,
        arctic: ArcticDB,
        universe: UniverseFile,
    ) -> dg.MaterializeResult:
        symbols = list(universe_symbols(universe.load()))
        store = arctic.store()
        derived = DerivedStore(arctic.uri)
        run_history: list[pd.DataFrame] = []
        # thresholds each partition's bars used, noted where they were computed (derive hands
        # a forked process's notes back); a partition without one is recomputed for its metadata
        used_thresholds: dict[str, pd.DataFrame] = {}

        def compute(chunk: list[str], window) -> dict[str, pd.DataFrame]:
            history = daily_history(derived, symbols, *window)
            per_kind: dict[str, list[pd.DataFrame]] = {kind: [] for kind in KINDS}
            for key in chunk:
                start, end = partition_window(partitions_def, key)
                ticks = read_day(store, symbols, key, start, end)
                events = partition_event_bars(
                    ticks,
                    partition_history(history, start, end),
                    (start, end),
                    config.divisor,
                    config.lookback_days,
                )
                used_thresholds[key] = events.thresholds
                for kind in KINDS:
                    per_kind[kind].append(events.bars[kind])
            frames: dict[str, pd.DataFrame] = {}
            for kind, parts in per_kind.items():
                bars = pd.concat(parts, ignore_index=True)
                frames |= per_symbol(bars, symbols, f"/{kind}")
            return frames

        def thresholds_metadata(key: str) -> dict[str, dg.MetadataValue]:
            """The partition's own thresholds, and whether any came from its own day: those
            its bars used, or recomputed from the same daily rows (one read for the run)."""
            thresholds = used_thresholds.get(key)
            if thresholds is None:
                if not run_history:
                    run_window = keys_window(partitions_def, context.partition_keys)
                    run_history.append(daily_history(derived, symbols, *run_window))
                start, end = partition_window(partitions_def, key)
                history = partition_history(run_history[0], start, end)
                thresholds = partition_thresholds(
                    history, (start, end), config.divisor, config.lookback_days
                )
            table = thresholds.reset_index()
            return {
                "thresholds": dg.MetadataValue.md(
                    markdown_table(table.round(2), max_rows=50) if len(table) else "(no trades)"
                ),
                "bootstrapped": dg.MetadataValue.bool(
                    bool(table["bootstrapped"].any()) if len(table) else False
                ),
            }

        rows_of, in_memory = tick_reads(store, source, symbols, hourly=source == "crypto_trades")
        return derive(
            context,
            arctic,
            VOLUME_BARS,
            compute,
            thresholds_metadata,
            rows_of=rows_of,
            in_memory=in_memory,
            notes=used_thresholds,
        )

    return _bars


def _equity_day(store, symbols, key, _start, _end) -> pd.DataFrame:
    return store.read_partitions(
        TICK_PREFIXES["equity_ticks"], symbols, [key], EQUITY_TICKS, columns=TICK_ARRAY_COLUMNS
    )


def _crypto_day(store, symbols, _key, start, end) -> pd.DataFrame:
    hours = hours_of(start, end)
    return store.read_partitions(
        TICK_PREFIXES["crypto_trades"], symbols, hours, CRYPTO_TRADES, columns=TICK_ARRAY_COLUMNS
    )


_BAR_TEXT = (
    "volume, dollar and tick bars (each holds exactly its per-symbol threshold: ADV / divisor "
    "over the previous lookback_days, trades split at the boundary) and tick imbalance bars; "
    "each partition starts fresh and ends with a partial bar (complete=False). ArcticDB "
    "`bars_volume_bars`, symbols `{SYMBOL}/{volume|dollar|tick|tick_imbalance}`."
)
equity_event_bars = _event_asset(
    "equity_event_bars",
    session_partitions(),
    ["equity_ticks", "equity_time_bars"],
    lambda universe: universe.equities,
    _equity_day,
    "equity_ticks",
    f"Per session, every equity's {_BAR_TEXT}",
)
crypto_event_bars = _event_asset(
    "crypto_event_bars",
    calendar_day_partitions(),
    [CRYPTO_TRADES_DEP, "crypto_time_bars"],
    lambda universe: universe.crypto,
    _crypto_day,
    "crypto_trades",
    f"Per New York calendar day, every crypto pair's {_BAR_TEXT}",
)

EVENT_BAR_ASSETS = [equity_event_bars, crypto_event_bars]
