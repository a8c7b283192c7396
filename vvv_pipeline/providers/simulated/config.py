"""Configuration of the simulated market: seed, scale and fault knobs.

The configuration is part of every unit's identity: the same (seed, scale, faults) always
regenerates the same rows, and changing any of them changes only what it should (a different
scale changes tick counts but not the underlying price path; faults change only the units they
name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated.fault_targets import check_applicable
from vvv_pipeline.settings import ScaleName

FAULT_KINDS = (
    "drop_range",
    "nan_price",
    "negative_price",
    "zero_size",
    "crossed_quote",
    "duplicate_id",
    "naive_timezone",
    "shifted_timezone",
    "out_of_window",
    "unknown_symbol",
    "bad_occ_symbol",
    "price_spike",
    "stale_run",
)
"""Named defects; :mod:`.faults` documents what each does and for which sources it applies."""

SCALE_PRESETS: dict[ScaleName, tuple[int, int]] = {
    "tiny": (500, 100),
    "default": (20_000, 3_000),
    "heavy": (1_000_000, 150_000),
}
"""Preset -> (equity ticks per full session per symbol, crypto trades per hour per symbol); the
names are ``VVV_SCALE``'s choices (:data:`vvv_pipeline.settings.ScaleName`), in that order."""


class FaultError(ValueError):
    """A fault the simulated market cannot apply as configured (e.g. an unknown symbol).

    A configuration error: retrying the run cannot fix it, so it fails the step at once.
    """


def parse_instant(value: str | pd.Timestamp | None, what: str) -> pd.Timestamp | None:
    """An ISO timestamp as tz-aware UTC (naive input is read as UTC)."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what}: cannot parse {value!r} as a timestamp ({err})") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class Fault:
    """One injected defect: ``kind`` on ``source`` (optionally one symbol, optionally a window).

    ``start``/``end`` limit the fault to units overlapping ``[start, end)``; for ``drop_range``
    they are the removed range itself and are required. ``count`` is the number of bad rows per
    affected (symbol, unit) (the run length for ``stale_run``).
    """

    kind: str
    source: str
    symbol: str | None = None
    start: str | None = None
    end: str | None = None
    count: int = 5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        valid_sources = [s.value for s in Source]
        source = self.source.value if isinstance(self.source, Source) else self.source
        if source not in valid_sources:
            raise ValueError(
                f"fault {self.kind!r}: unknown source {self.source!r}; "
                f"expected one of {valid_sources}"
            )
        object.__setattr__(self, "source", str(source))
        if not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"fault {self.kind!r}: count must be a positive int, got {self.count}")
        lo = parse_instant(self.start, f"fault {self.kind!r} start")
        hi = parse_instant(self.end, f"fault {self.kind!r} end")
        if self.kind == "drop_range" and (lo is None or hi is None):
            raise ValueError("fault 'drop_range' requires both start and end")
        if (lo is None) != (hi is None):
            raise ValueError(f"fault {self.kind!r}: give both start and end, or neither")
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"fault {self.kind!r}: start {lo} is not before end {hi}")
        check_applicable(self.kind, self.source)

    @property
    def window(self) -> tuple[int, int] | None:
        """``[start, end)`` as UTC nanoseconds, or None when the fault is not time-limited."""
        lo = parse_instant(self.start, "start")
        hi = parse_instant(self.end, "end")
        if lo is None or hi is None:
            return None
        return lo.value, hi.value


@dataclass(frozen=True)
class SimulationConfig:
    """Seed, scale and faults of one simulated market (defaults: the ``default`` preset)."""

    seed: int = 20240601
    ticks_per_session: int = 20_000
    crypto_trades_per_hour: int = 3_000
    faults: tuple[Fault, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))
        for name in ("seed", "ticks_per_session", "crypto_trades_per_hour"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"SimulationConfig.{name} must be a non-negative int: {value!r}")
        for name in ("ticks_per_session", "crypto_trades_per_hour"):
            if getattr(self, name) < 1:
                raise ValueError(f"SimulationConfig.{name} must be at least 1")
        for fault in self.faults:
            if not isinstance(fault, Fault):
                raise ValueError(f"SimulationConfig.faults holds a non-Fault: {fault!r}")

    @classmethod
    def at_scale(cls, scale: str, **overrides: object) -> SimulationConfig:
        """A configuration from one of :data:`SCALE_PRESETS` (``tiny``, ``default``, ``heavy``)."""
        if scale not in SCALE_PRESETS:
            raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALE_PRESETS)}")
        ticks, trades = SCALE_PRESETS[scale]
        return cls(ticks_per_session=ticks, crypto_trades_per_hour=trades, **overrides)  # type: ignore[arg-type]
