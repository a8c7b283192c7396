"""Risk metrics on hand-made closes whose returns are chosen so every value is known exactly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.risk import COLUMNS, correlation_matrix, risk_metrics

REL = 1e-9


def closes_from_returns(symbol: str, returns: list[float], start: float = 100.0) -> pd.DataFrame:
    """Closes on consecutive business days whose simple returns are ``returns``."""
    prices = start * np.cumprod([1.0, *[1.0 + r for r in returns]])
    dates = pd.bdate_range("2025-01-02", periods=len(prices))
    return pd.DataFrame({"symbol": symbol, "date": dates, "close": prices})


def test_output_has_contract_columns_one_row_per_symbol_dated_as_of_latest_close() -> None:
    closes = pd.concat(
        [closes_from_returns("SPY", [0.01] * 25), closes_from_returns("AAA", [0.02] * 30)]
    )
    out = risk_metrics(closes)
    assert list(out.columns) == list(COLUMNS)
    assert list(out["symbol"]) == ["AAA", "SPY"]
    assert isinstance(out["symbol"].dtype, pd.CategoricalDtype)
    assert out["date"].dtype == "datetime64[ns]"
    assert (out["date"] == closes["date"].max()).all()


def test_var_and_cvar_take_the_kth_worst_return_and_the_mean_of_the_k_worst() -> None:
    # 40 returns: k = ceil(40 x 5 %) = 2 at 95 %, ceil(40 x 1 %) = 1 at 99 %
    returns = [-0.10, -0.06, -0.04] + [0.01, -0.01] * 18 + [0.0]
    out = risk_metrics(closes_from_returns("AAA", returns)).iloc[0]
    assert out["var_95"] == pytest.approx(0.06, rel=REL)
    assert out["cvar_95"] == pytest.approx(0.08, rel=REL)
    assert out["var_99"] == pytest.approx(0.10, rel=REL)
    assert out["cvar_99"] == pytest.approx(0.10, rel=REL)


def test_var_uses_exactly_five_tail_returns_of_one_hundred_at_95_percent() -> None:
    # the float trap: 100 x (1 - 0.95) is 5.000000000000004, whose ceil would be 6
    tail = [-0.09, -0.08, -0.07, -0.06, -0.05, -0.04]
    out = risk_metrics(closes_from_returns("AAA", tail + [0.01] * 94)).iloc[0]
    assert out["var_95"] == pytest.approx(0.05, rel=REL)
    assert out["cvar_95"] == pytest.approx(0.07, rel=REL)  # mean of 0.09 .. 0.05
    assert out["var_99"] == pytest.approx(0.09, rel=REL)


def test_var_is_negative_when_even_the_worst_return_is_a_gain() -> None:
    out = risk_metrics(closes_from_returns("AAA", [0.01] * 19 + [0.02])).iloc[0]
    assert out["var_95"] == pytest.approx(-0.01, rel=REL)
    assert math.isnan(out["sortino"])  # no downside: the ratio is undefined


def test_lookback_keeps_only_the_latest_returns() -> None:
    # an old -50 % day falls outside a 20-return window
    out = risk_metrics(closes_from_returns("AAA", [-0.5] + [0.01] * 20), lookback=20).iloc[0]
    assert out["var_99"] == pytest.approx(-0.01, rel=REL)
    assert out["max_drawdown"] == 0.0


def test_max_drawdown_is_the_largest_peak_to_trough_fall() -> None:
    prices = [100.0, 120.0, 90.0, 110.0, 60.0, 80.0, 130.0, 117.0]  # 120 -> 60 is -50 %
    closes = pd.DataFrame(
        {"symbol": "AAA", "date": pd.bdate_range("2025-01-02", periods=8), "close": prices}
    )
    out = risk_metrics(closes, min_returns=2).iloc[0]
    assert out["max_drawdown"] == pytest.approx(0.5, rel=REL)


def test_sharpe_and_sortino_annualize_with_sqrt_252() -> None:
    # mean 0.005, sample var 0.0005 / 3 -> sharpe^2 = 0.005^2 / (0.0005 / 3) x 252 = 37.8
    # downside: one -0.01 over four returns -> sqrt(0.0001 / 4) = 0.005 -> sortino = sqrt(252)
    out = risk_metrics(closes_from_returns("AAA", [0.01, -0.01, 0.02, 0.0]), min_returns=4)
    assert out["sharpe"].iloc[0] == pytest.approx(math.sqrt(37.8), rel=1e-6)
    assert out["sortino"].iloc[0] == pytest.approx(math.sqrt(252), rel=1e-6)


def test_risk_free_rate_is_subtracted_per_day() -> None:
    # rf 2.52 % a year = 0.0001 a day: excess mean 0.0049, same dispersion
    returns = [0.01, -0.01, 0.02, 0.0]
    out = risk_metrics(closes_from_returns("AAA", returns), min_returns=4, risk_free_rate=0.0252)
    expected = 0.0049 / math.sqrt(0.0005 / 3) * math.sqrt(252)
    assert out["sharpe"].iloc[0] == pytest.approx(expected, rel=1e-6)


def test_rolling_vol_uses_the_last_twenty_returns_and_needs_all_of_them() -> None:
    returns = [0.3] + [0.01, -0.01] * 10  # the 0.3 is the 21st return back: excluded
    out = risk_metrics(closes_from_returns("AAA", returns)).iloc[0]
    assert out["rolling_vol_20d"] == pytest.approx(math.sqrt(20 * 0.0001 / 19 * 252), rel=1e-6)
    short = risk_metrics(closes_from_returns("AAA", [0.01, -0.01] * 9 + [0.01]), min_returns=2)
    assert math.isnan(short["rolling_vol_20d"].iloc[0])


def test_beta_to_spy_is_covariance_over_benchmark_variance() -> None:
    # x demeaned (.005, -.015, .015, -.005), y demeaned (.015, -.005, .005, -.015):
    # sum xy = 0.0003, sum xx = 0.0005 -> beta 0.6
    closes = pd.concat(
        [
            closes_from_returns("SPY", [0.01, -0.01, 0.02, 0.0]),
            closes_from_returns("AAA", [0.02, 0.0, 0.01, -0.01]),
        ]
    )
    out = risk_metrics(closes, min_returns=4).set_index("symbol")
    assert out.loc["AAA", "beta_spy"] == pytest.approx(0.6, rel=1e-9)
    assert out.loc["SPY", "beta_spy"] == pytest.approx(1.0, rel=1e-12)


def test_beta_pairs_only_dates_both_symbols_traded() -> None:
    # SPY has a fifth return (a day AAA did not trade) that must not enter AAA's beta
    spy = closes_from_returns("SPY", [0.01, -0.01, 0.02, 0.0, 0.05])
    other = closes_from_returns("AAA", [0.02, 0.0, 0.01, -0.01])
    out = risk_metrics(pd.concat([spy, other]), min_returns=4).set_index("symbol")
    assert out.loc["AAA", "beta_spy"] == pytest.approx(0.6, rel=1e-9)
    assert out.loc["AAA", "date"] == spy["date"].max()


def test_too_few_returns_give_nan_metrics() -> None:
    out = risk_metrics(closes_from_returns("AAA", [0.01] * 5)).iloc[0]
    assert out[list(COLUMNS)[2:]].isna().all()


def test_as_of_cuts_later_closes() -> None:
    closes = closes_from_returns("AAA", [0.01] * 20 + [-0.5])
    out = risk_metrics(closes, as_of=closes["date"].iloc[-2]).iloc[0]
    assert out["date"] == closes["date"].iloc[-2]
    assert out["max_drawdown"] == 0.0


def test_invalid_closes_are_rejected_naming_the_input() -> None:
    with pytest.raises(ValueError, match="closes: missing required column"):
        risk_metrics(pd.DataFrame({"symbol": ["A"], "close": [1.0]}))
    bad = closes_from_returns("AAA", [0.01] * 3)
    with pytest.raises(ValueError, match="closes: more than one close"):
        risk_metrics(pd.concat([bad, bad]))
    with pytest.raises(ValueError, match="closes: close must be > 0"):
        risk_metrics(bad.assign(close=0.0))


def test_correlation_matrix_is_square_symmetric_with_unit_diagonal() -> None:
    base = [0.01, -0.02, 0.03, 0.0, -0.01]
    closes = pd.concat(
        [
            closes_from_returns("SPY", base),
            closes_from_returns("INV", [-r for r in base]),
            closes_from_returns("TWO", [2 * r for r in base]),
        ]
    )
    matrix = correlation_matrix(closes, min_returns=5)
    assert list(matrix.index) == list(matrix.columns) == ["INV", "SPY", "TWO"]
    assert np.allclose(np.diag(matrix), 1.0)
    assert matrix.loc["INV", "SPY"] == pytest.approx(-1.0, rel=1e-9)
    assert matrix.loc["TWO", "SPY"] == pytest.approx(1.0, rel=1e-9)
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T)


def test_correlation_is_nan_for_pairs_with_too_few_common_dates() -> None:
    closes = pd.concat(
        [closes_from_returns("SPY", [0.01, -0.02, 0.03]), closes_from_returns("AAA", [0.01])]
    )
    matrix = correlation_matrix(closes, min_returns=3)
    assert math.isnan(matrix.loc["AAA", "SPY"])
    assert matrix.loc["SPY", "SPY"] == pytest.approx(1.0)


def test_tz_aware_dates_are_read_as_new_york_days() -> None:
    # daily_ohlcv stamps a session at 00:00 New York, i.e. 05:00 UTC in winter
    closes = closes_from_returns("AAA", [0.01] * 3)
    aware = closes.assign(
        date=closes["date"].dt.tz_localize("America/New_York").dt.tz_convert("UTC")
    )
    out = risk_metrics(aware, min_returns=2)
    assert out["date"].iloc[0] == closes["date"].max()
