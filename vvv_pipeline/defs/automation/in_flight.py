"""Partitions that are already being built: queued or running runs, and requested backfills.

The gap sensor must not request a partition that a running backfill or run will produce, or a
sensor tick during a backfill would duplicate its work. Runs name their partition with the
``dagster/partition`` tag or a range with the ``dagster/asset_partition_range_*`` tags; asset
backfills carry their target subset.

One odd record must never stop the sensor: a range that reaches outside today's partitions
definition (an orphan from a deployment whose history started earlier) counts for the keys it
shares with the definition, and a run whose tags cannot be read at all is logged and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import dagster as dg

from vvv_pipeline.defs.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    NOT_FINISHED_STATUSES,
    PARTITION_NAME_TAG,
    BulkActionsFilter,
    BulkActionStatus,
    RunsFilter,
)
from vvv_pipeline.defs.jobs import JOB_ASSETS

ACTIVE_BACKFILL = [BulkActionStatus.REQUESTED]


def in_flight_partitions(
    instance: dg.DagsterInstance,
    asset_keys: Iterable[dg.AssetKey],
    partitions: dict[dg.AssetKey, dg.PartitionsDefinition],
    log: logging.Logger | None = None,
) -> dict[dg.AssetKey, set[str]]:
    """Per asset, the partition keys targeted by active runs and requested backfills."""
    wanted = set(asset_keys)
    out: dict[dg.AssetKey, set[str]] = {key: set() for key in wanted}
    # queued and not-yet-started runs count too: under the run queue every waiting run is QUEUED
    runs = instance.get_run_records(RunsFilter(statuses=list(NOT_FINISHED_STATUSES)))
    for record in runs:
        run = record.dagster_run
        selected = run.asset_selection or {dg.AssetKey(n) for n in JOB_ASSETS.get(run.job_name, ())}
        for key in selected & wanted:
            try:
                out[key] |= _run_keys(run.tags, partitions[key])
            except Exception as error:  # a sensor must survive any one bad run record
                (log or logging.getLogger(__name__)).warning(
                    f"run {run.run_id}: partition tags of {key.to_user_string()} unreadable "
                    f"({type(error).__name__}: {error}); not counted as in flight"
                )
    for backfill in instance.get_backfills(filters=BulkActionsFilter(statuses=ACTIVE_BACKFILL)):
        data = backfill.asset_backfill_data
        if data is None:
            continue
        for key in data.target_subset.asset_keys & wanted:
            out[key] |= set(data.target_subset.get_partitions_subset(key).get_partition_keys())
    return out


def _run_keys(tags: dict[str, str], partitions_def: dg.PartitionsDefinition) -> set[str]:
    if PARTITION_NAME_TAG in tags:
        return {tags[PARTITION_NAME_TAG]}
    first, last = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if first and last:
        return _keys_in_range(first, last, partitions_def)
    return set()


def _keys_in_range(first: str, last: str, partitions_def: dg.PartitionsDefinition) -> set[str]:
    """The definition's keys in ``first..last``, also when the range starts or ends outside it."""
    if not isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return set(partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    start = max(partitions_def.time_window_for_partition_key(first).start, partitions_def.start)
    end = partitions_def.time_window_for_partition_key(last).end
    if end <= start:
        return set()
    return set(partitions_def.get_partition_keys_in_time_window(dg.TimeWindow(start, end)))
