"""Tier 1's corporate-action rules on daily_ohlcv, each on hand-computed rows.

Columns: ``dividend`` finite and >= 0, ``split_ratio`` and ``adj_close`` finite and > 0,
``adj_close <= close`` (1e-3 relative slack) and, between a symbol's consecutive rows, the
factor ``f = adj_close / close`` stepping as ``f_prev = f_t x (1 - dividend_t / close_prev)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.validation import check_tier1
from vvv_pipeline.validation.contract import contract
from vvv_pipeline_tests.daily_rows import daily_ohlcv_rows

START = pd.Timestamp("2025-11-24 05:00", tz="UTC")  # 2025-11-24 00:00 New York
WINDOW = (START, START + pd.Timedelta(days=7))
SYMBOLS = ("SPY", "MSFT")


def _bars(rows: list[tuple[str, int, float, float, float, float]]) -> pd.DataFrame:
    """(symbol, day offset, close, dividend, split_ratio, adj_close) per row."""
    symbol, day, close, dividend, split, adj = (list(col) for col in zip(*rows, strict=True))
    ts = [START + pd.Timedelta(days=d) for d in day]
    return daily_ohlcv_rows(ts, symbol, close, dividend, split, adj)


def _failures(rows: list[tuple[str, int, float, float, float, float]]) -> dict[str, list[int]]:
    report = check_tier1(_bars(rows), "daily_ohlcv", WINDOW, SYMBOLS)
    return {rule: np.flatnonzero(mask).tolist() for rule, mask in report.failures.items()}


# MSFT: close 100 then 100 with a 2.00 dividend going ex on day 1. The multiplier is
# 1 - 2 / 100 = 0.98, so with day 1 unadjusted (f = 1) day 0's adjusted close is 98.
CLEAN = [("MSFT", 0, 100.0, 0.0, 1.0, 98.0), ("MSFT", 1, 100.0, 2.0, 1.0, 100.0)]


def test_a_consistent_dividend_and_a_split_pass() -> None:
    # a 4-for-1 split day does not move the factor: Yahoo's close is already split-adjusted
    split = [("SPY", 0, 50.0, 0.0, 1.0, 50.0), ("SPY", 1, 51.0, 0.0, 4.0, 51.0)]
    assert _failures(CLEAN + split) == {}


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (("SPY", 0, 10.0, -0.01, 1.0, 10.0), "dividend_non_negative"),
        (("SPY", 0, 10.0, np.nan, 1.0, 10.0), "dividend_non_negative"),
        (("SPY", 0, 10.0, 0.0, 0.0, 10.0), "split_ratio_positive"),
        (("SPY", 0, 10.0, 0.0, -2.0, 10.0), "split_ratio_positive"),
        (("SPY", 0, 10.0, 0.0, 1.0, 0.0), "adj_close_positive"),
        (("SPY", 0, 10.0, 0.0, 1.0, np.inf), "adj_close_positive"),
        # 10.02 / 10 = 1.002 > 1 + 1e-3
        (("SPY", 0, 10.0, 0.0, 1.0, 10.02), "adj_close_not_above_close"),
    ],
)
def test_each_column_rule_rejects_its_row(row: tuple, rule: str) -> None:
    assert _failures([*CLEAN, row]) == {rule: [2]}


def test_adjusted_close_within_the_tolerance_of_the_close_passes() -> None:
    # 10.009 / 10 = 1.0009: float32 noise and rounding, not an adjustment
    assert _failures([("SPY", 0, 10.0, 0.0, 1.0, 10.009)]) == {}


@pytest.mark.parametrize(
    ("dividend", "why"),
    [
        (0.0, "the factor steps by 0.98 with no dividend on the later row"),
        (1.0, "a 1.00 dividend means 0.99, not the 0.98 the factors step by"),
        (4.0, "a 4.00 dividend means 0.96"),
    ],
)
def test_a_factor_step_the_dividend_does_not_explain_fails_the_later_row(
    dividend: float, why: str
) -> None:
    rows = [CLEAN[0], ("MSFT", 1, 100.0, dividend, 1.0, 100.0)]
    assert _failures(rows) == {"adjustment_consistent": [1]}, why


def test_an_unexplained_step_is_found_in_any_row_order_and_per_symbol() -> None:
    # MSFT rows reversed and interleaved with SPY: the later MSFT row is row 0; SPY's own
    # pair (no dividend, constant factor 0.5) is consistent, and no pair spans two symbols
    rows = [
        ("MSFT", 1, 100.0, 0.0, 1.0, 100.0),
        ("SPY", 0, 20.0, 0.0, 1.0, 10.0),
        ("MSFT", 0, 100.0, 0.0, 1.0, 98.0),
        ("SPY", 1, 22.0, 0.0, 1.0, 11.0),
    ]
    assert _failures(rows) == {"adjustment_consistent": [0]}


def test_the_contract_shows_the_rules_as_column_constraints() -> None:
    schema = contract("daily_ohlcv")
    names = {check.error for check in schema.checks}
    assert {"adj_close_not_above_close", "adjustment_consistent"} <= names
    checks = {c: [k.error for k in schema.columns[c].checks] for c in schema.columns}
    assert checks["dividend"] == ["dividend_non_negative"]
    assert checks["split_ratio"] == ["split_ratio_positive"]
    assert checks["adj_close"] == ["adj_close_positive"]
