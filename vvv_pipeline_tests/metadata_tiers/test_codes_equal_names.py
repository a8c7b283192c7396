"""The tiers select and group rows by category code: exactly the frames selecting by name gave.

The baselines are ``in_window`` and ``group_codes`` as they were (a string ``astype``, a
``np.lexsort`` and a ``np.unique`` on the names), swapped into the tier modules for a second run
over the same default-density session.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.metadata_tiers import windows
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.name_based_baselines import group_codes_by_names, in_window_by_names
from vvv_pipeline_tests.providers.simkit import universe

DAY = "2025-11-20"
TIER_MODULES = [
    importlib.import_module(f"vvv_pipeline.metadata_tiers.{name}")
    for name in ("tier1_summary", "tier2_microstructure", "tier3_context")
]


@pytest.fixture(scope="module")
def session() -> dict[str, pd.DataFrame]:
    """One default-density session (20,000 trades per equity) and its day's other sources."""
    market = SimulatedMarket(universe=universe())
    day = pd.Timestamp(DAY, tz="America/New_York")
    lo, hi = day, day + pd.Timedelta(days=1)
    equities = universe().equities
    return {
        "equity_ticks": market.fetch("equity_ticks", lo, hi, equities),
        "darkpool": market.fetch("darkpool_prints", lo, hi, equities),
        "options": market.fetch("options_flow", lo, hi, equities),
        "news": market.fetch("news_headlines", lo, hi, equities),
    }


def _tiers(session: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    t1, t2, t3 = TIER_MODULES
    ticks = session["equity_ticks"]
    return [
        t1.tier1_summary(ticks, "equity_ticks", DAY),
        t2.tier2_microstructure(ticks, "equity_ticks", DAY),
        t3.tier3_context(DAY, **session),
    ]


def test_tiers_by_code_equal_tiers_by_name(session, monkeypatch):
    by_codes = _tiers(session)
    for module in TIER_MODULES:
        monkeypatch.setattr(module, "in_window", in_window_by_names)
        monkeypatch.setattr(module, "group_codes", group_codes_by_names)
    by_names = _tiers(session)
    for new, old in zip(by_codes, by_names, strict=True):
        assert len(new) == 10
        pd.testing.assert_frame_equal(new, old, check_exact=True)


def _shuffled(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def _variants(ticks: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Sorted, shuffled, categories out of name order, unused categories, plain strings."""
    reversed_categories = ticks["symbol"].cat.reorder_categories(
        ticks["symbol"].cat.categories[::-1]
    )
    return {
        "canonical": ticks,
        "shuffled": _shuffled(ticks),
        "categories reversed": ticks.assign(symbol=reversed_categories),
        "categories reversed, shuffled": _shuffled(ticks.assign(symbol=reversed_categories)),
        "unused categories": ticks.assign(
            symbol=ticks["symbol"].cat.add_categories(["AAA", "ZZZ"])
        ),
        "strings": ticks.assign(symbol=ticks["symbol"].astype(str)),
        "pre-market rows": ticks.assign(ts=ticks["ts"] - pd.Timedelta(minutes=20)),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "canonical",
        "shuffled",
        "categories reversed",
        "categories reversed, shuffled",
        "unused categories",
        "strings",
        "pre-market rows",
    ],
)
def test_window_and_groups_by_code_equal_by_name(session, variant):
    frame = _variants(session["equity_ticks"])[variant]
    window = session_bounds(DAY)
    new = windows.in_window(frame, window)
    pd.testing.assert_frame_equal(new, in_window_by_names(frame, window), check_exact=True)
    codes, names = windows.group_codes(new["symbol"])
    old_codes, old_names = group_codes_by_names(new["symbol"])
    np.testing.assert_array_equal(codes, old_codes)
    np.testing.assert_array_equal(names, old_names)
    assert codes.dtype == old_codes.dtype and names.dtype == old_names.dtype


def test_a_frame_inside_its_window_is_not_copied(session):
    ticks = session["equity_ticks"]
    out = windows.in_window(ticks, session_bounds(DAY))
    assert np.shares_memory(out["price"].to_numpy(), ticks["price"].to_numpy())
    out["price"] = 0.0  # a new column in the result leaves the input alone
    assert (ticks["price"] > 0).all()
