"""Bars: pure functions from canonical tick frames to bar frames (no Dagster here).

Families, one module each:

- :mod:`~vvv_pipeline.bars.time`: time bars (1min, 5min, 15min, 1h, 1d), equity session-aligned
  or crypto 24/7; left-closed, left-labelled; no row for an empty interval.
- :mod:`~vvv_pipeline.bars.volume`: volume, dollar and tick bars with exact splitting and a carry
  across partitions; thresholds from :mod:`~vvv_pipeline.bars.thresholds` (ADV / 50).
- :mod:`~vvv_pipeline.bars.imbalance`: tick imbalance bars with EWMA expectations and bounds.
- :mod:`~vvv_pipeline.bars.open_interest`: 5-second open-interest windows and per-bar OI.

Shared pieces: :mod:`~vvv_pipeline.bars.spec` (options), :mod:`~vvv_pipeline.bars.signing`
(aggressor else tick rule), :mod:`~vvv_pipeline.bars.session_grid` (sessions, local days),
:mod:`~vvv_pipeline.bars.carry` (partition carry), and the numba kernels (``kernels*``).
Inputs must be sorted by (symbol, ts), as canonical frames are; nothing is re-sorted.
"""

from vvv_pipeline.bars.event_frames import EVENT_BAR_COLUMNS
from vvv_pipeline.bars.imbalance import tick_imbalance_bars
from vvv_pipeline.bars.open_interest import (
    BAR_OI_COLUMNS,
    OI_WINDOW_COLUMNS,
    join_oi,
    oi_unknown,
    oi_windows,
)
from vvv_pipeline.bars.session_grid import calendar_day_windows, session_windows
from vvv_pipeline.bars.signing import tick_rule, trade_signs
from vvv_pipeline.bars.spec import BarSpec, ImbalanceSpec, ThresholdSpec
from vvv_pipeline.bars.thresholds import default_thresholds
from vvv_pipeline.bars.time import FREQUENCIES, TIME_BAR_COLUMNS, time_bars
from vvv_pipeline.bars.volume import dollar_bars, tick_bars, volume_bars

__all__ = [
    "BAR_OI_COLUMNS",
    "EVENT_BAR_COLUMNS",
    "FREQUENCIES",
    "OI_WINDOW_COLUMNS",
    "TIME_BAR_COLUMNS",
    "BarSpec",
    "ImbalanceSpec",
    "ThresholdSpec",
    "calendar_day_windows",
    "default_thresholds",
    "dollar_bars",
    "join_oi",
    "oi_unknown",
    "oi_windows",
    "session_windows",
    "tick_bars",
    "tick_imbalance_bars",
    "tick_rule",
    "time_bars",
    "trade_signs",
    "volume_bars",
]
