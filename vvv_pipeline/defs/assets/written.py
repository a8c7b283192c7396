"""What a derived asset wrote into each partition's window, from the frames it wrote.

A derived run writes a chunk of partitions at once (one frame per ArcticDB series covering the
chunk's window), but each partition's materialization must report its own rows. Every series is
indexed by time, so the rows of a partition are those whose index falls in its window: counted
here by binary search on the frames already in memory, never by reading the store back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.assets.ui_metadata import PREVIEW_ROWS, markdown_table

Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass
class Written:
    """Rows written into one partition's window, over every series of the asset."""

    rows: int = 0
    series: int = 0
    """Series with at least one row in the window."""
    first_ts: pd.Timestamp | None = None
    last_ts: pd.Timestamp | None = None
    preview: pd.DataFrame | None = None
    """The first rows of the first series (in write order) with rows in the window."""

    def add(self, name: str, rows: pd.DataFrame) -> None:
        """Count ``rows`` (a ``ts``-sorted slice of series ``name`` inside the window)."""
        if rows.empty:
            return
        self.rows += len(rows)
        self.series += 1
        first, last = rows.index[0], rows.index[-1]
        self.first_ts = first if self.first_ts is None else min(self.first_ts, first)
        self.last_ts = last if self.last_ts is None else max(self.last_ts, last)
        if self.preview is None:
            head = rows.iloc[:PREVIEW_ROWS].reset_index()
            head.insert(0, "series", name)
            self.preview = head

    def metadata(self) -> dict[str, dg.MetadataValue]:
        meta: dict[str, dg.MetadataValue] = {
            "dagster/row_count": dg.MetadataValue.int(self.rows),
            "series_written": dg.MetadataValue.int(self.series),
            "preview": dg.MetadataValue.md(
                markdown_table(self.preview) if self.preview is not None else "(no rows)"
            ),
        }
        if self.first_ts is not None:
            meta["first_ts"] = dg.MetadataValue.text(str(self.first_ts))
            meta["last_ts"] = dg.MetadataValue.text(str(self.last_ts))
        return meta


def written_by_partition(
    frames: Mapping[str, pd.DataFrame], windows: Mapping[str, Window]
) -> dict[str, Written]:
    """For each partition key of ``windows``, what ``frames`` hold inside its [start, end)."""
    out = {key: Written() for key in windows}
    for name, frame in frames.items():
        if frame.empty:
            continue
        if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
            raise TypeError(f"series {name}: a derived frame must be indexed by UTC time")
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index(kind="stable")
        for key, (start, end) in windows.items():
            lo, hi = frame.index.searchsorted([start, end])
            out[key].add(name, frame.iloc[lo:hi])
    return out
