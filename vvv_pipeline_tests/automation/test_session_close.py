"""At the session close, under Dagster's clock: the schedule's run succeeds on today's session
although the day's news partition does not exist yet, and the session's news-dependent assets
are rebuilt once the day's news lands."""

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.news_completion import NEWS_DEPENDENT, news_completion_sensor
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.read import load_tier
from vvv_pipeline_tests.assets.helpers import stored_table
from vvv_pipeline_tests.assets.test_derived import EQUITIES
from vvv_pipeline_tests.frozen_clock import dagster_clock

DAY = "2025-11-25"
CLOSE_TICK = pd.Timestamp(f"{DAY} 16:15", tz="America/New_York")
NEWS_TICK = pd.Timestamp("2025-11-26 00:20", tz="America/New_York")


def _metadata(instance: dg.DagsterInstance, asset: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    assert event is not None and event.asset_materialization.partition == DAY
    return event.asset_materialization.metadata


def _news_counts() -> pd.Series:
    start = pd.Timestamp(DAY, tz="America/New_York")
    tier3 = load_tier(3, EQUITIES, start, start + pd.Timedelta(days=1))
    return tier3.set_index(tier3["symbol"].astype(str))["news_count"]


def test_the_close_run_succeeds_and_the_news_completion_sensor_rebuilds_the_session(
    data_dir, instance
):
    defs = build_definitions()
    with dagster_clock(CLOSE_TICK):
        schedule = defs.resolve_schedule_def("xnys_session_close_schedule")
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=CLOSE_TICK.to_pydatetime(),
            repository_def=defs.get_repository_def(),
        )
        (request,) = schedule.evaluate_tick(context).run_requests
        assert request.partition_key == DAY
        close_run = defs.resolve_job_def("session_sources_job").execute_in_process(
            instance=instance, partition_key=DAY, tags=request.tags, raise_on_error=False
        )
    assert close_run.success  # tier 3 and flow no longer fail on today's missing news
    for asset in ("equity_metadata_tier3", "equity_flow"):
        assert _metadata(instance, asset)["news_complete"].value is False
    assert (_news_counts() == 0).all()

    sensor = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    assert news_completion_sensor.evaluate_tick(sensor).run_requests == []

    with dagster_clock(NEWS_TICK):
        news = defs.resolve_job_def("calendar_day_sources_job").execute_in_process(
            instance=instance, partition_key=DAY, asset_selection=[dg.AssetKey("news_headlines")]
        )
        assert news.success
        tick = news_completion_sensor.evaluate_tick(sensor)
        (refresh,) = tick.run_requests
        assert refresh.partition_key == DAY
        assert {k.to_user_string() for k in refresh.asset_selection} == set(NEWS_DEPENDENT)
        rebuilt = defs.resolve_job_def("session_sources_job").execute_in_process(
            instance=instance,
            partition_key=DAY,
            asset_selection=refresh.asset_selection,
            tags=refresh.tags,
        )
    assert rebuilt.success
    assert _metadata(instance, "equity_metadata_tier3")["news_complete"].value is True
    headlines = stored_table("news_headlines")
    expected = headlines["symbol"].value_counts().reindex(EQUITIES, fill_value=0)
    counts = _news_counts()
    assert counts.sum() > 0
    assert (counts.reindex(EQUITIES) == expected).all()
    sensor = dg.build_sensor_context(
        instance=instance, cursor=tick.cursor, repository_def=defs.get_repository_def()
    )
    assert news_completion_sensor.evaluate_tick(sensor).run_requests == []  # rebuilt after news
