"""Next-session forecasts: HAR-RV and ridge fits, walk-forward scores, no look-ahead."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.forecast import (
    COLUMNS,
    MODEL_COLUMNS,
    SPEC,
    ForecastSpec,
    forecast_sessions,
    har_features,
    lag_features,
    return_scores,
    vol_scores,
)

SMALL = ForecastSpec(min_train=10, max_train=10, eval_sessions=10)
"""Exactly 10 training pairs and 10 scored targets: small enough to work by hand."""


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2025-01-02", periods=n)


def _realized(values, symbol: str = "AAA") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"symbol": symbol, "date": _dates(len(values)), "realized_vol": values})


def _closes(returns_pct, symbol: str = "AAA") -> pd.DataFrame:
    """Closes whose simple returns in percent are ``returns_pct`` (one more close than returns)."""
    growth = 1.0 + np.asarray(returns_pct, dtype=float) / 100.0
    close = 100.0 * np.concatenate([[1.0], np.cumprod(growth)])
    return pd.DataFrame({"symbol": symbol, "date": _dates(len(close)), "close": close})


def _har_series(n: int, c: float, b: tuple[float, float, float], seed: int = 7) -> np.ndarray:
    """22 random starting values, then exactly ``c + b . (day, week, month)`` each session."""
    rv = list(np.random.default_rng(seed).uniform(1.0, 3.0, 22))
    while len(rv) < n:
        a = np.array(rv)
        rv.append(c + b[0] * a[-1] + b[1] * a[-5:].mean() + b[2] * a[-22:].mean())
    return np.array(rv)


def _random_inputs(n: int = 160, symbols: tuple[str, ...] = ("AAA", "BBB"), seed: int = 3):
    rng = np.random.default_rng(seed)
    realized = pd.concat([_realized(np.exp(rng.normal(0, 0.3, n)), s) for s in symbols])
    closes = pd.concat([_closes(rng.normal(0.05, 1.2, n - 1), s) for s in symbols])
    return realized, closes


def test_har_features_are_trailing_means_and_lags_shift_the_series():
    features = har_features(np.array([1.0, 2, 3, 4, 5, 6]), (1, 2, 3))
    assert features[2].tolist() == [3.0, 2.5, 2.0]
    assert features[5].tolist() == [6.0, 5.5, 5.0]
    assert features[0, 0] == 1.0 and np.isnan(features[0, 1:]).all()
    lags = lag_features(np.array([1.0, 2, 3]), 2)
    assert lags[1:].tolist() == [[2.0, 1.0], [3.0, 2.0]]
    assert lags[0, 0] == 1.0 and np.isnan(lags[0, 1])


def test_har_coefficients_of_a_noise_free_har_series_are_recovered_exactly():
    rv = _har_series(140, 0.5, (0.4, 0.3, 0.2))
    result = forecast_sessions(_realized(rv), pd.DataFrame(), [_dates(140)[-1]])
    model = result.models.iloc[0]
    assert model["vol_intercept"] == pytest.approx(0.5, rel=1e-8)
    assert model["vol_beta_day"] == pytest.approx(0.4, rel=1e-8)
    assert model["vol_beta_week"] == pytest.approx(0.3, rel=1e-8)
    assert model["vol_beta_month"] == pytest.approx(0.2, rel=1e-8)
    # 140 observations, features from the 22nd: 118 pairs known, fewer than max_train
    assert model["vol_train_rows"] == 118
    assert model["vol_train_start"] == _dates(140)[22]
    nxt = 0.5 + 0.4 * rv[-1] + 0.3 * rv[-5:].mean() + 0.2 * rv[-22:].mean()
    row = result.summary.iloc[0]
    assert row["vol_forecast"] == pytest.approx(nxt, rel=1e-10)
    assert row["vol_naive"] == rv[-1]
    assert row["vol_eval_steps"] == 63
    assert row["vol_rmse"] == pytest.approx(0.0, abs=1e-9) and row["vol_skill"] == pytest.approx(1)
    # no closes: no return model, its columns empty
    assert model["ret_train_rows"] == 0 and pd.isna(row["ret_forecast"])
    assert row["ret_eval_steps"] == 0 and pd.isna(row["ret_hit_rate"])


def test_alternating_volatility_scores_naive_and_model_as_worked_by_hand():
    # rv = 1, 3, 1, 3...: tomorrow is 4 - today exactly, the naive forecast is always 2 off
    rv = np.tile([1.0, 3.0], 40)
    row = forecast_sessions(_realized(rv), pd.DataFrame(), [_dates(80)[-1]], SMALL).summary
    row = row.iloc[0]
    assert row["vol_eval_steps"] == 10
    assert row["vol_rmse_naive"] == pytest.approx(2.0) and row["vol_mae_naive"] == 2.0
    # QLIKE of the naive: half the targets s = 9 (3 forecast 1), half s = 1/9
    # (9 - ln 9 - 1 + 1/9 + ln 9 - 1) / 2 = 32/9
    assert row["vol_qlike_naive"] == pytest.approx(32 / 9)
    assert row["vol_rmse"] == pytest.approx(0.0, abs=1e-9)
    assert row["vol_qlike"] == pytest.approx(0.0, abs=1e-9)
    assert row["vol_skill"] == pytest.approx(1.0)
    assert row["vol_forecast"] == pytest.approx(4.0 - rv[-1])


def test_ridge_on_alternating_returns_shrinks_by_the_worked_amount():
    # r = +1 %, -1 %, ...: with 10 centred pairs x_j = r_j v (v = [1,-1,1,-1,1]) and y = -r_j,
    # ridge solves (10 v v' + 10 I) b = -10 v: b = -v / 6, so the forecast is -5/6 r_t
    returns = np.tile([1.0, -1.0], 20)
    closes = _closes(returns)
    result = forecast_sessions(pd.DataFrame(), closes, [closes["date"].iloc[-1]], SMALL)
    model, row = result.models.iloc[0], result.summary.iloc[0]
    coef = [model[f"ret_coef_{k}"] for k in range(1, 6)]
    assert coef == pytest.approx([-1 / 6, 1 / 6, -1 / 6, 1 / 6, -1 / 6], abs=1e-12)
    assert model["ret_intercept"] == pytest.approx(0.0, abs=1e-12)
    assert row["return_pct"] == pytest.approx(-1.0)
    assert row["ret_forecast"] == pytest.approx(5 / 6)
    assert row["ret_eval_steps"] == 10 and model["ret_train_rows"] == 10
    assert row["ret_rmse"] == pytest.approx(1 / 6) and row["ret_rmse_naive"] == pytest.approx(1)
    assert row["ret_skill"] == pytest.approx(35 / 36)
    assert row["ret_hit_rate"] == 1.0 and row["ret_up_share"] == 0.5
    assert (result.steps["train_rows"] == 10).all()


def test_scores_worked_by_hand():
    scores = vol_scores(np.array([2.0, 3.0]), np.array([1.0, 1.0]), np.array([2.0, 4.0]))
    assert scores["vol_eval_steps"] == 2
    assert scores["vol_rmse"] == pytest.approx(math.sqrt(0.5))
    assert scores["vol_rmse_naive"] == pytest.approx(math.sqrt(5.0))
    assert scores["vol_mae"] == 0.5 and scores["vol_mae_naive"] == 2.0
    assert scores["vol_skill"] == pytest.approx(0.9)
    assert scores["vol_qlike"] == pytest.approx((16 / 9 - math.log(16 / 9) - 1) / 2)
    ret = return_scores(np.array([0.5, -0.2, 0.1]), np.array([1.0, 1.0, -2.0]))
    assert ret["ret_hit_rate"] == pytest.approx(1 / 3) and ret["ret_up_share"] == pytest.approx(
        2 / 3
    )
    assert ret["ret_rmse"] == pytest.approx(math.sqrt(6.1 / 3))
    assert ret["ret_rmse_naive"] == pytest.approx(math.sqrt(2.0))
    assert ret["ret_skill"] == pytest.approx(1 - 6.1 / 6)
    empty = vol_scores(np.array([]), np.array([]), np.array([]))
    assert empty["vol_eval_steps"] == 0 and np.isnan(empty["vol_rmse"])


def test_walk_forward_never_uses_future_data():
    realized, closes = _random_inputs()
    days = _dates(160)[-30:]
    result = forecast_sessions(realized, closes, days)
    steps = result.steps
    assert len(steps) > 0
    # every model is fitted on targets up to its origin, and forecasts a later session
    assert (steps["train_end"] == steps["origin"]).all()
    assert (steps["train_start"] <= steps["train_end"]).all()
    known = steps.dropna(subset=["target"])
    assert (known["target"] > known["origin"]).all()
    # changing everything after a cutoff changes nothing made on or before it
    cutoff = days[10]
    later_rv = realized["date"] > cutoff
    later_close = closes["date"] > cutoff
    moved_rv = realized.assign(realized_vol=realized["realized_vol"].where(~later_rv, 9.0))
    moved_closes = closes.assign(close=closes["close"].where(~later_close, closes["close"] * 1.3))
    again = forecast_sessions(moved_rv, moved_closes, days)
    for frame in ("summary", "models"):
        before = getattr(result, frame)
        after = getattr(again, frame)
        pd.testing.assert_frame_equal(
            before[before["date"] <= cutoff].reset_index(drop=True),
            after[after["date"] <= cutoff].reset_index(drop=True),
        )
    made = steps[steps["origin"] <= cutoff].set_index(["symbol", "kind", "origin"])
    remade = again.steps.set_index(["symbol", "kind", "origin"]).loc[made.index]
    assert remade["forecast"].tolist() == made["forecast"].tolist()
    assert (again.summary[again.summary["date"] > cutoff]["realized_vol"] == 9.0).all()


def test_a_session_is_forecast_alike_alone_in_a_range_and_from_only_the_history_it_needs():
    realized, closes = _random_inputs(n=400)
    days = _dates(400)[-20:]
    ranged = forecast_sessions(realized, closes, days)
    day = days[7]
    alone = forecast_sessions(realized, closes, [day])
    # the last history_needed observations up to the session (returns: one more close)
    first = _dates(400)[_dates(400).get_loc(day) - SPEC.history_needed + 1]
    short = forecast_sessions(
        realized[realized["date"] >= first],
        closes[closes["date"] >= first - pd.offsets.BDay(1)],
        [day],
    )
    for result in (alone, short):
        for frame in ("summary", "models"):
            ours = getattr(ranged, frame)
            pd.testing.assert_frame_equal(
                ours[ours["date"] == day].reset_index(drop=True),
                getattr(result, frame).reset_index(drop=True),
            )
    assert ranged.models["vol_train_rows"].eq(SPEC.max_train).all()


def test_the_walk_forward_forecast_of_a_session_is_the_one_published_the_session_before():
    realized, closes = _random_inputs()
    days = _dates(160)[-40:]
    result = forecast_sessions(realized, closes, days)
    published = result.summary.set_index(["symbol", "date"])
    steps = result.steps.dropna(subset=["target"])
    steps = steps[steps["origin"].isin(days)]
    assert len(steps) == 2 * 2 * 39  # two symbols, two kinds, 39 known next sessions
    for step in steps.itertuples():
        column = "vol_forecast" if step.kind == "vol" else "ret_forecast"
        assert published.loc[(step.symbol, step.origin), column] == step.forecast


def test_a_forecast_is_reproducible_from_its_model_row():
    realized, closes = _random_inputs()
    result = forecast_sessions(realized, closes, _dates(160)[-5:])
    for model, row in zip(result.models.itertuples(), result.summary.itertuples(), strict=True):
        vol = model.vol_intercept + np.dot(
            [model.vol_beta_day, model.vol_beta_week, model.vol_beta_month],
            [model.rv_day, model.rv_week, model.rv_month],
        )
        assert row.vol_forecast == pytest.approx(max(vol, model.vol_floor), rel=1e-12)
        coef = [getattr(model, f"ret_coef_{k}") for k in range(1, 6)]
        lags = [getattr(model, f"ret_lag_{k}") for k in range(1, 6)]
        assert row.ret_forecast == pytest.approx(
            model.ret_intercept + np.dot(coef, lags), rel=1e-12
        )
        assert lags[0] == pytest.approx(row.return_pct)
        assert json.loads(model.spec)["har_windows"] == [1, 5, 22]
        assert model.model_version == row.model_version == SPEC.version


def test_the_pooled_scores_cover_every_symbols_targets():
    realized, closes = _random_inputs()
    day = _dates(160)[-1]
    result = forecast_sessions(realized, closes, [day])
    pooled = result.pooled.loc[day]
    rows = result.summary
    assert pooled["vol_eval_steps"] == rows["vol_eval_steps"].sum() == 126
    mse = (rows["vol_rmse"] ** 2 * rows["vol_eval_steps"]).sum() / 126
    assert pooled["vol_rmse"] == pytest.approx(math.sqrt(mse))
    hits = (rows["ret_hit_rate"] * rows["ret_eval_steps"]).sum() / rows["ret_eval_steps"].sum()
    assert pooled["ret_hit_rate"] == pytest.approx(hits)


def test_too_short_a_history_gives_the_naive_forecast_and_empty_models():
    result = forecast_sessions(_realized([1.2, 1.5]), _closes([0.5]), _dates(2))
    summary = result.summary
    assert summary["date"].tolist() == list(_dates(2))
    assert summary["vol_naive"].tolist() == [1.2, 1.5]
    assert summary["vol_forecast"].isna().all() and summary["ret_forecast"].isna().all()
    assert summary["vol_eval_steps"].tolist() == [0, 0]
    assert pd.isna(summary["return_pct"].iloc[0])
    assert summary["return_pct"].iloc[1] == pytest.approx(0.5)
    assert result.models["vol_train_rows"].tolist() == [0, 0]
    assert result.models["vol_train_start"].isna().all()
    assert list(summary.columns) == list(COLUMNS) and list(result.models.columns) == list(
        MODEL_COLUMNS
    )
    assert result.steps.empty


def test_the_version_names_the_spec_and_bad_specs_are_refused():
    assert SPEC.version.startswith("har-ridge-r1-")
    assert ForecastSpec().version == SPEC.version
    assert ForecastSpec(ridge_alpha=5.0).version != SPEC.version
    assert json.loads(SPEC.to_json())["max_train"] == 252
    assert SPEC.history_needed == 63 + 252 + 22
    with pytest.raises(ValueError, match="har_windows"):
        ForecastSpec(har_windows=(5, 1, 22))
    with pytest.raises(ValueError, match="min_train"):
        ForecastSpec(min_train=300)


def test_a_session_without_a_realized_vol_keeps_its_return_forecast_and_its_vol_scores():
    realized, closes = _random_inputs(n=160, symbols=("AAA",))
    day = _dates(160)[-1]
    full = forecast_sessions(realized, closes, [day]).summary.iloc[0]
    gap = forecast_sessions(realized[realized["date"] < day], closes, [day]).summary.iloc[0]
    assert pd.isna(gap["realized_vol"]) and pd.isna(gap["vol_forecast"])
    assert gap["ret_forecast"] == full["ret_forecast"]
    # the targets scored are the 63 observations up to the day: they end the session before
    assert gap["vol_eval_steps"] == 63
    assert gap["vol_rmse"] != full["vol_rmse"]
    before = forecast_sessions(realized, closes, [_dates(160)[-2]]).summary.iloc[0]
    assert gap["vol_rmse"] == pytest.approx(before["vol_rmse"], rel=1e-12)


def test_lag_features_of_a_series_shorter_than_the_lags_are_nan_where_unknown() -> None:
    out = lag_features(np.array([1.0, 2.0, 3.0]), 5)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out[2, :3], [3.0, 2.0, 1.0])
    assert np.isnan(out[0, 1:]).all() and np.isnan(out[:, 3:]).all()
    assert lag_features(np.array([]), 3).shape == (0, 3)


def test_four_sessions_of_history_give_naive_rows_and_no_model() -> None:
    closes = _closes([1.0, -2.0, 0.5])  # four closes, three returns: fewer than the five lags
    result = forecast_sessions(_realized([1.0, 1.5, 2.0, 2.5]), closes, list(closes["date"]))
    assert len(result.summary) == 4
    assert result.summary["vol_naive"].tolist() == [1.0, 1.5, 2.0, 2.5]
    assert (
        result.summary["vol_forecast"].isna().all() and result.summary["ret_forecast"].isna().all()
    )
