"""Tier 1's ``ohlc_consistent``: each half of the rule catches its own breakage alone.

``low <= min(open, close)`` and ``high >= max(open, close)`` are tested separately (a low above
the open, a low above the close, a high below the close, a high below the open), so dropping
either half fails a test; a bar touching its bounds exactly passes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.schemas import DAILY_OHLCV, conform
from vvv_pipeline.validation import check_tier1

DAY_START = pd.Timestamp("2025-11-24 05:00", tz="UTC")
DAY = (DAY_START, DAY_START + pd.Timedelta(days=1))
SYMBOLS = ("SPY", "GC=F")


def _bars(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """One daily bar per (open, high, low, close), alternating instruments."""
    n = len(rows)
    o, h, lw, c = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    frame = pd.DataFrame(
        {
            "ts": DAY_START + pd.Timedelta(hours=16) + pd.to_timedelta(np.arange(n), unit="s"),
            "symbol": [SYMBOLS[i % 2] for i in range(n)],
            "open": o,
            "high": h,
            "low": lw,
            "close": c,
            "volume": 1000.0,
            "asset_class": ["equity" if i % 2 == 0 else "commodity" for i in range(n)],
            "dividend": 0.0,
            "split_ratio": 1.0,
            "adj_close": c,
        }
    )
    return conform(frame, DAILY_OHLCV)


def _flagged(rows: list[tuple[float, float, float, float]]) -> list[int]:
    report = check_tier1(_bars(rows), "daily_ohlcv", DAY, SYMBOLS)
    assert set(report.failures) <= {"ohlc_consistent"}, report.failures
    return np.flatnonzero(
        report.failures.get("ohlc_consistent", np.zeros(len(rows), bool))
    ).tolist()


GOOD = (10.0, 13.0, 9.0, 12.0)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        # the high is above both: only low <= min(open, close) is broken
        ((10.0, 13.0, 10.5, 12.0), "low above the open (up day)"),
        ((12.0, 13.0, 10.5, 10.0), "low above the close (down day)"),
        # the low is below both: only high >= max(open, close) is broken
        ((10.0, 11.5, 9.0, 12.0), "high below the close (up day)"),
        ((12.0, 11.5, 9.0, 10.0), "high below the open (down day)"),
    ],
)
def test_each_half_of_the_rule_alone_rejects_its_row(bad, why):
    assert _flagged([GOOD, bad, GOOD]) == [1], why


def test_bars_touching_their_bounds_pass():
    flat_top = (10.0, 12.0, 9.0, 12.0)  # closes at the high
    flat_bottom = (12.0, 13.0, 10.0, 10.0)  # closes at the low
    doji = (11.0, 11.0, 11.0, 11.0)
    assert _flagged([GOOD, flat_top, flat_bottom, doji]) == []
