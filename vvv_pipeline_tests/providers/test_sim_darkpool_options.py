"""Dark-pool prints and options-flow alerts sample the same intraday path as the ticks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import is_session, session_bounds
from vvv_pipeline.providers.simulated.options import expirations, strike_increment
from vvv_pipeline.schemas import DARKPOOL_VENUES, FLOW_RULES
from vvv_pipeline_tests.providers.simkit import (
    OCC,
    WEEK,
    assert_canonical,
    day_window,
    market,
    session_key,
    universe,
)


@pytest.fixture(scope="module")
def prints() -> pd.DataFrame:
    return market().fetch("darkpool_prints", *day_window(WEEK[0], WEEK[-1]), universe().equities)


@pytest.fixture(scope="module")
def flow() -> pd.DataFrame:
    return market().fetch("options_flow", *day_window(WEEK[0], WEEK[-1]), universe().equities)


def _path_at(frame: pd.DataFrame) -> np.ndarray:
    sim = market()
    values = np.empty(len(frame))
    for (symbol, day), rows in frame.groupby(["symbol", session_key(frame["ts"])], observed=True):
        path = sim.intraday_path(str(symbol), day)
        values[frame.index.get_indexer(rows.index)] = path.reindex(rows["ts"].dt.floor("s"))
    return values


def test_prints_are_blocks_inside_the_session(prints: pd.DataFrame) -> None:
    assert_canonical(prints, "darkpool_prints")
    per_unit = prints.groupby(["symbol", session_key(prints["ts"])], observed=True)
    assert per_unit.size().between(20, 60).all() and len(per_unit) == 50
    for (_, day), rows in per_unit:
        open_utc, close_utc = session_bounds(day)
        assert rows["ts"].min() >= open_utc and rows["ts"].max() < close_utc
        assert np.all(np.diff(rows["print_id"].to_numpy()) > 0)
    assert prints["print_id"].is_unique
    assert (prints["size"] % 100 == 0).all() and prints["size"].between(5_000, 300_000).all()
    assert (prints["premium"] == prints["price"] * prints["size"]).all()
    venues = prints["venue"].astype(str).value_counts()
    assert set(venues.index) <= set(DARKPOOL_VENUES) and venues.idxmax() == "L"


def test_print_price_is_near_the_path_and_the_nbbo_surrounds_it(prints: pd.DataFrame) -> None:
    path = _path_at(prints)
    assert np.abs(prints["price"] / path - 1).max() <= 0.003 + 1e-6
    bid, ask = prints["nbbo_bid"], prints["nbbo_ask"]
    assert (bid > 0).all() and (bid < ask).all()
    assert ((bid - 0.01 <= path) & (path <= ask + 0.01)).all()


def test_alerts_are_inside_the_session_with_valid_occ_symbols(flow: pd.DataFrame) -> None:
    assert_canonical(flow, "options_flow")
    per_unit = flow.groupby(["symbol", session_key(flow["ts"])], observed=True)
    assert per_unit.size().between(5, 30).all() and len(per_unit) == 50
    for (_, day), rows in per_unit:
        open_utc, close_utc = session_bounds(day)
        assert rows["ts"].min() >= open_utc and rows["ts"].max() < close_utc
    parts = flow["option_symbol"].str.extract(OCC)
    assert parts.notna().all().all()
    assert (parts["root"] == flow["symbol"].astype(str)).all()
    assert (parts["yymmdd"] == flow["expiry"].dt.strftime("%y%m%d")).all()
    assert (parts["cp"].map({"C": "call", "P": "put"}) == flow["option_type"].astype(str)).all()
    assert (parts["strike"].astype(int) / 1000 == flow["strike"]).all()
    assert flow["alert_id"].is_unique


def test_expiries_are_real_expirations_within_120_days(flow: pd.DataFrame) -> None:
    session = flow["ts"].dt.tz_convert("America/New_York").dt.tz_localize(None).dt.normalize()
    ahead = (flow["expiry"] - session).dt.days
    assert ahead.between(0, 120).all() and ahead.max() > 20
    for expiry in flow["expiry"].unique():
        assert is_session(expiry)
        stamp = pd.Timestamp(expiry)
        friday = stamp + pd.Timedelta(days=(4 - stamp.dayofweek) % 7)
        assert stamp.dayofweek == 4 or not is_session(friday)


def test_holiday_friday_expiration_moves_to_the_previous_session() -> None:
    dates, monthly = expirations("2024-03-25")
    listed = set(dates.strftime("%Y-%m-%d"))
    assert "2024-03-28" in listed and "2024-03-29" not in listed  # Good Friday
    assert "2024-04-19" in listed and monthly[list(dates).index(pd.Timestamp("2024-04-19"))]
    assert dates.max() <= pd.Timestamp("2024-03-25") + pd.Timedelta(days=120)


def test_strikes_sit_on_the_grid_near_the_underlying(flow: pd.DataFrame) -> None:
    increment = strike_increment(flow["underlying_price"].to_numpy())
    ratio = flow["strike"].to_numpy() / increment
    assert np.allclose(ratio, np.round(ratio))
    assert (np.abs(np.log(flow["strike"] / flow["underlying_price"])) < 0.4).all()
    np.testing.assert_array_equal(strike_increment(np.array([20.0, 120.0, 450.0])), [1, 2.5, 5])
    assert np.abs(flow["underlying_price"] - _path_at(flow)).max() <= 0.005 + 1e-9


def test_premiums_add_up(flow: pd.DataFrame) -> None:
    exact = np.round(flow["price"] * 100) * flow["size"]
    assert (flow["premium"] == exact).all()
    np.testing.assert_allclose(flow["premium"], flow["price"] * flow["size"] * 100, rtol=1e-12)
    assert (flow["price"] >= 0.01).all() and (flow["size"] > 0).all()
    sides = flow["ask_side_premium"] + flow["bid_side_premium"]
    assert (sides <= flow["premium"] + 1e-6).all()
    assert (flow["ask_side_premium"] >= 0).all() and (flow["bid_side_premium"] >= 0).all()
    assert (flow["open_interest"] >= 0).all()


def test_rules_and_flags_agree(flow: pd.DataFrame) -> None:
    rule = flow["rule"].astype(str)
    assert set(rule) <= set(FLOW_RULES)
    assert (flow["is_floor"] == rule.isin(FLOW_RULES[1:])).all()
    assert flow.loc[rule == "SweepsFollowedByFloor", "is_sweep"].all()
    assert 0.2 < flow["is_sweep"].mean() < 0.8
