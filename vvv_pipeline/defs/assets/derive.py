"""The shared shape of every derived asset: chunked range runs, windowed writes, a snapshot.

A derived asset's run covers its partition keys in chunks (:mod:`vvv_pipeline.storage.chunking`:
at most 20 partitions and, for tick readers, at most ``VVV_CHUNK_TICKS`` ticks, so memory stays
bounded in year-long and high-density backfills); each chunk is read once, computed by a pure
function, and written by replacing exactly the chunk's window of each ArcticDB series. The run
ends with an ArcticDB snapshot named in the materialization metadata (point-in-time reads).
Each partition's materialization reports the rows written into its own window (:mod:`.written`);
the library and snapshot are the run's, true of every partition it wrote.

A chunk whose ticks the run's tick cache already holds (the source wrote them in this run, or
an earlier asset of the run read them) is computed in ``VVV_DERIVE_WORKERS`` processes: cut
into consecutive parts of about equal rows, the parts after the first computed in forked
processes that share the cache's memory (:mod:`vvv_pipeline.forked`), their series joined in
order. Chunks are independent by construction (a partition's rows never depend on which others
share its chunk), so the stored bytes are the same either way. A chunk whose ticks are not held
is computed here, so its reads fill the cache for the run's next readers, unless the cache
keeps no more (off, or full): then the forked processes read their parts themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg
import pandas as pd

import vvv_pipeline.defs.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline import settings
from vvv_pipeline.defs.assets.column_schema import described, stored_asset_metadata
from vvv_pipeline.defs.assets.ui_metadata import attach_per_partition
from vvv_pipeline.defs.assets.written import written_by_partition
from vvv_pipeline.defs.automation.policies import FOLLOW_UPSTREAM, freshness_for
from vvv_pipeline.defs.cancellation import stop_if_requested
from vvv_pipeline.defs.partitions import calendar_day_partitions, hourly_partitions, window_utc
from vvv_pipeline.defs.resources import ArcticDB
from vvv_pipeline.forked import map_forked
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.storage.chunking import balanced_parts, chunks, chunks_by_rows
from vvv_pipeline.storage.derived import DerivedStore
from vvv_pipeline.storage.tick_cache import TICK_CACHE

OWNERS = ["team:market-data"]

Window = tuple[pd.Timestamp, pd.Timestamp]
Compute = Callable[[list[str], Window], dict[str, pd.DataFrame]]
RowsOf = Callable[[list[str]], Mapping[str, int]]
"""Partition keys -> the input rows stored for each (ticks a chunk would read)."""
PartitionMetadata = Callable[[str], Mapping[str, dg.MetadataValue]]
"""Partition key -> extra metadata of that partition (asked after every chunk is written)."""
InMemory = Callable[[list[str]], bool]
"""Partition keys -> whether the run's tick cache holds every tick partition they read."""

# Dagster maps time windows only between equal time zones (UTC hours vs New York days raise),
# so lineage edges from hourly sources are declared over all partitions and the asset reads
# exactly the UTC hours of its New York day itself (23, 24 or 25; see test_partitions).
CRYPTO_TRADES_DEP = dg.AssetDep("crypto_trades", partition_mapping=dg.AllPartitionMapping())
CRYPTO_OI_DEP = dg.AssetDep("crypto_open_interest", partition_mapping=dg.AllPartitionMapping())

# A session closes hours before its calendar day's news partition exists (New York midnight).
# Assets that read the session's news take what is stored when they run (none for a day still
# in progress) and are rebuilt by the news-completion sensor once the day's news lands.
NEWS_SO_FAR = {
    "news_headlines": dg.AssetIn(
        partition_mapping=dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)
    )
}


def _reads_hours(deps: list) -> bool:
    """Whether the asset reads UTC-hour sources through an all-partitions edge.

    Declarative automation would see every new hour as an update of *every* New York day (the
    edge maps all hours), so such an asset is built by the calendar-day schedule after its day
    ends and rebuilt by the gap sensor when one of its hours lands later; it has no automation
    condition of its own.
    """
    return any(dep is CRYPTO_TRADES_DEP or dep is CRYPTO_OI_DEP for dep in deps)


def news_completeness(context: dg.AssetExecutionContext) -> PartitionMetadata:
    """Per session: whether its New York day had its news stored when this ran."""
    stored = context.instance.get_materialized_partitions(dg.AssetKey("news_headlines"))
    pending = [key for key in context.partition_keys if key not in stored]
    if pending:
        context.log.info(
            f"news of {', '.join(pending[:5])}{' ...' if len(pending) > 5 else ''} not stored "
            "yet (the day is in progress): built with the news stored so far; the "
            "news-completion sensor rebuilds these sessions once their day's news lands"
        )
    missing = set(pending)
    return lambda key: {"news_complete": dg.MetadataValue.bool(key not in missing)}


def per_symbol(frame: pd.DataFrame, symbols: Sequence[str], suffix: str) -> dict:
    """``{symbol}{suffix}`` -> that symbol's rows, ``ts``-indexed, without the symbol column."""
    # each symbol's row positions in one pass (in frame order), not a string compare per symbol
    grouped = frame.groupby("symbol", observed=True, sort=False) if len(frame) else None
    positions = {str(name): rows for name, rows in grouped.indices.items()} if grouped else {}
    rest = frame.drop(columns="symbol")
    out = {}
    for symbol in symbols:
        rows = rest.take(positions[symbol]) if symbol in positions else rest.iloc[:0]
        out[f"{symbol}{suffix}"] = rows.set_index("ts")
    return out


def partition_window(partitions_def, key: str) -> Window:
    return window_utc(partitions_def.time_window_for_partition_key(key))


def keys_window(partitions_def, keys: Sequence[str]) -> Window:
    return partition_window(partitions_def, keys[0])[0], partition_window(partitions_def, keys[-1])[
        1
    ]


def hours_of(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    """The hourly partition keys covering [start, end) (a New York day: 23, 24 or 25)."""
    first = start.strftime("%Y-%m-%d-%H:%M")
    last = (end - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")
    return hourly_partitions().get_partition_keys_in_range(dg.PartitionKeyRange(first, last))


def tick_reads(
    store: ArcticStore, source: str, symbols: list[str], hourly: bool = False
) -> tuple[RowsOf, InMemory]:
    """What a derived asset's partition keys read of ``source``: the stored ticks of each key
    (for :func:`derive`'s chunks and parts) and whether the run's tick cache holds them all.
    ``hourly``: the keys are New York days whose ticks are stored by UTC hour."""
    prefix = TICK_PREFIXES[source]

    def stored(keys: list[str]) -> dict[str, list[str]]:
        """Each key -> the tick partitions it reads."""
        if not hourly:
            return {key: [key] for key in keys}
        days = calendar_day_partitions()
        return {day: hours_of(*partition_window(days, day)) for day in keys}

    def rows_of(keys: list[str]) -> dict[str, int]:
        parts = stored(keys)
        rows = store.partition_rows(prefix, symbols, [p for read in parts.values() for p in read])
        return {key: sum(rows[p] for p in read) for key, read in parts.items()}

    def in_memory(keys: list[str]) -> bool:
        return store.in_cache(prefix, symbols, [p for read in stored(keys).values() for p in read])

    return rows_of, in_memory


def derive(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    library: str,
    compute: Compute,
    partition_metadata: PartitionMetadata | None = None,
    rows_of: RowsOf | None = None,
    in_memory: InMemory | None = None,
    notes: dict[str, Any] | None = None,
) -> dg.MaterializeResult:
    """Run ``compute`` chunk by chunk, replace each chunk's window, snapshot, report.

    Chunks hold at most 20 partitions and, when ``rows_of`` tells the input rows of each, at
    most ``VVV_CHUNK_TICKS`` rows. ``compute`` must be pure (what it returns is all that
    counts) when ``in_memory`` is given: a chunk it says is held, or any chunk once the tick
    cache keeps no more, is computed in several processes (:func:`compute_chunk`). Each
    partition gets the rows, first/last timestamp and preview of what its window received, plus
    ``partition_metadata(key)``; the range-wide result names the library and snapshot.
    ``notes``: a dict ``compute`` adds entries to (say, a partition's thresholds for its
    metadata); the entries a forked process added come back into it with its part's series.
    """
    partitions_def = context.assets_def.partitions_def
    derived = DerivedStore(arctic.uri)
    per_partition: dict[str, dict[str, dg.MetadataValue]] = {}
    rows = 0
    keys = context.partition_keys
    current = settings.current()
    rows_by_key = rows_of(keys) if rows_of is not None and len(keys) > 1 else None
    if rows_by_key is None:
        planned = chunks(keys)
    else:
        planned = chunks_by_rows(keys, rows_by_key, current.chunk_ticks)
    for chunk in planned:
        stop_if_requested()
        window = keys_window(partitions_def, chunk)
        workers = current.derive_workers if _shareable(chunk, in_memory) else 1
        frames = compute_chunk(compute, partitions_def, chunk, workers, rows_by_key, notes)
        derived.replace_window(library, frames, *window)
        windows = {key: partition_window(partitions_def, key) for key in chunk}
        for key, written in written_by_partition(frames, windows).items():
            per_partition[key] = written.metadata()
            rows += written.rows
        context.log.info(f"{library}: {chunk[0]}..{chunk[-1]} written ({len(frames)} series)")
    name = derived.snapshot(
        [library], f"{context.assets_def.key.to_user_string()}-{context.run.run_id}"
    )
    if rows == 0:
        context.log.warning(f"{library}: no input rows in this run's partitions")
    if partition_metadata is not None:
        for key, meta in per_partition.items():
            meta.update(partition_metadata(key))
    attach_per_partition(context, per_partition)
    return dg.MaterializeResult(
        metadata={
            "library": dg.MetadataValue.text(library),
            "snapshot": dg.MetadataValue.text(name or "(library empty: no snapshot)"),
            "read_as_of_this_run": dg.MetadataValue.md(
                f"`load_series('{library}', [...], start, end, as_of='{name}')`"
            ),
        }
    )


def _shareable(chunk: list[str], in_memory: InMemory | None) -> bool:
    """Whether ``chunk`` may be computed in forked processes: its ``compute`` is pure (the
    asset gave ``in_memory``) and either its ticks are held (the forked processes share them)
    or the tick cache keeps no more (reading them here would keep them for no later reader)."""
    return in_memory is not None and (TICK_CACHE.keeps_no_more or in_memory(chunk))


def compute_chunk(
    compute: Compute,
    partitions_def,
    chunk: list[str],
    workers: int,
    rows: Mapping[str, int] | None = None,
    notes: dict[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """``compute`` of ``chunk``; with ``workers`` > 1, of consecutive parts of it (about equal
    ``rows``) computed side by side, each series joined from the parts in order, and the
    entries each part added to ``notes`` added to it here."""
    parts = balanced_parts(chunk, workers, rows)
    if len(parts) <= 1:
        return compute(chunk, keys_window(partitions_def, chunk))
    noted: dict[str, Any] = {} if notes is None else notes

    def part_frames(part: list[str]) -> tuple[dict[str, pd.DataFrame], int, dict[str, Any]]:
        served_before, noted_before = TICK_CACHE.stats.hits, set(noted)
        frames = compute(part, keys_window(partitions_def, part))
        added = {key: value for key, value in noted.items() if key not in noted_before}
        return frames, TICK_CACHE.stats.hits - served_before, added

    results = map_forked(part_frames, parts, workers)
    # the first part ran here and counted its own reads; the others counted in their processes
    for _frames, hits, added in results[1:]:
        TICK_CACHE.stats.hits += hits
        noted.update(added)
    return join_parts([frames for frames, _hits, _added in results])


def join_parts(parts: Sequence[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Each series' frames from consecutive parts of a chunk, stacked in order; a series that
    no part has rows of keeps the first part's (empty) frame, which clears the window."""
    joined: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(name for part in parts for name in part):
        frames = [part[name] for part in parts if name in part]
        filled = [frame for frame in frames if len(frame)]
        if not filled:
            joined[name] = frames[0]
        else:
            joined[name] = filled[0] if len(filled) == 1 else pd.concat(filled)
    return joined


def derived_asset(
    name: str,
    partitions_def: dg.PartitionsDefinition,
    deps: list,
    group: str,
    description: str,
    library: str,
    kinds: set[str] | None = None,
    ins: dict[str, dg.AssetIn] | None = None,
    code_version: str | None = None,
):
    """Every derived asset's decorator: single-run backfills, one pool per library, automation,
    and its stored columns (:mod:`vvv_pipeline.stored_columns`) as the column schema and the
    description's table. ``code_version`` versions what the asset computes (a model's spec), so
    the UI marks partitions built by an earlier version as changed."""
    return dg.asset(
        name=name,
        partitions_def=partitions_def,
        deps=deps,
        ins=ins,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=group,
        kinds=kinds or {"arcticdb", "numba"},
        owners=OWNERS,
        tags={"layer": group},
        pool=f"arcticdb_{library}",
        description=described(name, description),
        metadata=stored_asset_metadata(name, library),
        automation_condition=None if _reads_hours(deps) else FOLLOW_UPSTREAM,
        freshness_policy=freshness_for(partitions_def),
        code_version=code_version,
    )
