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

from dataclasses import dataclass

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
    The window's own means are only computed when some symbol of the window lacks a threshold
    from earlier rows (a backfill's first partitions, a new symbol): otherwise nothing falls
    back to them.
    """
    start, end = window
    ts = history["ts"]
    prior = history[ts < start]
    own = history[(ts >= start) & (ts < end)]
    prior_means = recent_daily_means(prior, measures, lookback) if len(prior) else None
    prior_thresholds = {
        name: _thresholds(prior_means, name, measure, divisor) for name, measure in measures.items()
    }
    own_symbols = set(own["symbol"].astype(str))
    falls_back = any(not own_symbols <= set(t.index) for t in prior_thresholds.values())
    own_means = recent_daily_means(own, measures, lookback) if falls_back else None
    found = {}
    for name, thresholds in prior_thresholds.items():
        fallback = _thresholds(own_means, name, measures[name], divisor).drop(
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
    """Tick-imbalance bars of the symbols with a tick threshold, each seeded from its own E0
    (see the module docstring): one pass over the (symbol, ts)-sorted frame, the seeds and
    floors per symbol; the symbols' bars in the frame's order."""
    base = base or ImbalanceSpec()
    seeds = expected_ticks.astype(float).clip(lower=1.0)
    traded = _with_threshold(ticks, seeds)
    if traded.empty:
        return tick_imbalance_bars(ticks.iloc[:0], base)[0]
    floors = np.minimum(1.0, 1.0 / np.sqrt(seeds))
    bars, _ = tick_imbalance_bars(
        traded, base, initial_ticks=seeds, include_partial=True, imbalance_floors=floors
    )
    return bars


def _with_threshold(ticks: pd.DataFrame, thresholds: pd.Series) -> pd.DataFrame:
    """Ticks of symbols that have a threshold (a symbol with no volume at all forms no bars)."""
    if ticks.empty:
        return ticks
    codes, categories = symbol_codes(ticks["symbol"])
    wanted = set(thresholds.index.astype(str))
    has = np.array([str(name) in wanted for name in categories] + [False])
    if has[:-1].all() and codes.min() >= 0:  # every symbol has one: no row to look at
        return ticks
    keep = has[codes]  # code -1 (no symbol) reads the trailing False
    return ticks if bool(keep.all()) else ticks[keep].reset_index(drop=True)
