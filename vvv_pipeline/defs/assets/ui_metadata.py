"""Materialization metadata a person can read at a glance in the UI.

A single-run backfill yields one ``MaterializeResult`` for its whole range, and Dagster copies
its metadata onto every partition's materialization. So only facts true for each partition go
there; row counts, timestamps and previews are attached per partition
(:func:`attach_per_partition`), which Dagster merges over the range's keys on that partition.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 5


def markdown_table(frame: pd.DataFrame, max_rows: int = PREVIEW_ROWS) -> str:
    """A small markdown table of the first ``max_rows`` rows (no external formatter needed)."""
    head = frame.head(max_rows)
    lines = [
        "| " + " | ".join(map(str, head.columns)) + " |",
        "| " + " | ".join("---" for _ in head.columns) + " |",
    ]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in head.itertuples(index=False)]
    return "\n".join(lines)


def frame_metadata(frame: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    """Row count, symbols, first and last timestamp and a preview of a source frame."""
    # unique on the column itself: categorical symbols are not expanded to strings row by row
    symbols = sorted({str(s) for s in frame["symbol"].unique()}) if len(frame) else []
    meta: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "symbols": dg.MetadataValue.text(", ".join(symbols) or "(none)"),
        "symbol_count": dg.MetadataValue.int(len(symbols)),
        "preview": dg.MetadataValue.md(markdown_table(frame)),
    }
    if len(frame):
        meta["first_ts"] = dg.MetadataValue.text(str(frame["ts"].min()))
        meta["last_ts"] = dg.MetadataValue.text(str(frame["ts"].max()))
    return meta


def partition_rows_table(rows: Mapping[str, int], max_rows: int = 50) -> dg.MetadataValue:
    """Markdown table of rows per partition (the first ``max_rows`` partitions of a range)."""
    frame = pd.DataFrame({"partition": list(rows), "rows": list(rows.values())})
    suffix = f"\n\n({len(rows) - max_rows} more partitions)" if len(rows) > max_rows else ""
    return dg.MetadataValue.md(markdown_table(frame, max_rows) + suffix)


def attach_per_partition(
    context: dg.AssetExecutionContext, by_partition: Mapping[str, Mapping[str, dg.MetadataValue]]
) -> None:
    """Attach each partition's own metadata to that partition's materialization only.

    Call before yielding the step's ``MaterializeResult``; on a partition's event these keys
    win over the same keys of the range-wide metadata.
    """
    for key, metadata in by_partition.items():
        context.add_asset_metadata(dict(metadata), partition_key=key)
