"""Derived partitions are gaps when their inputs are complete and they are missing or stale;
the schedules skip partitions before the deployment's history starts."""

from contextlib import nullcontext

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.assets.derive import hours_of, partition_window
from vvv_pipeline.defs.automation.derived_gaps import derived_gaps
from vvv_pipeline.defs.automation.schedules import calendar_day_request, hourly_request
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import CALENDAR_DAY_DERIVED, SESSION_DERIVED, SESSION_SOURCES
from vvv_pipeline.defs.partitions import calendar_day_partitions
from vvv_pipeline_tests.assets.helpers import RANGE_TAGS

DAY = "2025-11-25"
AFTER = pd.Timestamp("2025-11-26 03:00", tz="America/New_York").tz_convert("UTC")


def _session(defs, instance, assets) -> None:
    result = defs.resolve_job_def("session_sources_job").execute_in_process(
        instance=instance, partition_key=DAY, asset_selection=[dg.AssetKey(a) for a in assets]
    )
    assert result.success


def _session_gaps(instance) -> list:
    return [g for g in derived_gaps(instance, DAY, DAY, AFTER) if g.job == "session_sources_job"]


def test_derived_partitions_missing_or_stale_over_complete_inputs_are_gaps(
    data_dir, instance, monkeypatch, capsys
):
    defs = build_definitions()
    assert _session_gaps(instance) == []  # no inputs yet: the sources' gaps come first
    _session(defs, instance, SESSION_SOURCES)
    (gap,) = _session_gaps(instance)
    assert gap.partition == DAY and set(gap.assets) == set(SESSION_DERIVED)

    _session(defs, instance, SESSION_DERIVED)
    assert _session_gaps(instance) == []

    _session(defs, instance, ["equity_ticks"])  # healed later: every derived asset is stale
    (stale,) = _session_gaps(instance)
    assert set(stale.assets) == set(SESSION_DERIVED)

    from vvv_pipeline.cli import commands as cli

    monkeypatch.setattr(cli, "_instance", lambda: nullcontext(instance))
    assert cli.list_gaps(pd.Timestamp(DAY), pd.Timestamp(DAY), None, 20) == 0
    shown = capsys.readouterr().out.split("derived partitions to build")[1]
    assert f"session_sources_job {DAY}: {', '.join(stale.assets)}" in shown

    assert _day_gaps(instance) == []  # no crypto hour of the day is stored: nothing is due


def _day_gaps(instance) -> list:
    return [g for g in derived_gaps(instance, DAY, DAY, AFTER) if g.job != "session_sources_job"]


def test_a_new_york_day_is_due_once_every_hour_of_it_is_stored(data_dir, instance):
    defs = build_definitions()
    hours = hours_of(*partition_window(calendar_day_partitions(), DAY))
    assert len(hours) == 24
    hourly = defs.resolve_job_def("hourly_sources_job")

    def store_hours(first: str, last: str) -> None:
        tags = dict(zip(RANGE_TAGS, (first, last), strict=True))
        assert hourly.execute_in_process(instance=instance, tags=tags).success

    store_hours(hours[0], hours[-2])
    assert _day_gaps(instance) == []  # one hour still missing: the day's inputs are incomplete
    store_hours(hours[-1], hours[-1])
    (gap,) = _day_gaps(instance)
    assert (gap.job, gap.partition) == ("calendar_day_sources_job", DAY)
    assert set(gap.assets) == set(CALENDAR_DAY_DERIVED)

    built = defs.resolve_job_def("calendar_day_sources_job").execute_in_process(
        instance=instance,
        partition_key=DAY,
        asset_selection=[dg.AssetKey(a) for a in CALENDAR_DAY_DERIVED],
    )
    assert built.success
    assert _day_gaps(instance) == []
    store_hours(hours[3], hours[3])  # one hour re-written after the day was built: stale
    (stale,) = _day_gaps(instance)
    assert set(stale.assets) == set(CALENDAR_DAY_DERIVED)


def test_schedules_skip_partitions_before_the_history_start(monkeypatch):
    monkeypatch.setenv("VVV_HOURLY_START", "2025-11-25-05:00")
    monkeypatch.setenv("VVV_CALENDAR_DAYS_START", "2025-11-25")
    first = hourly_request(pd.Timestamp("2025-11-25 05:05", tz="UTC"))
    assert isinstance(first, dg.SkipReason) and "before the first partition" in first.skip_message
    assert hourly_request(pd.Timestamp("2025-11-25 06:05", tz="UTC")).partition_key == (
        "2025-11-25-05:00"
    )
    day = calendar_day_request(pd.Timestamp("2025-11-25 00:20", tz="America/New_York"))
    assert isinstance(day, dg.SkipReason)
    assert (
        calendar_day_request(pd.Timestamp("2025-11-26 00:20", tz="America/New_York")).partition_key
        == DAY
    )
