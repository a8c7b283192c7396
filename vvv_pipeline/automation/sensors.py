"""The gap sensor: find missing or tier-1-failed source partitions and request runs for them.

Each tick looks back :data:`LOOKBACK_DAYS` New York days (``VVV_GAP_LOOKBACK_DAYS``), finds
every source asset's expected partitions that are missing or whose latest tier-1 check failed
(:mod:`~vvv_pipeline.automation.gaps`), leaves out partitions an active run or backfill already
targets, and requests one run per gap partition, at most :data:`MAX_RUNS_PER_TICK`
(``VVV_GAP_MAX_RUNS_PER_TICK``) per tick. Run keys (``gap:<asset>:<partition>``) make Dagster
drop a request it has seen before, so a gap is never requested twice; a partition that fails
again stays visible in the coverage report instead of being retried forever. The cursor holds
the index of the source to start with next tick, so a capped tick never starves later sources.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline.assets.source_specs import SOURCE_SPECS, SourceSpec
from vvv_pipeline.automation.in_flight import in_flight_partitions
from vvv_pipeline.automation.partition_status import asset_gaps

LOOKBACK_DAYS = int(os.environ.get("VVV_GAP_LOOKBACK_DAYS", "7"))
MAX_RUNS_PER_TICK = int(os.environ.get("VVV_GAP_MAX_RUNS_PER_TICK", "10"))


@dataclass(frozen=True)
class GapTick:
    requests: list[dg.RunRequest]
    cursor: str
    found: int
    """Gap partitions found (before leaving out in-flight ones and capping)."""


def gap_requests(
    instance: dg.DagsterInstance,
    now: pd.Timestamp,
    cursor: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    cap: int = MAX_RUNS_PER_TICK,
    specs: Sequence[SourceSpec] = SOURCE_SPECS,
) -> GapTick:
    """The run requests of one tick at ``now`` (UTC) and the next cursor."""
    start_at = json.loads(cursor)["next"] % len(specs) if cursor else 0
    order = [*specs[start_at:], *specs[:start_at]]
    end = now.tz_convert("America/New_York").tz_localize(None).normalize()
    start = end - pd.Timedelta(days=lookback_days - 1)
    keys = {dg.AssetKey(spec.source.value): spec.partitions() for spec in specs}
    busy = in_flight_partitions(instance, keys, keys)
    requests: list[dg.RunRequest] = []
    found = 0
    next_index = start_at
    for offset, spec in enumerate(order):
        key = dg.AssetKey(spec.source.value)
        gaps = asset_gaps(instance, key, keys[key], start, end, as_of=now)
        todo = sorted(set(gaps.missing) | set(gaps.failed_tier1))
        found += len(todo)
        for partition in todo:
            if partition in busy[key]:
                continue
            if len(requests) == cap:
                break
            requests.append(
                dg.RunRequest(
                    run_key=f"gap:{key.to_user_string()}:{partition}",
                    asset_selection=[key],
                    partition_key=partition,
                    tags={"vvv/trigger": "gap_sensor"},
                )
            )
        next_index = (start_at + offset + 1) % len(specs)
        if len(requests) == cap:
            break
    return GapTick(requests, json.dumps({"next": next_index}), found)


@dg.sensor(
    asset_selection=dg.AssetSelection.groups("sources"),
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests runs for source partitions that are missing or failed tier 1 in the "
    "last VVV_GAP_LOOKBACK_DAYS days (default 7), at most VVV_GAP_MAX_RUNS_PER_TICK (10) per "
    "tick, never twice for the same partition, never for one a running backfill covers.",
)
def partition_gap_sensor(context: dg.SensorEvaluationContext):
    tick = gap_requests(context.instance, pd.Timestamp.now(tz="UTC"), context.cursor)
    context.update_cursor(tick.cursor)
    if not tick.requests:
        return dg.SkipReason(f"no requestable gaps ({tick.found} found, all in flight or none)")
    return tick.requests


SENSORS = [partition_gap_sensor]
