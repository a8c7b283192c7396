"""Bar specifications: frozen, documented options for every bar family.

Options live here, not as loose keyword arguments, so a bar's identity (the storage key
``AAPL/1m``, the asset's metadata) is one hashable value, and every option that changes results
is named and documented in one place (the nautilus_trader style: explicit options on the spec).

Time bars (:class:`BarSpec`)
    ``closed="left"`` (default, as pandas ``resample`` for minute frequencies): a bar covers
    ``[start, end)``; a trade exactly on a boundary opens the next bar. ``closed="right"``: a bar
    covers ``(start, end]``. ``label="left"`` (default) stamps a bar with its start,
    ``label="right"`` with its end (for the last bar of a session, the close). ``day_tz`` is the
    day boundary of daily bars on 24/7 sources (crypto); it defaults to America/New_York so one
    daily crypto bar is exactly one calendar-day partition of the pipeline (23, 24 or 25 hours
    across DST changes). Equity daily bars are sessions, whatever ``day_tz`` says.

Threshold bars (:class:`ThresholdSpec`)
    The threshold is a per-symbol step in the bar's measure (shares/base units, quote currency,
    or trades), by default average daily measure over ``lookback_days`` / ``divisor`` (50, as in
    López de Prado, *Advances in Financial Machine Learning*, ch. 2).

Tick imbalance bars (:class:`ImbalanceSpec`)
    See :mod:`vvv_pipeline.bars.imbalance` for the estimation; the spec holds its constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

NS_PER_MINUTE = 60_000_000_000
NS_PER_DAY = 86_400_000_000_000
DAILY = "1d"
_ALIASES = {"1m": "1min", "1t": "1min", "1day": DAILY, "1D": DAILY, "1H": "1h", "60min": "1h"}

Measure = Literal["volume", "dollar", "ticks"]
MEASURES: tuple[str, ...] = ("volume", "dollar", "ticks")


def normalize_freq(freq: str) -> str:
    """Canonical spelling of a frequency ("1m" -> "1min", "1D" -> "1d")."""
    return _ALIASES.get(freq, freq)


def freq_ns(freq: str) -> int:
    """Width of an intraday frequency in integer nanoseconds.

    Integer all the way: bin keys are computed by integer division of int64 ns (never by a float
    such as ``60e9``, which silently misplaces trades near boundaries at today's epoch values).
    A day must be a whole number of bars so bins stay aligned from one day to the next.
    """
    width = int(pd.Timedelta(normalize_freq(freq)).value)
    if width <= 0 or NS_PER_DAY % width:
        raise ValueError(f"frequency {freq!r} must divide a day evenly")
    return width


@dataclass(frozen=True)
class BarSpec:
    """Time-bar options; see the module docstring for what each one means."""

    freq: str = "1min"
    closed: Literal["left", "right"] = "left"
    label: Literal["left", "right"] = "left"
    day_tz: str = "America/New_York"

    def __post_init__(self) -> None:
        object.__setattr__(self, "freq", normalize_freq(self.freq))
        if self.closed not in ("left", "right"):
            raise ValueError(f"closed must be 'left' or 'right', not {self.closed!r}")
        if self.label not in ("left", "right"):
            raise ValueError(f"label must be 'left' or 'right', not {self.label!r}")
        if not self.is_daily:
            freq_ns(self.freq)

    @property
    def is_daily(self) -> bool:
        """Daily bars follow windows (sessions or local days), not a fixed width."""
        return self.freq == DAILY

    @property
    def width_ns(self) -> int:
        """Bin width; daily bars use an effectively infinite width clipped by their window."""
        return NS_PER_DAY * 400 if self.is_daily else freq_ns(self.freq)

    @property
    def shift_ns(self) -> int:
        """Right-closed ``(start, end]`` equals left-closed ``[start, end)`` on ``ts - 1 ns``."""
        return 1 if self.closed == "right" else 0


@dataclass(frozen=True)
class ThresholdSpec:
    """How a per-symbol threshold is derived from daily history (``default_thresholds``)."""

    measure: Measure = "volume"
    divisor: float = 50.0
    lookback_days: int = 20

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, not {self.measure!r}")
        if self.divisor <= 0 or self.lookback_days < 1:
            raise ValueError("divisor must be > 0 and lookback_days >= 1")


@dataclass(frozen=True)
class ImbalanceSpec:
    """Constants of the tick-imbalance estimation (see :mod:`vvv_pipeline.bars.imbalance`).

    ``initial_expected_ticks`` E0[T] and ``initial_expected_imbalance`` E0[b] seed the EWMAs;
    ``alpha`` is the EWMA weight of the newest bar; E[T] stays within
    ``[E0[T] / bounds_ratio, E0[T] * bounds_ratio]`` and |E[b]| is floored at
    ``min_expected_imbalance`` so the threshold can neither run away nor fall to one tick.
    """

    initial_expected_ticks: float = 100.0
    initial_expected_imbalance: float = 0.3
    alpha: float = 0.1
    bounds_ratio: float = 10.0
    min_expected_imbalance: float = 0.05

    def __post_init__(self) -> None:
        if self.initial_expected_ticks < 1:
            raise ValueError("initial_expected_ticks must be >= 1")
        if not 0 < self.alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        if self.bounds_ratio < 1:
            raise ValueError("bounds_ratio must be >= 1")
        if not 0 < self.min_expected_imbalance <= 1:
            raise ValueError("min_expected_imbalance must be in (0, 1]")
        if not 0 <= abs(self.initial_expected_imbalance) <= 1:
            raise ValueError("initial_expected_imbalance must be in [-1, 1]")
