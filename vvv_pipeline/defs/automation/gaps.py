"""Which partitions of an asset should exist in a date range, which do, and which failed tier 1.

Pure logic over partition keys, fast enough for a sensor tick. The expected keys come from the
asset's own partitions definition, so they are calendar-aware exactly as Dagster is: a session
definition yields XNYS sessions only (holidays and weekends are exclusions, early closes are
sessions), calendar days yield every New York day, and UTC hours yield every hour, so a New York
day holds 23 or 25 of them when the clocks change.

Dagster walks a cron iterator in Python, one window at a time; here daily and hourly grids are
built as whole arrays and exclusions are applied as masks (equality with Dagster's own keys is
pinned by a test). Each definition's grid over a range is cached; ``as_of`` only cuts the cached
arrays, so a sensor whose clock moves still hits the cache.

A date range is two New York calendar dates, both inclusive: a partition belongs to it when its
window starts in ``[start 00:00, end + 1 day 00:00)`` New York time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import dagster as dg
import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ

STATES = ("materialized", "missing", "failed_tier1")
DAILY_CRON, DAILY_FORMAT = "0 0 * * *", "%Y-%m-%d"
HOURLY_CRON, HOURLY_FORMAT = "0 * * * *", "%Y-%m-%d-%H:%M"
DateLike = str | dt.date | pd.Timestamp


def ny_date(day: DateLike) -> pd.Timestamp:
    """A New York calendar date as a tz-naive midnight (tz-aware inputs are converted first)."""
    stamp = pd.Timestamp(day)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(EXCHANGE_TZ).tz_localize(None)
    return stamp.normalize()


def _cron_weekdays(cron: str) -> frozenset[int] | None:
    """Cron weekdays (0 = Sunday) of a midnight weekday-only cron, or None for any other cron."""
    fields = cron.split()
    if len(fields) != 5 or fields[:4] != ["0", "0", "*", "*"]:
        return None
    days: set[int] = set()
    for part in fields[4].split(","):
        lo, _, hi = part.partition("-")
        if not (lo.isdigit() and (not hi or hi.isdigit())):
            return None
        days.update(d % 7 for d in range(int(lo), int(hi or lo) + 1))
    return frozenset(days)


def _daily_windows(
    pdef: dg.TimeWindowPartitionsDefinition, lo: pd.Timestamp, hi: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tz = pdef.timezone
    first = max(lo, pd.Timestamp(pdef.start)).tz_convert(tz).tz_localize(None).normalize()
    days = pd.date_range(first, hi.tz_convert(tz).tz_localize(None).normalize(), freq="D")
    starts = days.tz_localize(tz, nonexistent="raise", ambiguous="raise")
    ends = (days + pd.Timedelta(days=1)).tz_localize(tz, nonexistent="raise", ambiguous="raise")
    keep = np.ones(len(days), dtype=bool)
    excluded_starts = []
    for exclusion in pdef.exclusions or ():
        if isinstance(exclusion, str):
            weekdays = _cron_weekdays(exclusion)
            if weekdays is None:
                raise ValueError(f"unsupported exclusion cron {exclusion!r} in {pdef}")
            # pandas counts Monday as 0, cron counts Sunday as 0
            keep &= ~np.isin((days.dayofweek.to_numpy() + 1) % 7, list(weekdays))
        else:
            # microseconds are exact in a float64 epoch timestamp; nanoseconds are not
            excluded_starts.append(round(exclusion.timestamp * 1_000_000) * 1000)
    keep &= ~np.isin(starts.asi8, excluded_starts)
    keys = np.datetime_as_string(days.to_numpy(), unit="D")
    return keys[keep], starts.asi8[keep], ends.asi8[keep]


def _hourly_windows(
    pdef: dg.TimeWindowPartitionsDefinition, lo: pd.Timestamp, hi: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if pdef.timezone != "UTC" or pdef.exclusions:
        raise ValueError(f"hourly partitions must be UTC without exclusions, got {pdef}")
    first = max(lo, pd.Timestamp(pdef.start)).tz_convert("UTC").ceil("h")
    starts = pd.date_range(first, hi.tz_convert("UTC"), freq="h", inclusive="left")
    text = np.datetime_as_string(starts.tz_localize(None).to_numpy(), unit="m")
    chars = text.astype("U16").view("U1").reshape(len(text), 16)
    chars[:, 10] = "-"  # "2025-11-01T00:00" -> Dagster's "2025-11-01-00:00"
    keys = chars.view("U16").ravel()
    return keys, starts.asi8, starts.asi8 + 3_600_000_000_000


@lru_cache(maxsize=64)
def _windows(
    pdef: dg.TimeWindowPartitionsDefinition, lo_ns: int, hi_ns: int
) -> tuple[np.ndarray, np.ndarray]:
    # an end offset only makes the period in progress a partition early; gaps count ended
    # windows (``as_of``), so it changes nothing here
    if pdef.end is not None or pdef.end_offset < 0:
        raise ValueError(
            f"partitions with an end or a negative end offset are not supported: {pdef}"
        )
    lo, hi = pd.Timestamp(lo_ns, tz="UTC"), pd.Timestamp(hi_ns, tz="UTC")
    grid = (pdef.cron_schedule, pdef.fmt)
    if grid == (DAILY_CRON, DAILY_FORMAT):
        keys, starts, ends = _daily_windows(pdef, lo, hi)
    elif grid == (HOURLY_CRON, HOURLY_FORMAT):
        keys, starts, ends = _hourly_windows(pdef, lo, hi)
    else:
        raise ValueError(f"only daily and hourly partitions are supported, got {pdef}")
    inside = (starts >= lo_ns) & (starts < hi_ns)
    keys, ends = keys[inside], ends[inside]
    keys.setflags(write=False)
    ends.setflags(write=False)
    return keys, ends


def expected_partition_keys(
    partitions_def: dg.PartitionsDefinition,
    start: DateLike,
    end: DateLike,
    as_of: pd.Timestamp | dt.datetime | None = None,
) -> np.ndarray:
    """Keys whose window starts on New York dates ``start..end``; with ``as_of``, only ended ones.

    Returns a read-only, sorted array of key strings. ``as_of`` plays Dagster's "current time": a
    partition whose window has not ended by then does not exist yet.
    """
    if not isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        raise TypeError(f"partitions_def must be time-window partitions, got {partitions_def!r}")
    lo, hi = ny_date(start), ny_date(end)
    if hi < lo:
        raise ValueError(f"end {end} is before start {start}")
    lo_ns = lo.tz_localize(EXCHANGE_TZ).value
    hi_ns = (hi + pd.Timedelta(days=1)).tz_localize(EXCHANGE_TZ).value
    keys, ends = _windows(partitions_def, lo_ns, hi_ns)
    if as_of is None:
        return keys
    cutoff = pd.Timestamp(as_of)
    if cutoff.tzinfo is None:
        raise ValueError(f"as_of must be tz-aware, got {as_of}")
    return keys[: int(np.searchsorted(ends, cutoff.value, side="right"))]


@dataclass(frozen=True)
class Gaps:
    """Partition coverage of one asset over a range; every tuple is sorted.

    ``materialized`` and ``missing`` split ``expected``. ``failed_tier1`` holds the expected
    partitions whose latest tier-1 evaluation failed; tier 1 quarantines bad rows and stores the
    rest, so these are usually materialized too.
    """

    asset: str
    expected: tuple[str, ...]
    materialized: tuple[str, ...]
    missing: tuple[str, ...]
    failed_tier1: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        return {
            "expected": len(self.expected),
            "materialized": len(self.materialized),
            "missing": len(self.missing),
            "failed_tier1": len(self.failed_tier1),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per expected partition: asset, partition, state (failed_tier1 wins)."""
        keys = pd.Index(self.expected)
        state = np.where(keys.isin(self.materialized), "materialized", "missing")
        state = np.where(keys.isin(self.failed_tier1), "failed_tier1", state)
        return pd.DataFrame(
            {
                "asset": pd.Categorical([self.asset] * len(keys)),
                "partition": keys.to_numpy(dtype=object),
                "state": pd.Categorical(state, categories=list(STATES)),
            }
        )

    def to_markdown(self, max_listed: int = 10) -> str:
        """Counts, then the first missing and failed partitions (what a person acts on)."""
        c = self.counts()
        lines = [
            f"**{self.asset}**: {c['materialized']} of {c['expected']} expected partitions "
            f"materialized, {c['missing']} missing, {c['failed_tier1']} failed tier 1"
        ]
        for label, keys in (("missing", self.missing), ("failed tier 1", self.failed_tier1)):
            if keys:
                more = f" (+{len(keys) - max_listed} more)" if len(keys) > max_listed else ""
                lines.append(f"- {label}: {', '.join(keys[:max_listed])}{more}")
        return "\n".join(lines)


def find_gaps(
    asset: str,
    expected: np.ndarray | Collection[str],
    materialized: Collection[str],
    failed_tier1: Collection[str] = (),
) -> Gaps:
    """Split ``expected`` keys by what storage says; keys outside ``expected`` are ignored."""
    keys = pd.Index(np.sort(np.asarray(list(expected) if isinstance(expected, set) else expected)))
    stored = keys.isin(list(materialized))
    failed = keys.isin(list(failed_tier1))
    values = keys.to_numpy(dtype=object)
    return Gaps(
        asset=asset,
        expected=tuple(values.tolist()),
        materialized=tuple(values[stored].tolist()),
        missing=tuple(values[~stored].tolist()),
        failed_tier1=tuple(values[failed].tolist()),
    )


def gaps_in_range(
    asset: str,
    partitions_def: dg.PartitionsDefinition,
    start: DateLike,
    end: DateLike,
    materialized: Collection[str],
    failed_tier1: Collection[str] = (),
    as_of: pd.Timestamp | dt.datetime | None = None,
) -> Gaps:
    """:func:`find_gaps` over the keys :func:`expected_partition_keys` gives for the range."""
    expected = expected_partition_keys(partitions_def, start, end, as_of)
    return find_gaps(asset, expected, materialized, failed_tier1)


def gaps_summary(gaps: Collection[Gaps]) -> pd.DataFrame:
    """Per asset: expected, materialized, missing, failed_tier1 counts."""
    rows = [{"asset": g.asset, **g.counts()} for g in gaps]
    return pd.DataFrame(
        rows, columns=["asset", "expected", "materialized", "missing", "failed_tier1"]
    )
