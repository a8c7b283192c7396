"""Replay quarantined rows after a fix: re-validate them and store the ones that now pass.

A fix is whatever made the rows acceptable: a corrected universe (a new listing), a corrected
rule, or rows edited in the quarantine. Rows that pass tier 1 again are added to the
partition's store (ArcticDB partition symbols, or the DuckDB warehouse table) and leave the
quarantine; the rest stay with their updated reasons. Adding is idempotent per row: stored rows
are de-duplicated on their full content, so a replay interrupted between the two steps can
simply be run again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.storage.duckdb_connect import transaction
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.tiers.structure import check_tier1


@dataclass(frozen=True)
class ReplayOutcome:
    replayed: int
    still_rejected: int


def _add_to_arctic(store: ArcticStore, source: str, key: str, rows: pd.DataFrame) -> None:
    schema, prefix = SOURCE_SCHEMAS[source], TICK_PREFIXES[source]
    for symbol, part in rows.groupby(rows["symbol"].astype(str), observed=True):
        existing = store.read_partitions(prefix, [symbol], [key], schema)
        parts = [f for f in (existing, conform(part, schema)) if len(f)]
        combined = pd.concat(parts, ignore_index=True)
        combined = combined.drop_duplicates().sort_values("ts", kind="stable", ignore_index=True)
        store.write_partition(prefix, key, {symbol: conform(combined, schema)})


def _add_to_warehouse(database: str, table: str, rows: pd.DataFrame) -> None:
    plain = rows.copy()
    for name in plain.columns:
        if isinstance(plain[name].dtype, pd.CategoricalDtype):
            plain[name] = plain[name].astype(object)
    with transaction(database) as con:
        con.register("incoming", plain)
        con.execute(
            f"INSERT INTO sources.{table} SELECT * FROM incoming "
            f"EXCEPT SELECT * FROM sources.{table}"
        ).fetchall()
        con.unregister("incoming")


def replay(
    source: str,
    partition_key: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: list[str],
    quarantine: QuarantineStore,
    arctic: ArcticStore,
    warehouse_path: str,
) -> ReplayOutcome:
    """Move the partition's quarantined rows that now pass tier 1 into the store."""
    schema = SOURCE_SCHEMAS[source]
    rows = quarantine.read(source, partition_key)
    if rows.empty:
        return ReplayOutcome(0, 0)
    candidate = conform(rows, schema)
    report = check_tier1(candidate, source, window, universe_symbols)
    passed = np.zeros(len(candidate), bool) if report.frame_errors else ~report.bad_rows()
    clean = candidate[passed]
    if len(clean):
        if source in TICK_PREFIXES:
            _add_to_arctic(arctic, source, partition_key, clean)
        else:
            _add_to_warehouse(warehouse_path, source, clean)
    left = quarantine.keep_only(source, partition_key, pd.Series(~passed))
    return ReplayOutcome(len(clean), left)
