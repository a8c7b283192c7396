"""A test code location: the project's definitions plus a schedule that ticks every minute.

The shipped schedules tick at most hourly, too rarely for a test to watch the real scheduler
daemon at work. :data:`minutely_hourly_crypto_schedule` requests exactly what the shipped
``hourly_crypto_schedule`` requests (the previous UTC hour of ``hourly_sources_job``, with the
same run key, through :func:`vvv_pipeline.defs.automation.schedules.hourly_request`) but on a
``* * * * *`` cron, and starts RUNNING. Serve it with a workspace naming this module.

Dagster scopes a schedule's run keys to one tick (the dedupe looks for the key together with the
tick's scheduled time), so on its own a minutely cron would launch the same hour once a minute
until the hour turns. The shipped schedule asks for each hour on one tick only; to match, this
schedule skips a request whose run key one of its own runs already carries.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.schedules import hourly_request
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import hourly_sources_job

MINUTELY_SCHEDULE = "minutely_hourly_crypto_schedule"


@dg.schedule(
    name=MINUTELY_SCHEDULE,
    job=hourly_sources_job,
    cron_schedule="* * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Test only: the previous UTC hour of crypto sources, every minute.",
)
def minutely_hourly_crypto_schedule(context: dg.ScheduleEvaluationContext):
    request = hourly_request(pd.Timestamp(context.scheduled_execution_time))
    if isinstance(request, dg.RunRequest) and request.run_key:
        mine = {"dagster/schedule_name": MINUTELY_SCHEDULE, "dagster/run_key": request.run_key}
        if context.instance.get_runs_count(dg.RunsFilter(tags=mine)):
            return dg.SkipReason(f"{request.partition_key} was launched on an earlier tick")
    return request


defs = dg.Definitions.merge(
    build_definitions(), dg.Definitions(schedules=[minutely_hourly_crypto_schedule])
)
