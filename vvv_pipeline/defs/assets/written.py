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
import numpy as np
import pandas as pd

from vvv_pipeline.defs.assets.ui_metadata import PREVIEW_ROWS, markdown_table

Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass
class Written:
    """Rows written into one partition's window, over every series of the asset."""

    rows: int = 0
    series: int = 0
    """Series with at least one row in the window."""
    first_ns: int | None = None
    last_ns: int | None = None
    tz: object = None
    """The time zone of the series the first and last times come from (UTC for derived series)."""
    preview: pd.DataFrame | None = None
    """The first rows of the first series (in write order) with rows in the window."""

    def add(self, name: str, frame: pd.DataFrame, ns: np.ndarray, lo: int, hi: int) -> None:
        """Count rows ``lo:hi`` of series ``name`` (``ts``-sorted, ``ns`` its index as int64
        nanoseconds), those inside the window."""
        if hi <= lo:
            return
        self.rows += hi - lo
        self.series += 1
        first, last = int(ns[lo]), int(ns[hi - 1])
        self.first_ns = first if self.first_ns is None else min(self.first_ns, first)
        self.last_ns = last if self.last_ns is None else max(self.last_ns, last)
        self.tz = frame.index.tz
        if self.preview is None:
            head = frame.iloc[lo : min(hi, lo + PREVIEW_ROWS)].reset_index()
            head.insert(0, "series", name)
            self.preview = head

    @property
    def first_ts(self) -> pd.Timestamp | None:
        return None if self.first_ns is None else pd.Timestamp(self.first_ns, tz=self.tz)

    @property
    def last_ts(self) -> pd.Timestamp | None:
        return None if self.last_ns is None else pd.Timestamp(self.last_ns, tz=self.tz)

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
    keys = list(windows)
    starts = pd.DatetimeIndex([windows[key][0] for key in keys])
    ends = pd.DatetimeIndex([windows[key][1] for key in keys])
    for name, frame in frames.items():
        if frame.empty:
            continue
        if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
            raise TypeError(f"series {name}: a derived frame must be indexed by UTC time")
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index(kind="stable")
        # every window's bounds in one binary search per series (a chunk has up to 20 windows)
        los, his = frame.index.searchsorted(starts), frame.index.searchsorted(ends)
        ns = frame.index.asi8
        for key, lo, hi in zip(keys, los.tolist(), his.tolist(), strict=True):
            out[key].add(name, frame, ns, lo, hi)
    return out
