"""Event bars of one partition: volume, dollar, tick and tick-imbalance bars with their thresholds.

How the pipeline's event-bar assets continue across partitions (a defined, documented rule):
every partition (an XNYS session for equities, a New York calendar day for crypto) starts
fresh and ends with each symbol's open bar emitted as a partial bar (``complete`` False). A
partition's bars therefore depend only on that partition's trades and the history before it,
so re-materializing one partition never changes another and a backfill gives the same bars in
any order. (The pure layer's carry, :mod:`~vvv_pipeline.bars.carry`, gives continuous bars
across partitions for a caller that wants them; it is not used here for that reason.)

Thresholds come from history, as López de Prado suggests: per symbol, the mean daily volume
(dollar volume, trade count) of the ``lookback_days`` days before the partition, divided by
``divisor`` (default 50: about 50 bars a day). A symbol with no earlier day (the first partition
ever built) uses its own day instead, so the very first partition is still bucketed sensibly;
the thresholds used are returned with the bars.

Tick-imbalance bars seed E[T] with the tick threshold E0 and set both the seed of E[b] and the
floor of |E[b]| to ``1 / sqrt(E0)``: a balanced ±1 flow is a random walk, which needs about
``h**2`` ticks to reach an imbalance of ``h``, so a threshold of ``E0 / sqrt(E0) = sqrt(E0)``
closes bars of about E0 ticks. With the library's fixed defaults (E0[b] = 0.3, floor 0.05)
balanced flow gives one-tick bars on thin days and one bar a day on busy ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import symbol_codes
from vvv_pipeline.bars.imbalance import tick_imbalance_bars
from vvv_pipeline.bars.spec import ImbalanceSpec, Measure
from vvv_pipeline.bars.thresholds import recent_daily_means, thresholds_from_means
from vvv_pipeline.bars.volume import volume_bars

EVENT_KINDS: dict[str, Measure] = {"volume": "volume", "dollar": "dollar", "tick": "ticks"}
"""Bar kind (the ``{SYMBOL}/{kind}`` series name) -> the measure it fills."""
IMBALANCE_KIND = "tick_imbalance"
HISTORY_COLUMNS = ("symbol", "ts", "volume", "vwap", "trade_count")


@dataclass(frozen=True)
class PartitionEvents:
    bars: dict[str, pd.DataFrame]
    """kind -> bars of every symbol (``volume``, ``dollar``, ``tick``, ``tick_imbalance``)."""
    thresholds: pd.DataFrame
    """One row per symbol: the threshold of each kind, and ``bootstrapped`` (own-day history)."""


def history_thresholds(
    history: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    measures: dict[str, Measure],
    divisor: float,
    lookback: int,
) -> dict[str, tuple[pd.Series, pd.Index]]:
    """Thresholds from daily rows before the partition ``window`` ([start, end) UTC), for each
    named measure: (thresholds indexed by symbol, the symbols that fell back to their own day).

    Symbols without a usable earlier row use their rows inside the window (never later ones).
    """
    start, end = window
    ts = history["ts"]
    prior = history[ts < start]
    own = history[(ts >= start) & (ts < end)]
    prior_means = recent_daily_means(prior, measures, lookback) if len(prior) else None
    own_means = recent_daily_means(own, measures, lookback) if len(own) else None
    found = {}
    for name, measure in measures.items():
        thresholds = _thresholds(prior_means, name, measure, divisor)
        fallback = _thresholds(own_means, name, measure, divisor).drop(
            thresholds.index, errors="ignore"
        )
        found[name] = (pd.concat([thresholds, fallback]).rename("threshold"), fallback.index)
    return found


def _thresholds(
    means: pd.DataFrame | None, name: str, measure: Measure, divisor: float
) -> pd.Series:
    if means is None:
        return pd.Series(dtype=float)
    return thresholds_from_means(means[name], measure, divisor)


def partition_event_bars(
    ticks: pd.DataFrame,
    history: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    divisor: float = 50.0,
    lookback_days: int = 20,
    imbalance: ImbalanceSpec | None = None,
) -> PartitionEvents:
    """All event bars of one partition's ``ticks`` (canonical, sorted by symbol and ts).

    ``history`` holds daily bars (``symbol``, ``ts``, ``volume``, ``vwap``, ``trade_count``) up to
    and including the partition's own day; ``window`` is the partition's [start, end) in UTC.
    """
    table = partition_thresholds(history, window, divisor, lookback_days)
    bars: dict[str, pd.DataFrame] = {}
    for kind, measure in EVENT_KINDS.items():
        thresholds = table[kind].dropna().rename("threshold")
        traded = _with_threshold(ticks, thresholds)
        bars[kind], _ = volume_bars(traded, thresholds, measure, include_partial=True)
    bars[IMBALANCE_KIND] = imbalance_bars(ticks, table["tick"].dropna(), imbalance)
    return PartitionEvents(bars, table)


def partition_thresholds(
    history: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    divisor: float = 50.0,
    lookback_days: int = 20,
) -> pd.DataFrame:
    """The thresholds one partition's event bars use: one row per symbol (index ``symbol``), a
    column per kind, and ``bootstrapped`` (no earlier day: its own day's); from ``history`` and
    ``window`` alone (see :func:`partition_event_bars`)."""
    columns: dict[str, pd.Series] = {}
    bootstrapped = pd.Index([])
    found = history_thresholds(history, window, EVENT_KINDS, divisor, lookback_days)
    for kind, (thresholds, fallback) in found.items():
        bootstrapped = bootstrapped.union(fallback)
        columns[kind] = thresholds
    table = pd.DataFrame(columns)
    table["bootstrapped"] = table.index.isin(bootstrapped)
    table.index.name = "symbol"
    return table


def imbalance_bars(
    ticks: pd.DataFrame, expected_ticks: pd.Series, base: ImbalanceSpec | None = None
) -> pd.DataFrame:
    """Tick-imbalance bars per symbol, each seeded from its own E0 (see the module docstring).

    Each symbol's ticks are its contiguous block of the (symbol, ts)-sorted frame, a row slice
    found by binary search on the category codes (no string compare, no copy).
    """
    base = base or ImbalanceSpec()
    rows = _symbol_rows(ticks)
    parts = []
    for symbol, e0 in expected_ticks.items():
        mine = rows(str(symbol))
        if mine.empty:
            continue
        floor = float(min(1.0, 1.0 / np.sqrt(max(e0, 1.0))))
        spec = replace(
            base,
            initial_expected_ticks=float(max(e0, 1.0)),
            initial_expected_imbalance=floor,
            min_expected_imbalance=floor,
        )
        parts.append(tick_imbalance_bars(mine, spec, include_partial=True)[0])
    if not parts:
        return tick_imbalance_bars(ticks.iloc[:0], base)[0]
    return pd.concat(parts, ignore_index=True)


def _symbol_rows(ticks: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """symbol name -> its rows of ``ticks`` (in frame order)."""
    if not len(ticks):
        return lambda _symbol: ticks
    codes, categories = symbol_codes(ticks["symbol"])
    by_name: dict[str, list[int]] = {}
    for code, name in enumerate(categories):
        by_name.setdefault(str(name), []).append(code)
    if len(codes) and codes.min() >= 0 and (np.diff(codes) >= 0).all():
        bounds = np.searchsorted(codes, np.arange(len(categories) + 1))

        def block(symbol: str) -> pd.DataFrame:
            mine = by_name.get(symbol, [])
            if len(mine) == 1:
                return ticks.iloc[bounds[mine[0]] : bounds[mine[0] + 1]]
            return ticks[np.isin(codes, mine)]

        return block
    return lambda symbol: ticks[np.isin(codes, by_name.get(symbol, []))]


def _with_threshold(ticks: pd.DataFrame, thresholds: pd.Series) -> pd.DataFrame:
    """Ticks of symbols that have a threshold (a symbol with no volume at all forms no bars)."""
    if ticks.empty:
        return ticks
    codes, categories = symbol_codes(ticks["symbol"])
    wanted = set(thresholds.index.astype(str))
    has = np.array([str(name) in wanted for name in categories] + [False])
    keep = has[codes]  # code -1 (no symbol) reads the trailing False
    return ticks if bool(keep.all()) else ticks[keep].reset_index(drop=True)
