"""The shared result of the WARN tiers (2 alignment, 3 continuity, 4 statistical quality).

A :class:`TierResult` never holds the whole frame: per failure kind a count, a capped sample of
failing rows (at most :data:`SAMPLE_LIMIT`, for a markdown table), the gap or stale runs as one
row per run, and a few scalar metrics (rates, thresholds used). ``passed`` is true when no
failure kind is above its threshold; ``failed`` names the kinds that are.

The helpers here are shared by :mod:`.alignment`, :mod:`.continuity` and :mod:`.quality`:
timestamps as int64 UTC nanoseconds, symbol segments of a (symbol, ts)-sorted frame, and runs
of ``True`` in boolean masks (one ``diff``, no per-row Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

SAMPLE_LIMIT = 20
"""Most failing rows kept in :attr:`TierResult.samples` (all kinds together)."""
MINUTE_NS = 60_000_000_000
"""Integer nanoseconds per minute: minute keys are ``ts // MINUTE_NS`` (never the float 60e9)."""
RUN_COLUMNS = ("kind", "symbol", "start", "end", "length")


@dataclass(frozen=True)
class TierResult:
    """Outcome of one WARN-tier check on one partition frame."""

    tier: int
    source: str
    passed: bool
    counts: dict[str, int]
    """Failure kind -> rows (or runs, or minutes; see each check) found, zero counts included."""
    samples: pd.DataFrame
    """At most :data:`SAMPLE_LIMIT` failing rows of the frame, with a leading ``kind`` column."""
    runs: pd.DataFrame | None
    """Gap/stale runs (``kind, symbol, start, end, length``), or None where runs don't apply."""
    metrics: dict[str, float]
    """Rates, shares and the thresholds actually used."""
    failed: tuple[str, ...] = ()
    """The kinds above their threshold (empty when ``passed``)."""

    def markdown(self) -> str:
        """The samples as a markdown table (for a Dagster metadata value or a report)."""
        return frame_markdown(self.samples)


def frame_markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_no failing rows_"
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def empty_runs() -> pd.DataFrame:
    """No runs: a copy of one frame built once (most partitions have none, and building an
    empty frame costs as much as a tier's checks)."""
    return _no_runs().copy()


@cache
def _no_runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": pd.Series(dtype=object),
            "symbol": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "length": pd.Series(dtype=np.int64),
        }
    )


def runs_frame(
    kind: str, symbols: np.ndarray, start_ns: np.ndarray, end_ns: np.ndarray, length: np.ndarray
) -> pd.DataFrame:
    if not len(start_ns):
        return empty_runs()
    return pd.DataFrame(
        {
            "kind": np.full(len(start_ns), kind, dtype=object),
            "symbol": np.asarray(symbols, dtype=object),
            "start": pd.to_datetime(np.asarray(start_ns, dtype=np.int64), utc=True),
            "end": pd.to_datetime(np.asarray(end_ns, dtype=np.int64), utc=True),
            "length": np.asarray(length, dtype=np.int64),
        }
    )


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every run of True in a 1-D boolean mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def true_runs_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, start column, length) of every run of True along the rows of a 2-D mask.

    ``np.nonzero`` returns starts and ends in row-major order, and every row has as many of
    one as of the other, so they pair up by position.
    """
    pad = np.zeros((mask.shape[0], 1), dtype=np.int8)
    edges = np.diff(np.concatenate((pad, mask.astype(np.int8), pad), axis=1), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    return rows, starts, ends - starts


def ts_ns(frame: pd.DataFrame) -> np.ndarray | None:
    """``ts`` as int64 UTC nanoseconds, or None when it is not a tz-aware timestamp column."""
    ts = frame["ts"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        return None
    if ts.dtype.unit != "ns":
        ts = ts.dt.as_unit("ns")
    return ts.array.asi8


def codes_and_names(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer symbol codes (-1 for null) and the names they index."""
    symbol = frame["symbol"]
    if isinstance(symbol.dtype, pd.CategoricalDtype):
        return symbol.cat.codes.to_numpy().astype(np.int64), np.asarray(
            symbol.cat.categories, dtype=object
        )
    codes, names = pd.factorize(symbol)
    return codes.astype(np.int64), np.asarray(names, dtype=object)


def sort_order(codes: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """None when rows are already sorted by (symbol code, ts), else the stable sorting order."""
    if len(codes) < 2:
        return None
    step = np.diff(codes)
    if bool(np.all((step > 0) | ((step == 0) & (np.diff(ts) >= 0)))):
        return None
    return np.lexsort((ts, codes))


def segments(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, stop) of each run of equal codes in a code array sorted by symbol."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return np.concatenate(([0], cuts)), np.concatenate((cuts, [len(codes)]))


@dataclass
class Collector:
    """Accumulates kinds, sample rows and metrics, then builds a :class:`TierResult`."""

    frame: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    runs: list[pd.DataFrame] = field(default_factory=list)

    def add(self, kind: str, count: int, rows: np.ndarray | None, failed: bool) -> None:
        """Record ``count`` findings of ``kind``; ``rows`` are frame positions for the sample."""
        self.counts[kind] = self.counts.get(kind, 0) + int(count)
        if rows is not None and len(rows):
            old = self.rows.get(kind)
            self.rows[kind] = rows if old is None else np.concatenate((old, rows))
        if failed and kind not in self.failed:
            self.failed.append(kind)

    def sample(self) -> pd.DataFrame:
        kinds = [k for k, rows in self.rows.items() if len(rows)]
        if not kinds:
            return _no_sample(tuple(self.frame.columns), tuple(self.frame.dtypes)).copy()
        per_kind = max(1, SAMPLE_LIMIT // len(kinds))
        parts = []
        for kind in kinds:
            rows = np.unique(self.rows[kind])[:per_kind]
            part = self.frame.iloc[rows].copy()
            part.insert(0, "kind", kind)
            parts.append(part)
        return pd.concat(parts).iloc[:SAMPLE_LIMIT]

    def result(self, tier: int, source: str, with_runs: bool) -> TierResult:
        runs = None
        if with_runs:
            kept = [r for r in self.runs if len(r)]
            runs = pd.concat(kept, ignore_index=True) if kept else empty_runs()
        return TierResult(
            tier=tier,
            source=source,
            passed=not self.failed,
            counts=dict(self.counts),
            samples=self.sample(),
            runs=runs,
            metrics=dict(self.metrics),
            failed=tuple(self.failed),
        )


@cache
def _no_sample(columns: tuple[str, ...], dtypes: tuple[object, ...]) -> pd.DataFrame:
    """The sample of a frame without failing rows: its columns after ``kind``, no rows."""
    empty = {name: pd.Series(dtype=dtype) for name, dtype in zip(columns, dtypes, strict=True)}
    return pd.DataFrame({"kind": pd.Series(dtype=object), **empty})
