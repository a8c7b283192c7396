"""Portfolio analytics and the holdings file, on cases computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.portfolio import COLUMNS, POSITION_COLUMNS, portfolio_metrics
from vvv_pipeline.analytics.risk import risk_metrics
from vvv_pipeline.portfolio_holdings import HoldingsError, load_holdings, parse_holdings
from vvv_pipeline.universe import load_universe

DAYS = pd.bdate_range("2025-03-03", periods=3)


def closes(prices: dict[str, list[float]], days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"symbol": s, "date": days, "close": p}) for s, p in prices.items()],
        ignore_index=True,
    )


def positions(*rows: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["symbol", "quantity", "cost_basis"])


def test_value_pnl_weights_and_exposures_of_a_long_and_a_short():
    # A: 10 long bought at 9; B: 5 short sold at 22; 100 cash
    held = positions(("A", 10, 9.0), ("B", -5, 22.0))
    day = portfolio_metrics(held, 100.0, closes({"A": [10, 11, 12], "B": [20, 21, 19]}))
    row = day.summary.iloc[0]
    assert list(day.summary.columns) == list(COLUMNS)
    assert list(day.positions.columns) == list(POSITION_COLUMNS)
    assert row["date"] == DAYS[-1]
    assert row["market_value"] == 120 - 95 and row["total_value"] == 125
    assert (row["long_exposure"], row["short_exposure"]) == (120, 95)
    assert (row["gross_exposure"], row["net_exposure"]) == (215, 25)
    assert row["gross_leverage"] == pytest.approx(215 / 125)
    assert row["pnl_day"] == 10 * (12 - 11) - 5 * (19 - 21)  # 20: both legs gained
    assert row["return_day"] == pytest.approx(20 / 105)  # V: 100, 105, 125
    assert row["pnl_total"] == 10 * (12 - 9) - 5 * (19 - 22)  # 45
    assert row["n_returns"] == 2 and np.isnan(row["var_95"])  # < 20 returns: no risk numbers
    pos = day.positions.set_index("symbol")
    assert pos["market_value"].tolist() == [120, -95]
    assert pos["weight"].tolist() == pytest.approx([0.96, -0.76])
    assert pos["weight"].sum() + 100 / 125 == pytest.approx(1.0)
    assert pos["pnl_day"].tolist() == [10, 10] and pos["pnl_total"].tolist() == [30, 15]
    assert pos["var_contribution_95"].isna().all()


def test_as_of_an_earlier_day_and_a_day_with_a_missing_close():
    held = positions(("A", 10, 9.0), ("B", -5, 22.0))
    frame = closes({"A": [10, 11, 12], "B": [20, 21, 19]})
    first = portfolio_metrics(held, 100.0, frame, as_of=DAYS[0]).summary.iloc[0]
    assert first["total_value"] == 100 and np.isnan(first["pnl_day"])
    gap = frame.drop(frame.index[(frame["symbol"] == "B") & (frame["date"] == DAYS[-1])])
    assert portfolio_metrics(held, 100.0, gap, as_of=DAYS[-1]).summary.empty  # B unpriced


def _two_bad_days() -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """A and B at 50 each, 1 share each, no cash: V = A + B starts at 100. Each of 21 days A
    gains 1 (V +1), except day 5 (A -3, B +1: V 104 -> 102) and day 12 (A -1, B -4: V 108 -> 103).
    """
    da, db = np.ones(21), np.zeros(21)
    da[4], db[4] = -3, 1
    da[11], db[11] = -1, -4
    days = pd.bdate_range("2025-01-02", periods=22)
    a = 50 + np.concatenate([[0], np.cumsum(da)])
    b = 50 + np.concatenate([[0], np.cumsum(db)])
    return closes({"A": a.tolist(), "B": b.tolist()}, days), days


def test_var_cvar_and_their_contributions_by_hand():
    frame, _days = _two_bad_days()
    day = portfolio_metrics(positions(("A", 1, 50.0), ("B", 1, 50.0)), 0.0, frame)
    row = day.summary.iloc[0]
    # n = 21 returns: k = ceil(21 x 0.05) = 2; worst -5/108 (day 12), second -2/104 (day 5)
    assert row["n_returns"] == 21
    assert row["var_95"] == pytest.approx(2 / 104)
    assert row["cvar_95"] == pytest.approx((5 / 108 + 2 / 104) / 2)
    assert row["var_95_value"] == pytest.approx(2 / 104 * row["total_value"])
    assert row["max_drawdown"] == pytest.approx(5 / 108)
    pos = day.positions.set_index("symbol")
    # VaR scenario (day 5): A lost 3, B gained 1, over V = 104
    assert pos["var_contribution_95"].tolist() == pytest.approx([3 / 104, -1 / 104])
    # CVaR: mean over days 12 (A -1, B -4 over 108) and 5
    assert pos["cvar_contribution_95"].tolist() == pytest.approx(
        [(1 / 108 + 3 / 104) / 2, (4 / 108 - 1 / 104) / 2]
    )
    assert pos["var_contribution_95"].sum() == pytest.approx(row["var_95"], abs=1e-15)
    assert pos["cvar_contribution_95"].sum() == pytest.approx(row["cvar_95"], abs=1e-15)
    assert np.isnan(row["beta_spy"])  # no SPY closes


def test_risk_is_risk_metrics_of_the_value_series_and_contributions_sum_on_random_books():
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2024-01-02", periods=300)
    prices = {s: 100 * np.exp(np.cumsum(rng.normal(0, 0.015, 300))) for s in ("A", "B", "SPY")}
    frame = closes({s: p.tolist() for s, p in prices.items()}, days)
    held = positions(("A", 30, 90.0), ("B", -10, 110.0), ("SPY", 20, 100.0))
    day = portfolio_metrics(held, 1000.0, frame)
    row = day.summary.iloc[0]
    value = 1000 + 30 * prices["A"] - 10 * prices["B"] + 20 * prices["SPY"]
    expected = (
        risk_metrics(
            pd.concat(
                [
                    pd.DataFrame({"symbol": "V", "date": days, "close": value}),
                    frame[frame["symbol"] == "SPY"],
                ]
            )
        )
        .set_index("symbol")
        .loc["V"]
    )
    for name in ("var_95", "cvar_95", "max_drawdown", "beta_spy", "rolling_vol_20d"):
        assert row[name] == pytest.approx(expected[name], rel=1e-12), name
    assert row["n_returns"] == 252
    assert day.positions["var_contribution_95"].sum() == pytest.approx(row["var_95"])
    assert day.positions["cvar_contribution_95"].sum() == pytest.approx(row["cvar_95"])


def test_only_spy_with_no_cash_has_beta_one():
    frame, _days = _two_bad_days()
    frame = frame.assign(symbol=frame["symbol"].map({"A": "SPY", "B": "B"}))
    row = portfolio_metrics(positions(("SPY", 3, 40.0)), 0.0, frame).summary.iloc[0]
    assert row["beta_spy"] == pytest.approx(1.0)


def test_a_zero_quantity_position_is_refused():
    with pytest.raises(ValueError, match="non-zero"):
        portfolio_metrics(positions(("A", 0, 9.0)), 0.0, closes({"A": [1, 2, 3]}))


# the holdings file


def test_the_shipped_holdings_file_holds_universe_equities_and_a_short():
    holdings = load_holdings()
    assert set(holdings.symbols) <= set(load_universe().equities)
    assert any(p.quantity < 0 for p in holdings.positions)
    assert list(holdings.frame().columns) == ["symbol", "quantity", "cost_basis"]


def test_an_unknown_symbol_is_named_with_the_file():
    text = "cash = 1000.0\n[positions]\nAAPL = { quantity = 5, cost_basis = 100.0 }\n"
    text += "ZZZZ = { quantity = 1, cost_basis = 10.0 }\n"
    with pytest.raises(HoldingsError) as error:
        parse_holdings(text, "my/holdings.toml", load_universe())
    assert str(error.value).startswith("my/holdings.toml: positions.ZZZZ 'ZZZZ': not one of")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("AAPL = { quantity = 0, cost_basis = 100.0 }", "positions.AAPL.quantity 0: zero shares"),
        ("AAPL = { quantity = 5, cost_basis = -1.0 }", "positions.AAPL.cost_basis -1.0"),
        ("AAPL = { quantity = 5 }", "positions.AAPL.cost_basis: missing"),
        ("AAPL = { quantity = 5, cost_basis = 1.0, side = 1 }", "positions.AAPL.side: unknown key"),
    ],
)
def test_bad_entries_are_named(entry: str, message: str):
    with pytest.raises(HoldingsError, match=message.replace(".", r"\.")):
        parse_holdings(f"[positions]\n{entry}\n", "h.toml", load_universe())


def test_a_short_and_fractional_shares_parse_and_cash_defaults_to_zero():
    text = "[positions]\nSPY = { quantity = -2.5, cost_basis = 450.0 }\n"
    holdings = parse_holdings(text, "h.toml", load_universe())
    assert holdings.cash == 0.0 and holdings.positions[0].quantity == -2.5


def test_a_missing_holdings_file_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("VVV_HOLDINGS", str(tmp_path / "none.toml"))
    with pytest.raises(FileNotFoundError, match="VVV_HOLDINGS"):
        load_holdings()
