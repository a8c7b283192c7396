"""Rebuild a session's news-dependent assets once its calendar day's news is complete.

The session-close run (16:15 New York) builds metadata tier 3 and the flow view with the news
stored so far: the session's New York day is still in progress, so its ``news_headlines``
partition does not exist yet (their materializations say ``news_complete: false``). The
calendar-day schedule stores that day's news after midnight; this sensor then requests
:data:`NEWS_DEPENDENT` for the session, so the stored tier 3, flow, signals and report count
the whole day's news. A session whose tier 3 was built after its news landed (a backfill, a gap
run) is left alone, and a news partition re-materialized later triggers a rebuild again.
"""

from __future__ import annotations

import dagster as dg

from vvv_pipeline.calendars import is_session
from vvv_pipeline.defs.automation.gap_attempts import TRIGGER_TAG

NEWS = dg.AssetKey("news_headlines")
NEWS_DEPENDENT = ("equity_metadata_tier3", "equity_flow", "equity_signals", "daily_report")
TIER3 = dg.AssetKey("equity_metadata_tier3")
BATCH = 200


def news_refresh_requests(
    instance: dg.DagsterInstance, cursor: int
) -> tuple[list[dg.RunRequest], int]:
    """Requests for sessions whose news landed after their tier 3 was built; the new cursor."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=NEWS, after_storage_id=cursor or None),
        limit=BATCH,
        ascending=True,
    ).records
    cursor = max([cursor, *(record.storage_id for record in records)])
    landed = {
        record.partition_key: record.storage_id
        for record in records  # ascending: a day's latest news wins
        if record.partition_key is not None and is_session(record.partition_key)
    }
    if not landed:
        return [], cursor
    built = instance.event_log_storage.get_latest_storage_id_by_partition(
        TIER3, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions=set(landed)
    )
    requests = [
        dg.RunRequest(
            run_key=f"news-complete:{day}:{news_id}",
            asset_selection=[dg.AssetKey(name) for name in NEWS_DEPENDENT],
            partition_key=day,
            tags={TRIGGER_TAG: "news_completion"},
        )
        for day, news_id in sorted(landed.items())
        if day in built and built[day] < news_id
    ]
    return requests, cursor


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(*NEWS_DEPENDENT),
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a calendar day's news_headlines partition lands, rebuilds that session's "
    "metadata tier 3, flow view, signals and daily report if they were built before it (the "
    "session-close run sees only the news stored so far).",
)
def news_completion_sensor(context: dg.SensorEvaluationContext):
    cursor = int(context.cursor) if context.cursor else 0
    requests, new_cursor = news_refresh_requests(context.instance, cursor)
    context.update_cursor(str(new_cursor))
    if not requests:
        return dg.SkipReason("no session whose news landed after its tier 3 was built")
    return requests
