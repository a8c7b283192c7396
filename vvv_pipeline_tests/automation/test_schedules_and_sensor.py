"""Schedules fire after each XNYS close and skip the rest; the gap sensor requests each gap once."""

import json

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.schedules import (
    calendar_day_request,
    hourly_request,
    session_request,
)
from vvv_pipeline.defs.automation.sensors import gap_requests
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline_tests.assets.test_derived import _run
from vvv_pipeline_tests.dagster_internals import PartitionBackfill

NY = "America/New_York"


def _at(local: str) -> pd.Timestamp:
    return pd.Timestamp(local, tz=NY).tz_convert("UTC")


def test_the_session_schedule_fires_once_after_each_close_early_closes_included():
    early = session_request(_at("2025-11-28 13:15"))  # Black Friday closes at 13:00
    assert isinstance(early, dg.RunRequest) and early.partition_key == "2025-11-28"
    assert isinstance(session_request(_at("2025-11-28 16:15")), dg.SkipReason)
    normal = session_request(_at("2025-11-25 16:15"))
    assert isinstance(normal, dg.RunRequest) and normal.run_key == "session-2025-11-25"
    assert isinstance(session_request(_at("2025-11-25 13:15")), dg.SkipReason)
    holiday = session_request(_at("2025-11-27 16:15"))  # Thanksgiving
    assert isinstance(holiday, dg.SkipReason) and "not an XNYS session" in holiday.skip_message


def test_hourly_and_calendar_day_schedules_request_the_period_that_just_ended():
    assert hourly_request(pd.Timestamp("2025-11-25 15:05", tz="UTC")).partition_key == (
        "2025-11-25-14:00"
    )
    assert calendar_day_request(_at("2025-11-26 00:20")).partition_key == "2025-11-25"


def test_schedules_evaluate_through_dagster(instance):
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("xnys_session_close_schedule")
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=_at("2025-11-28 13:15").to_pydatetime(),
        repository_def=defs.get_repository_def(),
    )
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2025-11-28"]


NOW = _at("2025-11-26 09:00")  # lookback of 3 days: sessions 24 and 25; days 24 and 25


def test_gap_sensor_requests_each_gap_once_with_a_cap_and_a_rotating_cursor(data_dir, instance):
    _run("session_sources_job", ["2025-11-24"], instance)
    tick = gap_requests(instance, NOW, lookback_days=3, cap=1000, grace=pd.Timedelta(0))
    wanted = {(r.asset_selection[0].to_user_string(), r.partition_key) for r in tick.requests}
    for source in ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv"):
        assert (source, "2025-11-25") in wanted and (source, "2025-11-24") not in wanted
    assert ("news_headlines", "2025-11-24") in wanted and ("news_headlines", "2025-11-25") in wanted
    # hours of 11-24 00:00 NY .. 11-26 09:00 NY (the day in progress counts up to now): 57
    hourly = [r for r in tick.requests if r.asset_selection[0].to_user_string() == "crypto_trades"]
    assert len(hourly) == 24 + 24 + 9
    assert len({r.run_key for r in tick.requests}) == len(tick.requests)
    assert tick.found == len(tick.requests)

    capped = gap_requests(instance, NOW, lookback_days=3, cap=5, grace=pd.Timedelta(0))
    assert len(capped.requests) == 5
    # one gap in equity_ticks, then the cap is reached inside crypto_trades (index 1)
    assert json.loads(capped.cursor)["next"] == 2
    later = gap_requests(
        instance, NOW, capped.cursor, lookback_days=3, cap=5, grace=pd.Timedelta(0)
    )
    assert {r.asset_selection[0].to_user_string() for r in later.requests} == {
        "crypto_open_interest"
    }


def test_a_sensor_tick_during_a_backfill_leaves_its_partitions_alone(data_dir, instance):
    defs = build_definitions()
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id="running",
        asset_graph=defs.resolve_asset_graph(),
        partition_names=["2025-11-24", "2025-11-25"],
        asset_selection=[dg.AssetKey("darkpool_prints")],
        backfill_timestamp=NOW.timestamp(),
        tags={},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=None,
        description=None,
        run_config=None,
    )
    instance.add_backfill(backfill)
    tick = gap_requests(instance, NOW, lookback_days=3, cap=1000, grace=pd.Timedelta(0))
    requested = {(r.asset_selection[0].to_user_string(), r.partition_key) for r in tick.requests}
    assert not {p for a, p in requested if a == "darkpool_prints"}
    assert ("options_flow", "2025-11-24") in requested
