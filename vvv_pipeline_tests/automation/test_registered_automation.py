"""The schedules and sensors the code location registers, pinned with how they start.

Unregistering a schedule or sensor, changing its cron, time zone, job, interval or whether it
is on after a deploy changes what runs unattended; each must be a deliberate edit here too.
"""

from __future__ import annotations

import dagster as dg

from vvv_pipeline.defs.definitions import build_definitions

NY, STOPPED = "America/New_York", dg.DefaultScheduleStatus.STOPPED
SCHEDULES = {
    "xnys_session_close_schedule": ("15 13,16 * * 1-5", NY, "session_sources_job", STOPPED),
    "hourly_crypto_schedule": ("5 * * * *", "UTC", "hourly_sources_job", STOPPED),
    "calendar_day_schedule": ("20 0 * * *", NY, "calendar_day_sources_job", STOPPED),
}
"""name -> (cron, execution time zone, job, default status)."""

ON, OFF = dg.DefaultSensorStatus.RUNNING, dg.DefaultSensorStatus.STOPPED
SENSORS = {
    "partition_gap_sensor": ("SensorDefinition", OFF, 300),
    "news_completion_sensor": ("SensorDefinition", ON, 300),
    "alert_on_run_failure": ("RunStatusSensorDefinition", ON, 30),
    "alert_on_blocking_check_failure": ("SensorDefinition", ON, 60),
    "alert_on_freshness_failure": ("SensorDefinition", ON, 60),
    # Dagster adds it for the assets' automation conditions (declarative automation)
    "default_automation_condition_sensor": ("AutomationConditionSensorDefinition", OFF, 30),
}
"""name -> (definition type, default status, minimum interval in seconds)."""


def test_the_registered_schedules_are_pinned_with_their_crons_and_statuses():
    repository = build_definitions().get_repository_def()
    registered = {
        s.name: (s.cron_schedule, s.execution_timezone, s.job_name, s.default_status)
        for s in repository.schedule_defs
    }
    assert registered == SCHEDULES


def test_the_registered_sensors_are_pinned_with_their_statuses_and_intervals():
    repository = build_definitions().get_repository_def()
    registered = {
        s.name: (type(s).__name__, s.default_status, s.minimum_interval_seconds)
        for s in repository.sensor_defs
    }
    assert registered == SENSORS
