"""A partition's event bars find each symbol's rows by category code: exactly the bars that
selecting rows by name (``astype(str)`` compares, ``isin``, a copy per symbol) gave. Tick
imbalance bars are one pass over every symbol with its own seeds and floors, where the name-based
baseline made one call per symbol; for a frame whose ``symbol`` is plain strings that baseline's
concatenation left ``symbol`` as strings, the one pass gives it as a category of the same names.

The baselines are the two helpers as they were, swapped into the module for a second run over
default-density sessions with daily history before them (and a first session that bootstraps).
"""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from vvv_pipeline.bars import time_bars
from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.name_based_baselines import imbalance_bars_by_names, with_threshold_by_names
from vvv_pipeline_tests.providers.simkit import universe

events = importlib.import_module("vvv_pipeline.bars.partition_events")
SESSIONS = ["2025-11-18", "2025-11-19", "2025-11-20"]


@pytest.fixture(scope="module")
def sessions() -> tuple[list[pd.DataFrame], pd.DataFrame]:
    market = SimulatedMarket(universe=universe())
    days = []
    for key in SESSIONS:
        day = pd.Timestamp(key, tz="America/New_York")
        days.append(
            market.fetch("equity_ticks", day, day + pd.Timedelta(days=1), universe().equities)
        )
    pairs = zip(days, SESSIONS, strict=True)
    daily = pd.concat(
        [time_bars(d, "1d", sessions=[session_bounds(k)]) for d, k in pairs], ignore_index=True
    )
    history = daily[list(events.HISTORY_COLUMNS)].assign(symbol=daily["symbol"].astype(str))
    return days, history


def _variants(ticks: pd.DataFrame) -> list[pd.DataFrame]:
    """Canonical; categories out of name order (codes descending down the frame); plain
    strings; one symbol without history (no volume-bar threshold: its rows are dropped)."""
    reordered = ticks["symbol"].cat.reorder_categories(ticks["symbol"].cat.categories[::-1])
    return [
        ticks,
        ticks.assign(symbol=reordered),
        ticks.assign(symbol=ticks["symbol"].astype(str)),
        ticks.assign(symbol=ticks["symbol"].cat.rename_categories({"SPY": "NEW"})),
    ]


def _all_bars(days, history, key_days):
    out = []
    for key, ticks in key_days:
        for frame in _variants(ticks) if key == SESSIONS[-1] else [ticks]:
            result = events.partition_event_bars(frame, history, session_bounds(key))
            out.append((result.bars, result.thresholds))
    return out


def test_event_bars_by_code_equal_event_bars_by_name(sessions, monkeypatch):
    days, history = sessions
    key_days = list(zip(SESSIONS, days, strict=True))
    by_codes = _all_bars(days, history, key_days)
    monkeypatch.setattr(events, "imbalance_bars", imbalance_bars_by_names)
    monkeypatch.setattr(events, "_with_threshold", with_threshold_by_names)
    by_names = _all_bars(days, history, key_days)
    assert len(by_codes) == len(by_names) == 2 + 4
    for (bars, table), (old_bars, old_table) in zip(by_codes, by_names, strict=True):
        assert list(bars) == list(old_bars)
        for kind in bars:
            assert len(bars[kind]) > 10
            got, want = bars[kind], old_bars[kind]
            if not isinstance(want["symbol"].dtype, pd.CategoricalDtype):
                got = got.assign(symbol=got["symbol"].astype(str).astype(object))
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        pd.testing.assert_frame_equal(table, old_table, check_exact=True)
