"""Fetch, validate, quarantine and store a run's partitions one at a time.

Tick-scale sources store each partition as soon as it is validated, so memory stays bounded in
long single-run backfills; the warehouse sources collect the validated frames for the IO
manager. The great-expectations suite sees an evenly spread sample of the run's rows once.
A partition is fetched in full before anything of it is written, so a fetch that fails
leaves that partition's stored rows (and its quarantine) as they were. Open interest is judged
on the grid of the provider that served it, whose cadence the materialization records.
While one partition is quarantined, stored and recorded, the next ones are fetched and validated
in forked processes (the simulated market's tick partitions under a million rows) or the next
in a thread (the others) (:mod:`vvv_pipeline.lookahead`, ``VVV_INGEST_LOOKAHEAD``,
``VVV_INGEST_PROCESSES``); the order of the writes and of any error is a plain loop's.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg
import numpy as np
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.checks import with_expectations
from vvv_pipeline.defs.assets.kept import keep_previous
from vvv_pipeline.defs.assets.source_specs import SourceSpec
from vvv_pipeline.defs.assets.ui_metadata import frame_metadata, partition_rows_table
from vvv_pipeline.defs.cancellation import stop_if_requested
from vvv_pipeline.defs.partitions import window_utc
from vvv_pipeline.defs.resources import MarketData, Validation
from vvv_pipeline.lookahead import Where, ahead_of_first
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.http import FetchStats
from vvv_pipeline.universe import Universe
from vvv_pipeline.validation.expectations import ExpectationsRun
from vvv_pipeline.validation.gate import (
    TIER4,
    CheckOutcome,
    PartitionValidation,
    validate_partition,
)

PROGRESS_LINES = 20
PartitionFetch = Callable[
    [str, tuple[pd.Timestamp, pd.Timestamp], Sequence[str]],
    tuple[pd.DataFrame, dict[str, dg.MetadataValue]],
]
"""Fetches a partition (key, UTC window, symbols) in place of the provider's plain fetch, with
metadata of its own for that partition (the stream's finalization: :mod:`.stream_finalize`)."""
UNLISTED = "_unlisted"
"""ArcticDB bucket for rows whose symbol is not in the universe (kept for the tier-1 checks)."""


def split_by_symbol(frame: pd.DataFrame, symbols: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One frame per universe symbol (empty where it has no rows) plus the unlisted bucket.

    Canonical frames are sorted by symbol, so each symbol is one contiguous block: the parts are
    row slices found by binary search on the category codes (no copy, no string compare).
    """
    column = frame["symbol"]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    categories = [str(c) for c in column.cat.categories]
    codes = column.cat.codes.to_numpy()
    listed = {name: categories.index(name) for name in symbols if name in categories}
    if len(codes) and not (np.diff(codes) >= 0).all():
        order = np.argsort(codes, kind="stable")
        frame, codes = frame.iloc[order], codes[order]
    parts = {}
    for name in symbols:
        if name in listed:
            lo, hi = np.searchsorted(codes, [listed[name], listed[name] + 1])
            parts[name] = frame.iloc[lo:hi]
        else:
            parts[name] = frame.iloc[:0]
    if len(listed) == len(categories):
        parts[UNLISTED] = frame.iloc[:0]  # every category is a universe symbol
    else:
        parts[UNLISTED] = frame[~np.isin(codes, list(listed.values()))]
    return parts


@dataclass(frozen=True)
class Prepared:
    """A partition fetched and validated, ready to be quarantined and stored."""

    validation: PartitionValidation
    metadata: dict[str, dg.MetadataValue]
    """The stored frame's own metadata (:func:`stored_metadata`, then a stream finalization's
    figures), built where it was prepared."""
    gx_rows: pd.DataFrame | None
    """The rows the great-expectations suite sees of it (:func:`gx_sample`), or None (off)."""


@dataclass
class Ingested:
    """What a run fetched, stored and rejected, partition by partition."""

    rows: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, list[CheckOutcome]] = field(default_factory=dict)
    partition_metadata: dict[str, dict[str, dg.MetadataValue]] = field(default_factory=dict)
    """Each partition's own row counts, symbols, timestamps, preview and provider spend."""
    oi_cadence_seconds: int | None = None
    """Spacing of the open-interest samples served (open interest only; tier 3's grid)."""

    def add(
        self,
        key: str,
        stored: pd.DataFrame,
        validation: PartitionValidation,
        metadata: dict[str, dg.MetadataValue],
    ) -> None:
        """Record a stored partition with its :func:`stored_metadata`."""
        self.rows[key] = len(stored)
        self.rejected[key] = len(validation.rejected)
        self.outcomes[key] = validation.outcomes
        self.partition_metadata[key] = metadata

    def attach_expectations(self, run: ExpectationsRun) -> None:
        """Fold the run's great-expectations result into every partition's tier-4 outcome."""
        for key, outcomes in self.outcomes.items():
            self.outcomes[key] = [
                with_expectations(o, run) if o.name == TIER4 else o for o in outcomes
            ]

    def run_metadata(self) -> dict[str, dg.MetadataValue]:
        """What is true of every partition the run wrote: the run's rows-per-partition table
        and the open-interest cadence (one provider per run)."""
        meta = {"partition_rows": partition_rows_table(self.rows)}
        if self.oi_cadence_seconds is not None:
            meta["oi_cadence_seconds"] = dg.MetadataValue.int(self.oi_cadence_seconds)
        return meta


def stored_metadata(
    stored: pd.DataFrame, validation: PartitionValidation, spent: dict[str, FetchStats]
) -> dict[str, dg.MetadataValue]:
    """A stored partition's own metadata: its frame's, its rejected rows and what each real
    provider spent fetching it."""
    meta = frame_metadata(stored)
    # the DuckDB IO manager records the whole output's length under this key; per partition
    meta["dagster/partition_row_count"] = dg.MetadataValue.int(len(stored))
    meta["rejected_rows"] = dg.MetadataValue.int(len(validation.rejected))
    meta.update(provider_metadata(spent))
    return meta


def provider_metadata(stats: dict[str, FetchStats]) -> dict[str, dg.MetadataValue]:
    """``provider`` and its counters (a source has one provider; several would be summed)."""
    if not stats:
        return {}
    total = FetchStats()
    for counters in stats.values():
        total.merge(counters)
    meta = {"provider": dg.MetadataValue.text(", ".join(sorted(stats)))}
    for name, value in total.as_dict().items():
        meta[f"provider_{name}"] = dg.MetadataValue.int(value)
    return meta


def stats_spent(
    before: dict[str, FetchStats], after: dict[str, FetchStats]
) -> dict[str, FetchStats]:
    """What each provider spent between two snapshots of its counters.

    Clients outlive one asset (a run's assets share them), so an asset's share is a difference.
    A provider whose counters went down was rebuilt in between: all of ``after`` is new.
    """
    spent = {}
    for name, now in after.items():
        was = before.get(name, FetchStats()).as_dict()
        counters = now.as_dict()
        if any(counters[k] < was[k] for k in counters):
            was = FetchStats().as_dict()
        delta = FetchStats(**{k: counters[k] - was[k] for k in counters})
        if delta.requests or delta.pages or delta.bytes:
            spent[name] = delta
    return spent


def ingest(
    context: dg.AssetExecutionContext,
    spec: SourceSpec,
    market: MarketData,
    universe: Universe,
    validation_config: Validation,
    store: Callable[[str, pd.DataFrame], None],
    fetch: PartitionFetch | None = None,
) -> Ingested:
    """Fetch, validate, quarantine and ``store`` each partition of the run's range in turn;
    ``fetch`` replaces the provider's fetch (None: ``market.fetch``)."""
    partitions_def = context.assets_def.partitions_def
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    source = spec.source.value
    symbols = spec.symbols(universe)
    keys = context.partition_keys
    quarantine = validation_config.quarantine()
    ingested = Ingested()
    kept: list[str] = []
    gx_rows: list[pd.DataFrame] = []
    if spec.source == Source.CRYPTO_OPEN_INTEREST:
        ingested.oi_cadence_seconds = market.oi_cadence_seconds(universe)
    oi_cadence = ingested.oi_cadence_seconds

    def prepare(key: str) -> Prepared:
        stop_if_requested()  # nothing fetched once a stop was requested, not even a partition ahead
        window = window_utc(partitions_def.time_window_for_partition_key(key))
        stats_before = market.provider_stats()
        # fetched whole before any write: a fetch that raises leaves the partition untouched
        extra: dict[str, dg.MetadataValue] = {}
        if fetch is None:
            frame = market.fetch(spec.source, *window, symbols, universe)
        else:
            frame, extra = fetch(key, window, symbols)
        spent = stats_spent(stats_before, market.provider_stats())
        validation = validate_partition(
            frame, source, window, symbols, oi_cadence_seconds=oi_cadence
        )
        clean = validation.clean
        gx_rows = gx_sample(clean, len(keys)) if validation_config.great_expectations else None
        metadata = stored_metadata(clean, validation, spent) | extra
        return Prepared(validation, metadata, gx_rows)

    def where(first: Prepared) -> Where:
        rows = len(first.validation.clean) + len(first.validation.rejected)
        setting = settings.current().ingest_lookahead
        tick_scale = spec.arctic_prefix is not None
        return lookahead_where(setting, market.provider, fetch is None, tick_scale, rows)

    processes = settings.current().ingest_processes
    prepared_ahead = ahead_of_first(keys, prepare, where, processes)
    for done, (key, prepared) in enumerate(prepared_ahead, start=1):
        stop_if_requested()
        validation = prepared.validation
        quarantine.replace_partition(
            source, key, validation.rejected, validation.rejected_rules, context.run.run_id
        )
        if validation.rejects_whole_partition:
            kept.append(key)  # nothing passed: the stored version stays (see assets.kept)
        else:
            store(key, validation.clean)
        ingested.add(key, validation.clean, validation, prepared.metadata)
        if prepared.gx_rows is not None:
            gx_rows.append(prepared.gx_rows)
        if validation.rejected.shape[0]:
            context.log.warning(
                f"{source} {key}: {len(validation.rejected)} rows rejected to quarantine "
                f"({validation.outcomes[0].summary})"
            )
        if done == len(keys) or done % max(1, len(keys) // PROGRESS_LINES) == 0:
            context.log.info(f"{source}: {done}/{len(keys)} partitions, last {key}")
    if validation_config.great_expectations:
        label = keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]}"
        sample = pd.concat(gx_rows, ignore_index=True)
        ingested.attach_expectations(validation_config.expect(sample, source, label, symbols))
    keep_previous(context, kept)
    return ingested


ONE_PROCESS_BELOW_ROWS = 50_000
"""Tick partitions smaller than this are prepared ahead in one forked process by ``auto``.
Measured (``benchmarks/bench_ingest_lookahead.py``, BENCHMARKS.md): 9,000-row hours of crypto
trades go faster in a process, where their preparation's Python work (frame building, pandera's
machinery) no longer shares the GIL with the ArcticDB writes and records, than in a thread; a
second process makes them slower (storing and recording a small partition costs the run's
process more than preparing it costs a child, so a second child only takes its core)."""
PROCESS_BELOW_ROWS = 1_000_000
"""Tick partitions from :data:`ONE_PROCESS_BELOW_ROWS` up to this are prepared ahead by
``auto`` in ``VVV_INGEST_PROCESSES`` forked processes taking the partitions in turn; larger ones
in a thread. Measured: 200,000-row sessions and 450,000-row heavy hours go faster in two
processes, two partitions' fetch and validation side by side while the run's process writes,
than in one or in a thread. A heavy session (10,000,000 rows, about a gigabyte) stays in a
thread: each process would hold one more."""


def lookahead_where(
    setting: str, provider: str, provider_fetches: bool, tick_scale: bool, partition_rows: int
) -> Where:
    """Where the next partitions are prepared (``VVV_INGEST_LOOKAHEAD``). ``auto`` forks for
    the simulated market's tick partitions (:data:`PROCESS_BELOW_ROWS`), whose fetch and
    validation are computation while this process writes each to ArcticDB. A warehouse source
    only collects its frames here, so a fork (a fixed cost: copying this process's page tables,
    then copy-on-write faults) would have nothing to overlap; a live provider's fetch waits on
    the network and keeps its sessions, rate limits and counters in this process. Those stay in
    a thread. A stream's finalization (``provider_fetches`` False) also prunes the stream's
    store, so its partitions are done one after the other. ``process`` forks for every source
    of the simulated market (what ``auto`` declines, measured). Forked, a partition of
    :data:`ONE_PROCESS_BELOW_ROWS` rows or more is prepared in ``VVV_INGEST_PROCESSES``
    processes (``processes``), a smaller one in one."""
    if setting == "off" or not provider_fetches:
        return "off"
    if provider != "simulated" or setting == "thread":
        return "thread"
    if setting == "process" or (tick_scale and partition_rows < PROCESS_BELOW_ROWS):
        return "process" if partition_rows < ONE_PROCESS_BELOW_ROWS else "processes"
    return "thread"


GX_ROWS_PER_RUN = 200_000
"""Rows the great-expectations suite sees per run, spread evenly over its partitions."""


def gx_sample(frame: pd.DataFrame, partitions: int) -> pd.DataFrame:
    per_partition = max(1, GX_ROWS_PER_RUN // max(1, partitions))
    if len(frame) <= per_partition:
        return frame
    step = len(frame) / per_partition
    return frame.iloc[(pd.RangeIndex(per_partition) * step).astype(int)]
