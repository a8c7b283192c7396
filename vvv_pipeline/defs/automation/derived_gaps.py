"""Gaps of the derived layers: bars, tiers, analytics and reports missing or stale.

Declarative automation builds a derived asset's *latest* partition when its sources update;
older partitions (a session healed by the gap sensor a day later, a run that died after its
sources were written) are nobody's job unless they are looked for. A derived partition is a gap
when its inputs are complete and it is missing, or stale: one of its input partitions was
materialized after it (an hour of crypto trades healed after the day's bars were built).
Inputs are complete when, for a session, every session source of that session is materialized
and passed tier 1; for a New York day, every UTC hour of that day of both crypto sources is.
Inputs still missing are the source gap sensor's business. Staleness compares event-log
storage ids of each partition's latest materialization, read with the assets' status (one
query per asset, shared with the source lanes of the same tick).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.gaps import DateLike, gaps_in_range
from vvv_pipeline.defs.automation.partition_status import (
    StatusCache,
    read_partition_status,
    read_partition_statuses,
)
from vvv_pipeline.defs.jobs import (
    CALENDAR_DAY_DERIVED,
    HOURLY_SOURCES,
    SESSION_DERIVED,
    SESSION_SOURCES,
)
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)


@dataclass(frozen=True)
class DerivedGap:
    """One job's derived assets missing for one partition whose inputs are complete."""

    job: str
    partition: str
    assets: tuple[str, ...]


@dataclass(frozen=True)
class DerivedLayer:
    job: str
    assets: tuple[str, ...]
    partitions: dg.TimeWindowPartitionsDefinition
    inputs: tuple[str, ...]
    inputs_partitions: dg.TimeWindowPartitionsDefinition


def derived_layers() -> tuple[DerivedLayer, ...]:
    return (
        DerivedLayer(
            "session_sources_job",
            SESSION_DERIVED,
            session_partitions(),
            SESSION_SOURCES,
            session_partitions(),
        ),
        DerivedLayer(
            "calendar_day_sources_job",
            CALENDAR_DAY_DERIVED,
            calendar_day_partitions(),
            HOURLY_SOURCES,
            hourly_partitions(),
        ),
    )


def _input_partitions(layer: DerivedLayer, key: str) -> list[str]:
    if layer.inputs_partitions == layer.partitions:
        return [key]
    window = layer.partitions.time_window_for_partition_key(key)
    return list(layer.inputs_partitions.get_partition_keys_in_time_window(window))


def derived_gaps(
    instance: dg.DagsterInstance,
    start: DateLike,
    end: DateLike,
    now: pd.Timestamp,
    layers: Sequence[DerivedLayer] | None = None,
    cache: StatusCache | None = None,
) -> list[DerivedGap]:
    """Per layer and partition in New York dates ``start..end``: the derived assets to build."""
    cache = {} if cache is None else cache
    out: list[DerivedGap] = []
    for layer in derived_layers() if layers is None else layers:
        ready: set[str] | None = None
        written: dict[str, int] = {}
        inputs = read_partition_statuses(
            instance, [dg.AssetKey(a) for a in layer.inputs], cache=cache
        )
        for status in inputs.values():
            good = status.materialized - status.failed_tier1
            ready = good if ready is None else ready & good
            for key, storage_id in status.latest.items():
                written[key] = max(written.get(key, 0), storage_id)
        ready = ready or set()
        todo: dict[str, list[str]] = {}
        for asset in layer.assets:
            built = read_partition_status(instance, dg.AssetKey(asset), None, cache).latest
            expected = gaps_in_range(asset, layer.partitions, start, end, built, as_of=now).expected
            for key in expected:
                inputs = _input_partitions(layer, key)
                if not inputs or not all(k in ready for k in inputs):
                    continue
                newest_input = max(written.get(k, 0) for k in inputs)
                if key not in built or built[key] < newest_input:
                    todo.setdefault(key, []).append(asset)
        out.extend(DerivedGap(layer.job, key, tuple(todo[key])) for key in sorted(todo))
    return out
