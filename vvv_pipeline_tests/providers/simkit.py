"""Helpers for the simulated-market tests: windows, canonical-dtype checks, small markets."""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.providers.simulated import Fault, SimulatedMarket, SimulationConfig
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline.universe import Universe, load_universe

NY = "America/New_York"
SEED = 11
TINY = SimulationConfig(seed=SEED, ticks_per_session=500, crypto_trades_per_hour=120)
WEEK = ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07"]
EARLY_CLOSES = ["2024-11-29", "2024-12-24"]
OCC = r"^(?P<root>[A-Z0-9.]+?)(?P<yymmdd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$"


def universe() -> Universe:
    return load_universe(SHIPPED_UNIVERSE)


def market(
    config: SimulationConfig = TINY, faults: tuple[Fault, ...] | None = None
) -> SimulatedMarket:
    if faults is not None:
        config = SimulationConfig(
            seed=config.seed,
            ticks_per_session=config.ticks_per_session,
            crypto_trades_per_hour=config.crypto_trades_per_hour,
            faults=faults,
        )
    return SimulatedMarket(config, universe())


def day_window(first: str, last: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From 00:00 New York of ``first`` to 00:00 New York after ``last`` (default: one day)."""
    start = pd.Timestamp(first).tz_localize(NY).tz_convert("UTC")
    stop = pd.Timestamp(last or first) + pd.Timedelta(days=1)
    return start, stop.tz_localize(NY).tz_convert("UTC")


def hour_window(first: str, hours: int = 1) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(first, tz="UTC")
    return start, start + pd.Timedelta(hours=hours)


def assert_canonical(frame: pd.DataFrame, source: str, naive_ts: bool = False) -> None:
    """Columns, order and dtypes exactly as the schema (ts naive only for a timezone fault)."""
    schema = SOURCE_SCHEMAS[source]
    assert list(frame.columns) == schema.names
    expected = dict(schema.dtypes)
    if naive_ts:
        expected["ts"] = "datetime64[ns]"
    assert {c: str(t) for c, t in frame.dtypes.items()} == expected
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


def assert_sorted(frame: pd.DataFrame) -> None:
    keys = pd.DataFrame({"s": frame["symbol"].astype(str), "t": frame["ts"]})
    assert keys.equals(keys.sort_values(["s", "t"], kind="stable").reset_index(drop=True))


def session_key(ts: pd.Series) -> pd.Series:
    """The New York date of each instant, as YYYY-MM-DD."""
    return ts.dt.tz_convert(NY).dt.strftime("%Y-%m-%d")
