"""What a Dagster instance knows about an asset's partitions, read in a few storage queries.

For each asset, one query does the work whatever the range: the latest materialization of each
partition (one grouped query over materialization events; its storage ids also order writes).
The latest evaluation of the tier-1 check per partition is one grouped query over check
executions for all the assets read together (plus Dagster's one lookup of their latest
unpartitioned materializations). Nothing is read partition by partition. The pure
:func:`~vvv_pipeline.defs.automation.gaps.gaps_in_range` then compares them with the expected
keys. Every run records each partition's tier-1 evaluation with
its partition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS, SourceSpec
from vvv_pipeline.defs.automation.clock import now_utc
from vvv_pipeline.defs.automation.gaps import DateLike, Gaps, gaps_in_range
from vvv_pipeline.validation.gate import TIER1

FAILED_STATUS = "FAILED"
"""Dagster's check-execution status of an evaluation that did not pass (``PLANNED`` and
``SUCCEEDED`` are the others); its enum is not exported by ``dagster``."""


@dataclass(frozen=True)
class PartitionStatus:
    """Materialized partitions of one asset and those whose latest tier-1 evaluation failed."""

    asset_key: dg.AssetKey
    latest: Mapping[str, int]
    """Partition -> event-log storage id of its latest materialization (the keys are the
    materialized partitions; the ids order writes, e.g. an input written after an output)."""
    failed_tier1: frozenset[str]

    @property
    def materialized(self) -> frozenset[str]:
        return frozenset(self.latest)


StatusCache = dict[tuple[dg.AssetKey, str | None], PartitionStatus]
"""Statuses already read in one sensor tick, so each asset costs its queries once per tick."""


def read_partition_status(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    check_name: str | None = TIER1,
    cache: StatusCache | None = None,
) -> PartitionStatus:
    """The asset's materialized partitions and latest failed ``check_name`` partitions.

    ``check_name=None`` reads materializations only (assets without a tier-1 check).
    """
    return read_partition_statuses(instance, [asset_key], check_name, cache)[asset_key]


def read_partition_statuses(
    instance: dg.DagsterInstance,
    asset_keys: Sequence[dg.AssetKey],
    check_name: str | None = TIER1,
    cache: StatusCache | None = None,
) -> dict[dg.AssetKey, PartitionStatus]:
    """:func:`read_partition_status` of several assets, their checks read in one call.

    Dagster's PostgreSQL storage opens a new connection for every statement, and its
    check-partition lookup costs several: asking once for all assets saves those per asset.
    """
    cache = {} if cache is None else cache
    todo = [key for key in dict.fromkeys(asset_keys) if (key, check_name) not in cache]
    failed: dict[dg.AssetKey, set[str]] = {key: set() for key in todo}
    if check_name is not None and todo:
        infos = instance.event_log_storage.get_asset_check_partition_info(
            [dg.AssetCheckKey(key, check_name) for key in todo]
        )
        for info in infos:
            if (
                info.partition_key is not None
                and info.latest_execution_status.value == FAILED_STATUS
            ):
                failed[info.check_key.asset_key].add(info.partition_key)
    for key in todo:
        latest = dict(
            instance.event_log_storage.get_latest_storage_id_by_partition(
                key, dg.DagsterEventType.ASSET_MATERIALIZATION
            )
        )
        cache[(key, check_name)] = PartitionStatus(key, latest, frozenset(failed[key]))
    return {key: cache[(key, check_name)] for key in asset_keys}


def asset_gaps(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partitions_def: dg.PartitionsDefinition,
    start: DateLike,
    end: DateLike,
    as_of: pd.Timestamp | None = None,
    check_name: str | None = TIER1,
    cache: StatusCache | None = None,
) -> Gaps:
    """Gaps of one asset over New York dates ``start..end`` (both inclusive).

    ``as_of`` (default: now) leaves out partitions whose window has not ended yet, so the hour
    or day in progress is never reported missing.
    """
    status = read_partition_status(instance, asset_key, check_name, cache)
    return gaps_in_range(
        asset_key.to_user_string(),
        partitions_def,
        start,
        end,
        status.materialized,
        status.failed_tier1,
        as_of=now_utc() if as_of is None else as_of,
    )


def source_gaps(
    instance: dg.DagsterInstance,
    start: DateLike,
    end: DateLike,
    as_of: pd.Timestamp | None = None,
    specs: Sequence[SourceSpec] = SOURCE_SPECS,
) -> list[Gaps]:
    """:func:`asset_gaps` of every source asset, in the order of ``specs``."""
    now = now_utc() if as_of is None else as_of
    return [
        asset_gaps(instance, dg.AssetKey(spec.source.value), spec.partitions(), start, end, now)
        for spec in specs
    ]
