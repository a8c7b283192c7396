"""Materialization metadata a person can read at a glance in the UI."""

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
    symbols = sorted(map(str, pd.unique(frame["symbol"].astype(str)))) if len(frame) else []
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
