"""Replay quarantined rows after a fix: re-validate them in their partition, store what passes.

A fix is whatever made the rows acceptable: a corrected universe (a new listing), a corrected
rule, or rows edited in the quarantine (:meth:`QuarantineStore.rewrite`). The rows are judged by
tier 1 *together with the partition's stored rows* (:mod:`vvv_pipeline.validation.admission`), so a
rule that spans rows (unique ids) sees the stored row a replayed one would collide with; judged
alone, rows rejected as duplicates passed and were added twice. Rows that pass are added to the
partition's store (ArcticDB partition symbols, or the DuckDB warehouse table) and leave the
quarantine; the rest stay, with the rules they break now. A row already stored with exactly the
same content (a replay interrupted between its two steps) leaves the quarantine unwritten, so an
interrupted replay can simply be run again.

The quarantined ``ts`` is taken as it was stored: a tz-naive time stays naive and fails tier 1
until an operator gives it its time zone; it is never read as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, Schema, conform
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.storage.duckdb_connect import transaction
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.storage.warehouse_tables import insert_rows, read_window
from vvv_pipeline.validation.admission import Admission, admit

Window = tuple[pd.Timestamp, pd.Timestamp]
Judge = Callable[[pd.DataFrame, pd.DataFrame], Admission]
"""(stored rows, candidates) -> the candidates' admission."""


@dataclass(frozen=True)
class ReplayOutcome:
    replayed: int
    """Rows written to the store and removed from the quarantine."""
    still_rejected: int
    """Rows left in the quarantine."""
    already_stored: int = 0
    """Rows removed from the quarantine because the store held them already."""


def quarantined_candidates(rows: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The schema's columns of quarantined rows, values as stored.

    Only categories are restored (value-preserving); every other dtype, ``ts`` above all, is left
    for tier 1 to judge, so a naive time or a wrong dtype is reported, not silently cast.
    """
    out = rows.reset_index(drop=True)[list(schema.names)].copy()
    for col in schema.columns:
        if col.dtype == "category" and not isinstance(out[col.name].dtype, pd.CategoricalDtype):
            out[col.name] = out[col.name].astype(object).astype("category")
    return out


def _into_arctic(
    store: ArcticStore,
    source: str,
    key: str,
    candidates: pd.DataFrame,
    judge: Judge,
    universe_symbols: list[str],
) -> Admission:
    schema, prefix = SOURCE_SCHEMAS[source], TICK_PREFIXES[source]
    named = sorted(set(universe_symbols) | set(candidates["symbol"].astype(str)))
    stored = store.read_partitions(prefix, named, [key], schema)
    admission = judge(stored, candidates)
    added = candidates[admission.admitted]
    if len(added):
        names = stored["symbol"].astype(str)
        frames = {}
        for symbol, part in added.groupby(added["symbol"].astype(str), observed=True):
            mine = stored[(names == symbol).to_numpy()]
            combined = pd.concat([mine, part] if len(mine) else [part], ignore_index=True)
            combined = conform(combined, schema).sort_values("ts", kind="stable", ignore_index=True)
            frames[str(symbol)] = combined
        store.write_partition(prefix, key, frames)
    return admission


def _into_warehouse(
    database: str, source: str, window: Window, candidates: pd.DataFrame, judge: Judge
) -> Admission:
    """Read, judge and insert in one transaction, so no other writer slips in between."""
    if candidates["ts"].dtype.kind == "M":  # the warehouse keeps microseconds: compare as such
        candidates = candidates.assign(ts=candidates["ts"].dt.floor("us"))
    with transaction(database) as con:
        stored = read_window(con, source, *window)
        admission = judge(stored, candidates)
        added = candidates[admission.admitted]
        if len(added):
            insert_rows(con, f"sources.{source}", added)
    return admission


def replay(
    source: str,
    partition_key: str,
    window: Window,
    universe_symbols: list[str],
    quarantine: QuarantineStore,
    arctic: ArcticStore,
    warehouse_path: str,
) -> ReplayOutcome:
    """Move the partition's quarantined rows that pass tier 1 beside the stored rows."""
    schema = SOURCE_SCHEMAS[source]
    rows = quarantine.read(source, partition_key)
    if rows.empty:
        return ReplayOutcome(0, 0)
    candidates = quarantined_candidates(rows, schema)

    def judge(stored: pd.DataFrame, shown: pd.DataFrame) -> Admission:
        return admit(stored, shown, source, window, universe_symbols)

    if source in TICK_PREFIXES:
        admission = _into_arctic(arctic, source, partition_key, candidates, judge, universe_symbols)
    else:
        admission = _into_warehouse(warehouse_path, source, window, candidates, judge)
    kept = admission.kept_out
    reasons = pd.Series(admission.reasons[kept], dtype=object)
    left = quarantine.keep_only(source, partition_key, pd.Series(kept), reasons)
    return ReplayOutcome(int(admission.admitted.sum()), left, int(admission.present.sum()))
