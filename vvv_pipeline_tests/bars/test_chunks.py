"""Kernels that fill their buffers stop between bars and resume exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vvv_pipeline.bars import chunks, tick_imbalance_bars, time_bars, volume_bars
from vvv_pipeline_tests.bars.synthetic import SESSIONS, crypto_trades, equity_ticks


@pytest.fixture(scope="module")
def ticks() -> pd.DataFrame:
    return equity_ticks()


def runs(monkeypatch: pytest.MonkeyPatch, build):
    """``build()`` with roomy buffers, then with one-row first buffers (many resumptions)."""
    roomy = build()
    with monkeypatch.context() as patch:
        patch.setattr(chunks, "first_capacity", lambda guess: 1)
        tight = build()
    return roomy, tight


def test_time_bars_resume_exactly_when_buffers_fill(monkeypatch, ticks):
    roomy, tight = runs(monkeypatch, lambda: time_bars(ticks, "1min", sessions=SESSIONS))
    assert_frame_equal(roomy, tight)
    crypto = crypto_trades()
    roomy, tight = runs(monkeypatch, lambda: time_bars(crypto, "5min"))
    assert_frame_equal(roomy, tight)


@pytest.mark.parametrize("measure", ["volume", "dollar", "ticks"])
def test_threshold_bars_resume_exactly_when_buffers_fill(monkeypatch, ticks, measure):
    threshold = {"volume": 3_000, "dollar": 100_000.0, "ticks": 7}[measure]
    roomy, tight = runs(
        monkeypatch, lambda: volume_bars(ticks, threshold, measure, include_partial=True)
    )
    assert_frame_equal(roomy[0], tight[0])
    assert_frame_equal(roomy[1], tight[1])


def test_imbalance_bars_resume_exactly_when_buffers_fill(monkeypatch, ticks):
    roomy, tight = runs(monkeypatch, lambda: tick_imbalance_bars(ticks, include_partial=True))
    assert_frame_equal(roomy[0], tight[0])
    assert_frame_equal(roomy[1], tight[1])
