"""Per-symbol thresholds for volume, dollar and tick bars, derived from recent daily history.

Default, as López de Prado suggests: a bar is 1/50 of an average day, so a symbol produces about
50 bars a day whatever its liquidity, and a liquid name's bars are not 100x shorter than an
illiquid one's. "Average day" is the mean of the last ``lookback_days`` daily rows per symbol
(zero days count: they are part of the average). Volume and tick thresholds are rounded to whole
units (at least 1) so integer-sized trades fill bars exactly; dollar thresholds stay float.

History can be daily OHLCV (``volume``, ``close``) or daily time bars from this package
(``volume``, ``vwap``, ``trade_count``), which is the better source for dollar (VWAP, not close)
and the only one for ticks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.spec import Measure, ThresholdSpec


def daily_measure(history: pd.DataFrame, measure: Measure) -> pd.Series:
    """Each daily row's amount in the bar measure (shares, quote currency, trades)."""
    if measure == "volume":
        return history["volume"].astype(float)
    if measure == "ticks":
        if "trade_count" not in history.columns:
            raise ValueError("tick thresholds need a trade_count column (use daily time bars)")
        return history["trade_count"].astype(float)
    if "dollar_volume" in history.columns:
        return history["dollar_volume"].astype(float)
    price = history["vwap"] if "vwap" in history.columns else history["close"]
    return history["volume"].astype(float) * price.astype(float)


def default_thresholds(
    daily_volume_history: pd.DataFrame,
    divisor: float = 50.0,
    measure: Measure = "volume",
    lookback_days: int = 20,
    spec: ThresholdSpec | None = None,
) -> pd.Series:
    """Threshold per symbol: mean daily measure over the last ``lookback_days`` / ``divisor``.

    ``daily_volume_history`` has ``symbol``, ``ts`` and the measure's columns (see
    :func:`daily_measure`). ``spec`` overrides the three keyword options. Returns a float Series
    indexed by symbol (str), named ``threshold``; symbols with no positive history are dropped
    (they cannot form bars).
    """
    if spec is None:
        spec = ThresholdSpec(measure=measure, divisor=divisor, lookback_days=lookback_days)
    recent = recent_daily_means(daily_volume_history, {"mean": spec.measure}, spec.lookback_days)
    return thresholds_from_means(recent["mean"], spec.measure, spec.divisor)


def recent_daily_means(
    history: pd.DataFrame, measures: dict[str, Measure], lookback_days: int
) -> pd.DataFrame:
    """Per symbol (index, ``str``, sorted), the mean of its last ``lookback_days`` daily rows
    in each measure: one column per key of ``measures``. One sort and one grouping serve every
    measure (each column's mean is the one a grouping of that column alone gives)."""
    history = history.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
    amounts = pd.DataFrame(
        {name: daily_measure(history, measure) for name, measure in measures.items()}
    )
    symbols = history["symbol"].astype(str)
    tail = amounts.groupby(symbols).tail(lookback_days)
    return tail.groupby(symbols.loc[tail.index], sort=True).mean()


def thresholds_from_means(recent: pd.Series, measure: Measure, divisor: float) -> pd.Series:
    """Thresholds (``threshold``, indexed by ``symbol``) from each symbol's mean daily amount:
    mean / divisor, whole units (at least 1) for volume and ticks; symbols whose mean is not
    positive dropped."""
    threshold = recent / divisor
    if measure in ("volume", "ticks"):
        threshold = np.maximum(np.round(threshold), 1.0)
    threshold = threshold[recent > 0]
    threshold.index.name = "symbol"
    return threshold.rename("threshold").astype(float)
