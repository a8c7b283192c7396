"""The gap sensor: find missing or tier-1-failed partitions and request runs that fill them.

Each tick looks back ``VVV_GAP_LOOKBACK_DAYS`` New York days and finds
- every source asset's expected partitions that are missing or whose latest tier-1 check
  failed (:mod:`~vvv_pipeline.defs.automation.gaps`), one run per (source, partition);
- every derived partition missing or stale although its inputs are complete
  (:mod:`~vvv_pipeline.defs.automation.derived_gaps`), one run per (job, partition) selecting the
  derived assets to build.
Only partitions whose window ended ``VVV_GAP_GRACE_MINUTES`` (60) ago count:
until then the schedules own them.
It leaves out partitions an active run or backfill already targets, retries a gap whose run
failed or left it open after a doubling back-off, at most ``VVV_GAP_MAX_ATTEMPTS`` times
(:mod:`~vvv_pipeline.defs.automation.gap_attempts`), and requests at most
``VVV_GAP_MAX_RUNS_PER_TICK`` runs per tick (the settings are read at each tick). Run keys
``gap:<target>:<attempt>`` make Dagster drop a request it has seen before. The cursor holds the
target to start with next tick (a capped tick never starves later ones) and the gaps given up,
so they show in the sensor's UI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS, SourceSpec
from vvv_pipeline.defs.automation.clock import now_utc
from vvv_pipeline.defs.automation.derived_gaps import derived_gaps, derived_layers
from vvv_pipeline.defs.automation.gap_attempts import (
    ATTEMPT_TAG,
    TARGET_TAG,
    TRIGGER_TAG,
    gap_target,
    gave_up,
    next_attempt,
    read_attempts,
)
from vvv_pipeline.defs.automation.in_flight import in_flight_partitions
from vvv_pipeline.defs.automation.news_completion import news_completion_sensor
from vvv_pipeline.defs.automation.partition_status import (
    StatusCache,
    asset_gaps,
    read_partition_statuses,
)

DERIVED_LANE = "derived"
"""After the sources, one more lane of the rotation: the derived layers."""


@dataclass(frozen=True)
class GapTick:
    requests: list[dg.RunRequest]
    cursor: str
    found: int
    """Gap partitions found (before leaving out in-flight, backing-off ones and capping)."""
    given_up: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    target: str
    partition: str
    assets: tuple[str, ...]
    in_flight: bool = False
    """A queued or running run or a requested backfill already targets it."""


def gap_requests(
    instance: dg.DagsterInstance,
    now: pd.Timestamp,
    cursor: str | None = None,
    lookback_days: int | None = None,
    cap: int | None = None,
    specs: Sequence[SourceSpec] = SOURCE_SPECS,
    derived: bool = True,
    grace: pd.Timedelta | None = None,
) -> GapTick:
    """The run requests of one tick at ``now`` (UTC) and the next cursor.

    Partitions whose window ended less than ``grace`` before ``now`` are left to the
    schedules (the hourly run comes 5 minutes past the hour, the day's run 20 past midnight).
    ``lookback_days``, ``cap``, ``grace`` and the retry limits default to the settings.
    """
    current = settings.current()
    lookback_days = lookback_days or current.gap_lookback_days
    cap = cap or current.gap_max_runs_per_tick
    grace = pd.Timedelta(minutes=current.gap_grace_minutes) if grace is None else grace
    max_attempts = current.gap_max_attempts
    retry_after = pd.Timedelta(minutes=current.gap_retry_minutes)
    lanes = [spec.source.value for spec in specs] + ([DERIVED_LANE] if derived else [])
    start_at = json.loads(cursor)["next"] % len(lanes) if cursor else 0
    order = [*range(start_at, len(lanes)), *range(start_at)]
    end = now.tz_convert("America/New_York").tz_localize(None).normalize()
    start = end - pd.Timedelta(days=lookback_days - 1)
    settled = now - grace
    partitions = {dg.AssetKey(spec.source.value): spec.partitions() for spec in specs}
    if derived:
        partitions |= {
            dg.AssetKey(asset): layer.partitions
            for layer in derived_layers()
            for asset in layer.assets
        }
    busy = in_flight_partitions(instance, partitions, partitions)  # one read of runs per tick
    since = pd.Timestamp(start, tz="America/New_York").tz_convert("UTC")
    attempts = read_attempts(instance, since)
    cache: StatusCache = {}
    sources = [dg.AssetKey(spec.source.value) for spec in specs]
    if derived:
        sources += [dg.AssetKey(name) for layer in derived_layers() for name in layer.inputs]
    read_partition_statuses(instance, sources, cache=cache)  # every tier-1 check in one call
    requests: list[dg.RunRequest] = []
    given_up: list[str] = []
    found = 0
    next_index = start_at
    for index in order:
        lane = lanes[index]
        if lane == DERIVED_LANE:
            candidates = list(_derived_candidates(instance, start, end, settled, busy, cache))
        else:
            key = dg.AssetKey(lane)
            gaps = asset_gaps(instance, key, partitions[key], start, end, settled, cache=cache)
            candidates = [
                Candidate(lane, partition, (lane,), partition in busy[key])
                for partition in sorted(set(gaps.missing) | set(gaps.failed_tier1))
            ]
        found += len(candidates)
        for candidate in candidates:
            if candidate.in_flight:
                continue
            history = attempts.get(gap_target(candidate.target, candidate.partition), [])
            if gave_up(history, max_attempts):
                given_up.append(gap_target(candidate.target, candidate.partition))
                continue
            attempt = next_attempt(history, now, max_attempts, retry_after)
            if attempt is None:
                continue
            if len(requests) == cap:
                break
            requests.append(_request(candidate, attempt))
        next_index = (index + 1) % len(lanes)
        if len(requests) == cap:
            break
    state = {"next": next_index, "given_up": sorted(given_up)[:50]}
    return GapTick(requests, json.dumps(state), found, tuple(sorted(given_up)))


def _derived_candidates(instance, start, end, now, busy, cache) -> Iterator[Candidate]:
    for gap in derived_gaps(instance, start, end, now, cache=cache):
        todo = tuple(a for a in gap.assets if gap.partition not in busy[dg.AssetKey(a)])
        yield Candidate(gap.job, gap.partition, todo or gap.assets, not todo)


def _request(candidate: Candidate, attempt: int) -> dg.RunRequest:
    target = gap_target(candidate.target, candidate.partition)
    return dg.RunRequest(
        run_key=f"gap:{target}:{attempt}",
        asset_selection=[dg.AssetKey(a) for a in candidate.assets],
        partition_key=candidate.partition,
        tags={TRIGGER_TAG: "gap_sensor", TARGET_TAG: target, ATTEMPT_TAG: str(attempt)},
    )


@dg.sensor(
    asset_selection=dg.AssetSelection.all(),
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests runs for source partitions that are missing or failed tier 1, and for "
    "derived partitions missing or stale where their inputs are complete, in the last "
    f"VVV_GAP_LOOKBACK_DAYS days (default {settings.default('gap_lookback_days')}) and ended "
    f"VVV_GAP_GRACE_MINUTES ({settings.default('gap_grace_minutes'):g}) ago: at most "
    f"VVV_GAP_MAX_RUNS_PER_TICK ({settings.default('gap_max_runs_per_tick')}) runs per "
    "tick, never for a partition a running run or backfill covers, retried after a doubling "
    f"back-off (VVV_GAP_RETRY_MINUTES, {settings.default('gap_retry_minutes'):g}) at most "
    f"VVV_GAP_MAX_ATTEMPTS ({settings.default('gap_max_attempts')}) times.",
)
def partition_gap_sensor(context: dg.SensorEvaluationContext):
    tick = gap_requests(context.instance, now_utc(), context.cursor)
    context.update_cursor(tick.cursor)
    if tick.given_up:
        context.log.warning(
            f"{len(tick.given_up)} gaps given up after the maximum attempts: "
            f"{', '.join(tick.given_up[:10])}"
        )
    if not tick.found:
        days = settings.current().gap_lookback_days
        return dg.SkipReason(f"no gaps in the last {days} days")
    if not tick.requests:
        return dg.SkipReason(
            f"{tick.found} gaps found, none requestable now (in flight, backing off or given up)"
        )
    return tick.requests


SENSORS = [partition_gap_sensor, news_completion_sensor]
