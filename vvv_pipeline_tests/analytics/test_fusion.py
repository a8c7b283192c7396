"""Signal fusion on hand-made component frames with scores worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vvv_pipeline.analytics.fusion import COLUMNS, WEIGHTS, fuse

DAY = pd.Timestamp("2025-11-25")
T1 = math.tanh(1.0)


def frame(symbol: str | list[str], **columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    symbols = [symbol] * n if isinstance(symbol, str) else symbol
    return pd.DataFrame({"symbol": pd.Categorical(symbols), "date": [DAY] * n, **columns})


def regime(label: str, confidence: float, symbol: str = "AAA") -> pd.DataFrame:
    return frame(symbol, regime=[label], confidence=[confidence])


def velocity(roc_5m: float, roc_15m: float, roc_60m: float, symbol: str = "AAA") -> pd.DataFrame:
    return frame(symbol, roc_5m=[roc_5m], roc_15m=[roc_15m], roc_60m=[roc_60m])


def profile(close: float, location: str, symbol: str = "AAA") -> pd.DataFrame:
    # value area 98..104 around a POC of 100
    return frame(
        symbol, close=[close], poc=[100.0], vah=[104.0], val=[98.0], close_location=[location]
    )


def flow(call: float, put: float, sentiment: float, symbol: str = "AAA") -> pd.DataFrame:
    return frame(symbol, call_premium=[call], put_premium=[put], sentiment_mean=[sentiment])


def oi(net: float, symbol: str = "BTCUSDT") -> pd.DataFrame:
    return frame(symbol, net_oi_change_pct=[net])


def test_single_component_scores_itself_and_covers_what_was_passed() -> None:
    out = fuse(regime=regime("trend_up", 0.8))
    assert list(out.columns) == list(COLUMNS)
    row = out.iloc[0]
    assert row["score"] == pytest.approx(0.8)
    assert row["confidence"] == pytest.approx(1.0)  # the one input passed is present and agrees
    assert (row["direction"], row["conflicts"], row["rule"]) == ("long", 0, "none")
    assert math.isnan(row["component_velocity"])
    assert row["reason"] == "long +0.80, confidence 1.00; for: regime +0.80; against: nothing"


def test_coverage_counts_the_passed_inputs_missing_in_a_row() -> None:
    # velocity is passed, but has a row for BBB only: AAA's coverage is 0.20 of 0.35
    out = fuse(regime=regime("trend_up", 0.8), velocity=velocity(1.0, 1.0, 1.0, "BBB"))
    row = out.set_index("symbol").loc["AAA"]
    assert row["confidence"] == pytest.approx(0.20 / 0.35)


def test_regime_maps_trend_sign_times_confidence_and_range_to_zero() -> None:
    down = fuse(regime=regime("trend_down", 0.5)).iloc[0]
    assert down["component_regime"] == -0.5
    assert down["direction"] == "short"
    flat = fuse(regime=regime("volatile", 0.9)).iloc[0]
    assert (flat["score"], flat["confidence"], flat["direction"]) == (0.0, 0.0, "neutral")


def test_velocity_averages_tanh_of_each_horizon_over_its_scale() -> None:
    row = fuse(velocity=velocity(0.25, 0.0, 0.5)).iloc[0]
    assert row["component_velocity"] == pytest.approx((T1 + 0.0 + math.tanh(0.5)) / 3)
    partial = fuse(velocity=velocity(float("nan"), float("nan"), -1.0)).iloc[0]
    assert partial["component_velocity"] == pytest.approx(-T1)


def test_profile_maps_value_area_position() -> None:
    scores = [
        fuse(profile=profile(close, location)).iloc[0]["component_profile"]
        for close, location in [
            (106, "above_value"),
            (101, "in_value"),
            (99, "in_value"),
            (97, "below_value"),
        ]
    ]
    # 101: 1 of the 4 points from POC to VAH; 99: 1 of the 2 points from POC to VAL
    assert scores == [1.0, 0.25, -0.5, -1.0]


def test_flow_averages_options_tilt_and_news_sentiment() -> None:
    row = fuse(flow=flow(3_000.0, 1_000.0, 0.3)).iloc[0]
    assert row["component_flow"] == pytest.approx((0.5 + 0.3) / 2)
    no_news = fuse(flow=flow(3_000.0, 1_000.0, float("nan"))).iloc[0]
    assert no_news["component_flow"] == pytest.approx(0.5)


def test_conflicting_components_net_out_lower_confidence_and_are_counted() -> None:
    # regime -0.5 (w .20), profile +1 (w .15), flow +0.4 (w .15): net .11 over weight .5
    out = fuse(
        regime=regime("trend_down", 0.5),
        profile=profile(106, "above_value"),
        flow=flow(3_000.0, 1_000.0, 0.3),
    ).iloc[0]
    assert out["score"] == pytest.approx(0.11 / 0.5)
    assert out["confidence"] == pytest.approx(1.0 * 0.11 / 0.31)  # coverage x agreement
    assert out["conflicts"] == 1
    assert (out["direction"], out["rule"]) == ("long", "none")  # flow 0.4: not a strong opposition
    assert out["reason"] == (
        "long +0.22, confidence 0.35; for: profile +1.00, flow +0.40; against: regime -0.50"
    )


def test_missing_components_are_renormalised_out_not_counted_as_zero() -> None:
    alone = fuse(regime=regime("trend_up", 0.8)).iloc[0]
    # velocity is passed but has no row for AAA: the score must not be dragged toward 0
    other = fuse(regime=regime("trend_up", 0.8), velocity=velocity(1.0, 1.0, 1.0, "BBB"))
    row = other.set_index("symbol").loc["AAA"]
    assert row["score"] == alone["score"]
    assert len(other) == 2


def test_rising_open_interest_backs_the_price_side_and_falling_fades_it() -> None:
    price = velocity(float("nan"), float("nan"), 1.0, "BTCUSDT")  # component tanh(1)
    backed = fuse(velocity=price, oi=oi(0.05)).iloc[0]
    assert backed["component_oi"] == pytest.approx(T1)
    assert backed["score"] == pytest.approx(T1)
    faded = fuse(velocity=price, oi=oi(-0.05)).iloc[0]
    assert faded["component_oi"] == pytest.approx(-T1)
    # (0.15 - 0.10) tanh(1) / 0.25; agreement 0.05 / 0.25, coverage 1, then halved: open
    # interest (-0.76) strongly against the price side
    assert faded["score"] == pytest.approx(T1 / 5)
    assert faded["confidence"] == pytest.approx(0.2 / 2)
    assert (faded["conflicts"], faded["direction"]) == (1, "neutral")
    assert faded["rule"] == "participation_disagrees"


def test_open_interest_without_a_price_component_has_no_side() -> None:
    row = fuse(oi=oi(0.05)).iloc[0]
    assert math.isnan(row["component_oi"])
    assert (row["score"], row["confidence"], row["direction"]) == (0.0, 0.0, "neutral")


def test_rows_are_the_union_of_inputs_sorted_with_category_symbol() -> None:
    out = fuse(profile=profile(106, "above_value", "ZZZ"), regime=regime("trend_up", 1.0))
    assert list(out["symbol"]) == ["AAA", "ZZZ"]
    assert isinstance(out["symbol"].dtype, pd.CategoricalDtype)
    assert out["date"].dtype == "datetime64[ns]"
    assert out["conflicts"].dtype == "int64"


def test_weights_can_be_overridden_but_must_cover_every_component() -> None:
    weights = {**WEIGHTS, "regime": 1.0, "profile": 3.0}
    out = fuse(
        regime=regime("trend_up", 1.0), profile=profile(97, "below_value"), weights=weights
    ).iloc[0]
    assert out["score"] == pytest.approx((1.0 - 3.0) / 4.0)
    with pytest.raises(ValueError, match="weights: need a positive weight"):
        fuse(regime=regime("trend_up", 1.0), weights={"regime": 1.0})


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="fuse: pass at least one"):
        fuse()
    with pytest.raises(ValueError, match="regime: unknown regime label"):
        fuse(regime=regime("sideways", 1.0))
    with pytest.raises(ValueError, match="flow: missing required column"):
        fuse(flow=frame("AAA", call_premium=[1.0]))
    with pytest.raises(ValueError, match="velocity: more than one row"):
        fuse(velocity=pd.concat([velocity(1, 1, 1)] * 2))


def zones(kinds: list[str], strengths: list[float], symbol: str = "AAA") -> pd.DataFrame:
    return frame([symbol] * len(kinds), kind=kinds, strength=strengths)


def traps(bull: int, bear: int, up: int = 0, down: int = 0, levels: int = 4) -> pd.DataFrame:
    return frame(
        "AAA",
        levels=[levels],
        bull_traps=[bull],
        bear_traps=[bear],
        breakouts_up=[up],
        breakouts_down=[down],
    )


def test_zones_weigh_buying_against_selling_tails() -> None:
    row = fuse(zones=zones(["demand", "supply", "hvn"], [1.0, 1 / 3, 0.9])).iloc[0]
    assert row["component_zones"] == pytest.approx((1 - 1 / 3) / (1 + 1 / 3))  # 0.5
    no_tail = fuse(zones=zones(["hvn", "lvn"], [0.9, 0.4])).iloc[0]
    assert no_tail["component_zones"] == 0.0


def test_traps_point_against_the_failed_breakout_and_held_ones_their_own_way() -> None:
    assert fuse(traps=traps(bull=2, bear=0)).iloc[0]["component_traps"] == pytest.approx(
        math.tanh(-2.0)
    )
    mixed = fuse(traps=traps(bull=0, bear=1, up=0, down=1)).iloc[0]
    assert mixed["component_traps"] == pytest.approx(math.tanh(0.5))
    assert math.isnan(fuse(traps=traps(0, 0, levels=0)).iloc[0]["component_traps"])


def test_a_trap_against_the_call_vetoes_it_first() -> None:
    # regime +1 (.20) and profile +1 (.15) against one bull trap tanh(-1) (.15)
    row = fuse(
        regime=regime("trend_up", 1.0),
        profile=profile(106, "above_value"),
        traps=traps(bull=1, bear=0),
    ).iloc[0]
    assert row["score"] == pytest.approx((0.35 - 0.15 * T1) / 0.5)  # 0.47: a long call ...
    assert (row["direction"], row["rule"]) == ("neutral", "trap_veto")  # ... vetoed
    assert row["reason"].endswith("; trap_veto: 1 more bull trap(s) than the opposite")
    agreeing = fuse(regime=regime("trend_up", 1.0), traps=traps(bull=0, bear=1)).iloc[0]
    assert (agreeing["direction"], agreeing["rule"]) == ("long", "none")


def test_a_volatile_regime_halves_confidence_and_doubles_the_threshold() -> None:
    # regime volatile: component 0 (.20); velocity tanh(1) (.15): score 0.15 T1 / 0.35 = 0.33
    row = fuse(regime=regime("volatile", 0.9), velocity=velocity(0.25, 0.5, 1.0)).iloc[0]
    assert row["score"] == pytest.approx(0.15 * T1 / 0.35)
    assert row["confidence"] == pytest.approx(0.5)  # coverage 1 x agreement 1, halved
    assert (row["direction"], row["rule"]) == ("neutral", "volatile_regime")  # 0.33 < 0.4
    calm = fuse(regime=regime("range", 0.9), velocity=velocity(0.25, 0.5, 1.0)).iloc[0]
    assert (calm["direction"], calm["rule"]) == ("long", "none")
