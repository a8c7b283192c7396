"""equity_forecast: the session job's rows on a short store, and the stored model and scores on a
seeded history equal to the pure forecasts of the same inputs.

The shared two-session store (``two_days_store``) is too short for any model: there the asset
stores the naive forecasts and empty models. The seeded case writes 200 sessions of realized
vol and daily bars for two equities straight into a fresh store and materializes the asset alone
over two sessions: a fitted model and a full walk-forward window, in about a second.
"""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.analytics.forecast import SPEC, forecast_sessions
from vvv_pipeline.calendars import EXCHANGE_TZ, sessions_between
from vvv_pipeline.defs.assets.frames_io import with_date
from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.storage.derived import FORECAST, REGIME, TIME_BARS, DerivedStore
from vvv_pipeline.universe import load_universe

SEEDED = ("AAPL", "MSFT")
DAYS = ["2025-11-24", "2025-11-25"]
CODE_VERSION_TAG = "dagster/code_version"


def _stored(series: list[str]) -> pd.DataFrame:
    frame = DerivedStore(settings.arctic_uri()).read(FORECAST, series)
    symbol = frame.pop("key").str.split("/").str[0]
    frame.insert(0, "symbol", symbol)
    return with_date(frame)


def _forecast_events(result: dg.ExecuteInProcessResult) -> list:
    return [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "equity_forecast"
    ]


def test_a_two_session_store_holds_the_naive_forecasts_and_no_fitted_model(two_days_store):
    equities = list(load_universe().equities)
    summary = _stored(equities)
    models = _stored([f"{s}/model" for s in equities])
    sessions = pd.to_datetime(two_days_store.days)
    assert len(summary) == len(models) == len(equities) * len(sessions)
    regime = with_date(
        DerivedStore(settings.arctic_uri()).read(REGIME, equities).rename(columns={"key": "s"})
    )
    rv = regime.set_index(["s", "date"])["realized_vol"]
    for row in summary.itertuples():
        assert row.vol_naive == row.realized_vol == rv[(row.symbol, row.date)]
    assert summary["vol_forecast"].isna().all() and summary["ret_forecast"].isna().all()
    assert (summary["vol_eval_steps"] == 0).all() and (models["vol_train_rows"] == 0).all()
    assert (summary["model_version"] == SPEC.version).all()
    # the first stored session has no earlier close: its return is unknown, the second's not
    first = summary[summary["date"] == sessions[0]]
    second = summary[summary["date"] == sessions[1]]
    assert first["return_pct"].isna().all() and second["return_pct"].notna().all()
    events = _forecast_events(two_days_store.session_run)
    assert sorted(e.partition for e in events) == two_days_store.days
    for event in events:
        metadata = event.materialization.metadata
        assert metadata["model_version"].value == SPEC.version
        assert metadata["symbols_forecast"].value == 0
        assert metadata["vol_rmse"].value == "n/a"
        assert event.materialization.tags[CODE_VERSION_TAG] == SPEC.version


def _seed_history(count: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``count`` sessions up to the last of :data:`DAYS`: regime rows (their realized vol)
    and 1d bars (their close) of :data:`SEEDED`, written as the upstream assets would."""
    sessions = sessions_between("2024-11-01", DAYS[-1])[-count:]
    ts = sessions.tz_localize(EXCHANGE_TZ).tz_convert("UTC")
    rng = np.random.default_rng(11)
    derived = DerivedStore(settings.arctic_uri())
    realized, closes = [], []
    for symbol in SEEDED:
        rv = np.exp(rng.normal(0.3, 0.25, count))
        close = 100.0 * np.cumprod(1 + rng.normal(0, 0.015, count))
        realized.append(pd.DataFrame({"symbol": symbol, "date": sessions, "realized_vol": rv}))
        closes.append(pd.DataFrame({"symbol": symbol, "date": sessions, "close": close}))
        frame = pd.DataFrame({"realized_vol": rv}, index=pd.Index(ts, name="ts"))
        derived.replace_window(REGIME, {symbol: frame}, ts[0], ts[-1] + pd.Timedelta(days=1))
        bars = pd.DataFrame({"close": close}, index=pd.Index(ts, name="ts"))
        end = ts[-1] + pd.Timedelta(days=1)
        derived.replace_window(TIME_BARS, {f"{symbol}/1d": bars}, ts[0], end)
    return pd.concat(realized), pd.concat(closes)


def test_a_seeded_history_is_forecast_stored_and_scored_as_the_pure_layer_says(data_dir, instance):
    realized, closes = _seed_history()
    defs = build_definitions()
    job = dg.define_asset_job("only_equity_forecast", selection=["equity_forecast"]).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )
    tags = dict(zip(RANGE_TAGS, (DAYS[0], DAYS[-1]), strict=True))
    result = job.execute_in_process(instance=instance, tags=tags)
    assert result.success
    want = forecast_sessions(realized, closes, DAYS)
    summary = _stored(list(SEEDED)).sort_values(["symbol", "date"], ignore_index=True)
    models = _stored([f"{s}/model" for s in SEEDED])
    models = models.sort_values(["symbol", "date"], ignore_index=True)
    assert len(summary) == len(models) == 4
    expected = want.summary.assign(symbol=want.summary["symbol"].astype(str))
    pd.testing.assert_frame_equal(summary, expected, check_exact=False, rtol=1e-12)
    fitted = want.models.assign(symbol=want.models["symbol"].astype(str))
    pd.testing.assert_frame_equal(models, fitted, check_exact=False, rtol=1e-12)
    assert (summary["vol_forecast"] > 0).all() and (summary["vol_eval_steps"] == 63).all()
    # pairs (x_j, rv_(j+1)) from the 22nd session to the as-of one: fewer than a year's
    pairs = {DAYS[0]: 200 - 1 - 22, DAYS[1]: 200 - 22}
    assert models["vol_train_rows"].tolist() == [pairs[d] for d in DAYS] * 2
    events = {e.partition: e.materialization for e in _forecast_events(result)}
    assert sorted(events) == DAYS
    for day, materialization in events.items():
        metadata = materialization.metadata
        pooled = want.pooled.loc[pd.Timestamp(day)]
        assert metadata["symbols_forecast"].value == 2
        assert metadata["training_rows_vol"].value == 2 * pairs[day]
        assert metadata["vol_eval_steps"].value == 2 * 63
        for name in ("vol_rmse", "vol_rmse_naive", "vol_skill", "vol_qlike", "ret_hit_rate"):
            assert metadata[name].value == pytest.approx(round(pooled[name], 4)), name
        assert "| AAPL |" in metadata["walk_forward"].value
        assert metadata["dagster/row_count"].value == 2 * 2  # forecast and model rows
        assert materialization.tags[CODE_VERSION_TAG] == SPEC.version
