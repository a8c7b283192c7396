"""Economic series (FRED-style) at their real frequencies, partitioned by release time.

Release calendars (all times America/New_York, converted to UTC per date, so DST is exact):

==========  ==============================================  ==========  ===================
series      released                                         at          observation
==========  ==============================================  ==========  ===================
DGS10, DGS2 every XNYS session (the Treasury's par curve is     16:15       that same session
            published late afternoon; same-day release)
CPIAUCSL    first session on or after the 12th (BLS CPI is     08:30       previous month
            mid-month)
UNRATE      first Friday of the month (previous session when    08:30       previous month
            that Friday is a holiday): the Employment Situation
FEDFUNDS    first session of the month (H.15 monthly average)   16:15       previous month
other daily every session                                       16:15       that session
other       first session on or after the 15th                 10:00       previous month
monthly
==========  ==============================================  ==========  ===================

"Business day" means XNYS session here: close to, but not exactly, the Federal Reserve's
calendar (e.g. Good Friday has no observation, Columbus Day has one). Monthly observations are
dated the month start (tz-naive), daily ones the session date.

Values come from per-series anchor vectors over the simulation horizon (cached per seed and
series), so every release day is independent and the series is continuous: mean-reverting
random walks for yields and unemployment, a drifting log index for CPI (~3 % a year), and a
policy rate that moves in 25 bp steps (quantized around an effective-rate offset of 8 bp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, is_session, sessions_between
from vvv_pipeline.providers.simulated.anchors import (
    EPOCH,
    HORIZON_END,
    N_DAYS,
    REFERENCE_DAY,
    day_index,
)
from vvv_pipeline.providers.simulated.processes import ar1, half_life_phi
from vvv_pipeline.providers.simulated.seeding import rng_for
from vvv_pipeline.providers.simulated.units import Unit

N_MONTHS = 12 * (HORIZON_END.year - EPOCH.year)
FREQUENCIES = ["daily", "monthly"]


@dataclass(frozen=True)
class SeriesModel:
    level: float
    """Value around the reference date (early 2024)."""
    step: float
    """Standard deviation of one observation's change."""
    half_life: float
    """Mean reversion half-life in observations."""
    bounds: tuple[float, float]
    decimals: int
    kind: str = "level"
    """``level`` (mean-reverting), ``index`` (drifting log index) or ``policy`` (25 bp steps)."""


MODELS = {
    "DGS10": SeriesModel(4.0, 0.06, 500.0, (0.3, 9.0), 2),
    "DGS2": SeriesModel(4.3, 0.07, 500.0, (0.1, 9.0), 2),
    "CPIAUCSL": SeriesModel(308.7, 0.002, math.inf, (50.0, 5_000.0), 3, "index"),
    "UNRATE": SeriesModel(3.7, 0.12, 24.0, (3.0, 10.0), 1),
    "FEDFUNDS": SeriesModel(5.3, 0.15, 36.0, (0.05, 6.5), 2, "policy"),
}
GENERIC = SeriesModel(100.0, 0.5, 250.0, (10.0, 1_000.0), 2)


def _reflect(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    values = np.where(values < lo, 2 * lo - values, values)
    return np.clip(np.where(values > hi, 2 * hi - values, values), lo, hi)


@lru_cache(maxsize=32)
def series_values(seed: int, series: str, frequency: str) -> np.ndarray:
    """Value of every observation period of the horizon (days or months since the epoch)."""
    model = MODELS.get(series, GENERIC)
    length = N_DAYS if frequency == "daily" else N_MONTHS
    ref = (REFERENCE_DAY - EPOCH).days if frequency == "daily" else 12 * (2023 - EPOCH.year) + 11
    rng = rng_for(seed, "economic_series", series)
    shocks = rng.standard_normal(length) * model.step
    if model.kind == "index":
        log_index = np.cumsum(0.0025 + shocks)
        values = model.level * np.exp(log_index - log_index[ref])
    else:
        deviation = ar1(shocks, half_life_phi(model.half_life))
        values = _reflect(model.level + deviation - deviation[ref], *model.bounds)
    if model.kind == "policy":
        values = np.maximum(0.08 + 0.25 * np.round((values - 0.08) / 0.25), 0.08)
    values = np.round(values, model.decimals)
    values.flags.writeable = False
    return values


def _first_session_from(day: pd.Timestamp) -> pd.Timestamp:
    return sessions_between(day, day + pd.Timedelta(days=10))[0]


@lru_cache(maxsize=4096)
def monthly_release(series: str, year: int, month: int) -> tuple[pd.Timestamp, str]:
    """(release date, local time) of a monthly series' release in the given month."""
    first = pd.Timestamp(year=year, month=month, day=1)
    if series == "CPIAUCSL":
        return _first_session_from(first + pd.Timedelta(days=11)), "08:30"
    if series == "UNRATE":
        friday = first + pd.Timedelta(days=(4 - first.dayofweek) % 7)
        if is_session(friday):
            return friday, "08:30"
        return sessions_between(friday - pd.Timedelta(days=7), friday)[-1], "08:30"
    if series == "FEDFUNDS":
        return _first_session_from(first), "16:15"
    return _first_session_from(first + pd.Timedelta(days=14)), "10:00"


def _at(day: pd.Timestamp, clock: str) -> int:
    return pd.Timestamp(f"{day:%Y-%m-%d} {clock}").tz_localize(EXCHANGE_TZ).value


def economic_release(seed: int, series: str, frequency: str, unit: Unit) -> pd.DataFrame | None:
    """The series' release on one New York day (one row), or None when it does not publish."""
    day = pd.Timestamp(unit.key)
    if frequency == "daily":
        if not is_session(day):
            return None
        ts, observed, period = _at(day, "16:15"), day, day_index(day)
    else:
        release, clock = monthly_release(series, day.year, day.month)
        if release != day:
            return None
        observed = (day.to_period("M") - 1).to_timestamp()
        period = 12 * (observed.year - EPOCH.year) + observed.month - 1
        ts = _at(day, clock)
        if period < 0:
            return None
    value = series_values(seed, series, frequency)[period]
    return pd.DataFrame(
        {
            "ts": np.array([ts], dtype=np.int64),
            "observation_date": np.array([observed.to_datetime64()], dtype="datetime64[ns]"),
            "value": np.array([value], dtype=np.float64),
            "frequency": pd.Categorical.from_codes(
                [FREQUENCIES.index(frequency)], categories=FREQUENCIES, validate=False
            ),
        }
    )
