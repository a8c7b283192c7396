"""Point lookups on stored ticks: the last tick at or before an instant, and one instrument's
ticks in a window filtered inside ArcticDB.

Ticks are stored one ArcticDB symbol per instrument and partition (``equity/AAPL/2026-11-20``,
``crypto/BTCUSDT/2026-11-20-13:00``; see :mod:`.arctic`), so a year of one instrument is 252
(or 8,760 hourly) small symbols. Both lookups list the instrument's partitions once (one
``list_symbols`` with a prefix regex) and bound each partition's time window from its key, so
they only read partitions that can hold an answer:

- :func:`latest_tick` walks them newest-first with a ``date_range(None, as_of).tail(1)`` query
  and stops at the first partition that has a row;
- :func:`search_ticks` reads the partitions overlapping [start, end) in one ``read_batch`` with
  the filter pushed down as a ``QueryBuilder``.

Both assume a stored partition's rows lie inside its window, which tier 1 enforces for every
source (rule ``ts_in_window``: rows outside are quarantined, not stored).

Filters (``where``) are a mapping ``{column: (op, value)}``, all conditions ANDed, with ``op``
one of ``== != < <= > >= in "not in"`` (``in``/``not in`` take a list). Nothing is ever
evaluated from a string. Category columns (``exchange``, ``condition``, ``venue``) are stored by
ArcticDB as integer codes whose categories can differ per partition, so their values are turned
into each partition's codes here (or, next to other conditions, applied to the rows those
select; see :func:`_split`), and only ``==``, ``!=``, ``in`` and ``not in`` apply to them.
Comparisons follow pandas: a NaN is unequal to everything and fails every ordering.

ArcticDB 6.x types a plain Python ``float`` in a comparison as float32, so ``bid == 99.9`` finds
no row holding the float64 99.9 (and ``bid != 99.9`` finds them all): values are passed as numpy
scalars of the column's dtype (float64, int64) instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import arcticdb as adb
import numpy as np
import pandas as pd
from arcticdb.version_store.library import DataError
from arcticdb_ext.exceptions import ErrorCategory

from vvv_pipeline.schemas import SOURCE_SCHEMAS, Schema
from vvv_pipeline.storage.arctic import TICK_LIBRARY, TICK_PREFIXES, ArcticStore, library_lock
from vvv_pipeline.storage.tick_frames import stack_partitions

Where = Mapping[str, tuple[str, object]]
ORDERINGS: dict[str, Callable[[object, object], object]] = {
    "==": lambda col, v: col == v,
    "!=": lambda col, v: col != v,
    "<": lambda col, v: col < v,
    "<=": lambda col, v: col <= v,
    ">": lambda col, v: col > v,
    ">=": lambda col, v: col >= v,
}
MEMBERSHIP = ("in", "not in")
OPERATORS = (*ORDERINGS, *MEMBERSHIP)
CATEGORY_OPERATORS = ("==", "!=", "in", "not in")

# A session key (a day in America/New_York) holds ticks within [D 00:00 UTC, D+1 06:00 UTC):
# New York's midnight is 04:00 or 05:00 UTC, so these bounds hold in summer and winter.
_SESSION_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SESSION_SPAN = pd.Timedelta(hours=30)
_HOUR_SPAN = pd.Timedelta(hours=1)  # hourly keys ("2026-11-20-13:00") are UTC hours


class NoTicksStored(LookupError):
    """The instrument has no stored partition at all in the source (unknown or never stored)."""


@dataclass(frozen=True)
class Partition:
    name: str
    """ArcticDB symbol, e.g. ``equity/AAPL/2026-11-20``."""
    start: pd.Timestamp
    """No stored row of the partition is earlier (UTC)."""
    end: pd.Timestamp
    """Every stored row of the partition is earlier (UTC)."""

    @property
    def key(self) -> str:
        """The partition key (``2026-11-20``, ``2026-11-20-13:00``)."""
        return self.name.rsplit("/", 1)[1]


def tick_schema(source: str) -> Schema:
    if source not in TICK_PREFIXES:
        raise ValueError(f"source must be one of {tuple(TICK_PREFIXES)}, not {source!r}")
    return SOURCE_SCHEMAS[source]


def utc(value: pd.Timestamp | str) -> pd.Timestamp:
    """An instant in UTC; naive input is read as UTC, as everywhere in :mod:`vvv_pipeline.read`."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def stored_partitions(
    store: ArcticStore, source: str, symbol: str, missing_ok: bool = False
) -> list[Partition]:
    """The instrument's stored partitions, oldest first; :class:`NoTicksStored` if none
    (an empty list with ``missing_ok``)."""
    tick_schema(source)
    prefix = f"{TICK_PREFIXES[source]}/{symbol}/"
    names = store.library(TICK_LIBRARY).list_symbols(regex=f"^{re.escape(prefix)}")
    parts = [_partition(name, name[len(prefix) :]) for name in names if name.startswith(prefix)]
    if not parts and not missing_ok:
        raise NoTicksStored(
            f"no {source} partitions stored for symbol {symbol!r} in {store.uri} "
            "(unknown symbol, or nothing ingested yet)"
        )
    # keys sort as their times do (ISO dates, UTC hours), so the name order is the time order
    return sorted(parts, key=lambda part: part.name)


def stored_keys(store: ArcticStore, source: str, symbol: str) -> list[str]:
    """Keys of the instrument's stored partitions, oldest first (none: empty)."""
    return [part.key for part in stored_partitions(store, source, symbol, missing_ok=True)]


def _partition(name: str, key: str) -> Partition:
    if _SESSION_KEY.match(key):
        start = pd.Timestamp(key, tz="UTC")
        return Partition(name, start, start + _SESSION_SPAN)
    try:
        start = pd.Timestamp(pd.to_datetime(key, format="%Y-%m-%d-%H:%M"), tz="UTC")
    except ValueError:
        # a key no partitions definition of the pipeline makes: its window is unknown
        raise ValueError(
            f"stored tick symbol {name!r}: partition key {key!r} is neither a session date "
            "(YYYY-MM-DD) nor a UTC hour (YYYY-MM-DD-HH:MM)"
        ) from None
    return Partition(name, start, start + _HOUR_SPAN)


def latest_tick(
    store: ArcticStore, source: str, symbol: str, as_of: pd.Timestamp | str | None = None
) -> pd.DataFrame | None:
    """The last stored tick with ``ts <= as_of`` (any time if None) as a one-row canonical
    frame, or None when the instrument has no tick that early.

    Partitions that start after ``as_of`` are skipped unread; the others are read newest first,
    one row each (a ``tail(1)`` query), until one has a row at or before ``as_of``: one read,
    or two when ``as_of`` falls before the first tick of its partition.
    """
    schema = tick_schema(source)
    cutoff = None if as_of is None else utc(as_of)
    lib = store.library(TICK_LIBRARY)
    for part in reversed(stored_partitions(store, source, symbol)):
        if cutoff is not None and part.start > cutoff:
            continue
        query = adb.QueryBuilder()
        if cutoff is not None and part.end > cutoff:
            query = query.date_range((None, cutoff))  # inclusive at both ends, as wanted here
        item = _read_one(store, lib, adb.ReadRequest(part.name, query_builder=query.tail(1)))
        if item is not None and len(item):
            return stack_partitions([item], schema)
    return None


def search_ticks(
    store: ArcticStore,
    source: str,
    symbol: str,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    where: Where | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Ticks of ``symbol`` with start <= ts < end matching ``where``, canonical (``ts``,
    ``symbol``, then ``columns`` or all the source's columns, in schema order)."""
    schema = tick_schema(source)
    lo, hi = utc(start), utc(end)
    conditions = _checked(schema, where or {})
    pushed, after = _split(schema, conditions)
    chosen = _projection(schema, columns)
    read = _projection(schema, None if columns is None else [*columns, *after])
    parts = [p for p in stored_partitions(store, source, symbol) if p.start < hi and p.end > lo]
    lib = store.library(TICK_LIBRARY)
    categorical = sorted(c for c in pushed if _is_category(schema, c))
    categories = _categories(store, lib, [p.name for p in parts], categorical)
    requests = []
    for part in parts:
        query = _query(schema, pushed, categories.get(part.name, {}))
        if query is False:
            continue  # a category value the partition never saw: no row can match
        date_range = None
        if part.start < lo or part.end > hi:
            # read's date_range is inclusive at both ends: stop one nanosecond before ``end``
            date_range = (lo, hi - pd.Timedelta(1, "ns"))
        # ``symbol`` is the same in every row: added below rather than decoded per partition
        names = [n for n in read.names if n not in ("ts", "symbol")]
        requests.append(
            adb.ReadRequest(part.name, date_range=date_range, columns=names, query_builder=query)
        )
    frame = _stacked(_read_all(store, lib, requests), read, symbol)
    if after:
        frame = frame[_category_mask(frame, after)].reset_index(drop=True)
    return frame if columns is None else frame[chosen.names]


def where_mask(schema: Schema, frame: pd.DataFrame, where: Where | None) -> pd.Series:
    """Rows of ``frame`` (canonical) meeting ``where``, evaluated in pandas: what the
    pushed-down filter of :func:`search_ticks` selects, for rows that are not in ArcticDB's
    tick store (the stream's, :mod:`vvv_pipeline.read`)."""
    conditions = _checked(schema, where or {})
    values = {c: cond for c, cond in conditions.items() if not _is_category(schema, c)}
    keep = _category_mask(frame, {c: v for c, v in conditions.items() if c not in values})
    for column, (op, value) in values.items():
        if op in MEMBERSHIP:
            wanted = frame[column].isin(value)
            keep &= wanted if op == "in" else ~wanted
        else:
            keep &= ORDERINGS[op](frame[column], value)
    return keep


def _stacked(frames: list[pd.DataFrame], schema: Schema, symbol: str) -> pd.DataFrame:
    """The partitions' rows end to end (they are read in time order) with ``symbol`` added,
    as :func:`~vvv_pipeline.storage.tick_frames.stack_partitions` would give them."""
    rows = [frame for frame in frames if len(frame)]
    if not rows:
        return schema.empty()
    frame = pd.concat(rows).reset_index() if len(rows) > 1 else rows[0].reset_index()
    frame.insert(1, "symbol", pd.Categorical.from_codes(np.zeros(len(frame), "int8"), [symbol]))
    return frame[schema.names]


def _split(
    schema: Schema, conditions: Mapping[str, tuple[str, object]]
) -> tuple[dict[str, tuple[str, object]], dict[str, tuple[str, object]]]:
    """(conditions pushed into ArcticDB, category conditions applied to the rows read).

    A category condition costs a zero-row read per partition for its codes, and turning
    ArcticDB's codes back into pandas categories costs about 1 ms per column and partition:
    when other conditions already narrow the read, the category ones are cheaper on the
    narrowed rows in pandas. Alone, they are pushed down (the read would be everything)."""
    values = {c: cond for c, cond in conditions.items() if not _is_category(schema, c)}
    if not values:
        return dict(conditions), {}
    return values, {c: cond for c, cond in conditions.items() if c not in values}


def _category_mask(frame: pd.DataFrame, conditions: Mapping[str, tuple[str, object]]):
    """Rows of ``frame`` meeting category ``conditions``, as pandas compares (NaN is unequal)."""
    keep = pd.Series(True, index=frame.index)
    for column, (op, value) in conditions.items():
        wanted = frame[column].isin(value if op in MEMBERSHIP else [value])
        keep &= wanted if op in ("==", "in") else ~wanted
    return keep


def _is_category(schema: Schema, column: str) -> bool:
    return schema.dtypes[column] == "category"


def _checked(schema: Schema, where: Where) -> dict[str, tuple[str, object]]:
    """``where`` validated against ``schema``: errors name the column or operator at fault."""
    if not isinstance(where, Mapping):
        raise TypeError(f"where must be a mapping {{column: (op, value)}}, not {type(where)}")
    out = {}
    for column, condition in where.items():
        if column not in schema.names or column in ("ts", "symbol"):
            allowed = [n for n in schema.names if n not in ("ts", "symbol")]
            raise ValueError(
                f"where: {column!r} is not a filterable {schema.name} column; one of {allowed} "
                "(the time window is start/end, the instrument is symbol)"
            )
        if not (isinstance(condition, tuple) and len(condition) == 2):
            raise ValueError(f"where[{column!r}] must be an (op, value) pair, not {condition!r}")
        op, value = condition
        allowed_ops = CATEGORY_OPERATORS if _is_category(schema, column) else OPERATORS
        if op not in allowed_ops:
            raise ValueError(f"where[{column!r}]: operator {op!r} is not one of {allowed_ops}")
        if op in MEMBERSHIP:
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                raise ValueError(f"where[{column!r}]: {op!r} takes a list, not {value!r}")
            value = list(value)
        out[column] = (op, value)
    return out


def projected(schema: Schema, columns: Sequence[str]) -> list[str]:
    """The column names :func:`search_ticks` returns for ``columns`` (``ts``, ``symbol`` first)."""
    return list(_projection(schema, columns).names)


def _projection(schema: Schema, columns: Sequence[str] | None) -> Schema:
    if columns is None:
        return schema
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise ValueError(f"columns {unknown} are not {schema.name} columns: {schema.names}")
    wanted = {"ts", "symbol", *columns}
    kept = tuple(c for c in schema.columns if c.name in wanted)
    return Schema(schema.name, kept, schema.doc)


def _query(
    schema: Schema,
    conditions: Mapping[str, tuple[str, object]],
    categories: Mapping[str, list[str]],
) -> adb.QueryBuilder | bool | None:
    """The ANDed filter for one partition; None for no filter, False when nothing can match."""
    query = adb.QueryBuilder()
    expression = None
    for column, (op, value) in conditions.items():
        if column in categories:
            part = _category_condition(query, column, op, value, categories[column])
        else:
            part = _value_condition(query, column, op, value, schema.dtypes[column])
        if part is False:
            return False
        if part is not None:
            expression = part if expression is None else expression & part
    return None if expression is None else query[expression]


def _value_condition(query: adb.QueryBuilder, column: str, op: str, value: object, dtype: str):
    if op in MEMBERSHIP:
        values = [_typed(v, dtype) for v in value]
        return query[column].isin(values) if op == "in" else query[column].isnotin(values)
    return ORDERINGS[op](query[column], _typed(value, dtype))


def _typed(value: object, dtype: str) -> object:
    """``value`` as a numpy scalar ArcticDB compares at full width (see the module's note)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)  # ArcticDB takes np.bool_ as uint8, which a bool column refuses
    if dtype == "float64" or isinstance(value, float | np.floating):
        return np.float64(value)  # an int column against 100.5 compares as pandas does
    if isinstance(value, int | np.integer):
        return np.int64(value)
    return value


def _category_condition(
    query: adb.QueryBuilder, column: str, op: str, value: object, categories: list[str]
):
    """A condition on a category column as its codes in this partition (None: every row)."""
    wanted = list(value) if op in MEMBERSHIP else [value]
    codes = [categories.index(v) for v in wanted if v in categories]
    if op in ("==", "in"):
        return query[column].isin(codes) if codes else False
    # != and not in: rows with another (or a missing, code -1) value, as pandas has it
    return query[column].isnotin(codes) if codes else None


def _categories(
    store: ArcticStore, lib: adb.library.Library, names: list[str], columns: list[str]
) -> dict[str, dict[str, list[str]]]:
    """Each partition's categories of ``columns``, from a zero-row read (dtype only)."""
    if not columns or not names:
        return {}
    requests = [adb.ReadRequest(n, row_range=(0, 0), columns=columns) for n in names]
    with library_lock(store.uri, TICK_LIBRARY, shared=True):
        items = lib.read_batch(requests)
    out = {}
    for name, item in zip(names, items, strict=True):
        frame = _data(store, name, item)
        if frame is not None:
            out[name] = {c: [str(v) for v in frame[c].cat.categories] for c in columns}
    return out


def _read_one(
    store: ArcticStore, lib: adb.library.Library, request: adb.ReadRequest
) -> pd.DataFrame | None:
    frames = _read_all(store, lib, [request])
    return frames[0] if frames else None


def _read_all(
    store: ArcticStore, lib: adb.library.Library, requests: list[adb.ReadRequest]
) -> list[pd.DataFrame]:
    """The frames read, skipping partitions deleted since they were listed (now empty).

    The shared file lock keeps a concurrent re-write from pruning a version mid-read."""
    if not requests:
        return []
    with library_lock(store.uri, TICK_LIBRARY, shared=True):
        items = lib.read_batch(requests)
    frames = [_data(store, r.symbol, item) for r, item in zip(requests, items, strict=True)]
    return [frame for frame in frames if frame is not None]


def _data(store: ArcticStore, name: str, item: object) -> pd.DataFrame | None:
    if isinstance(item, DataError):
        if item.error_category == ErrorCategory.MISSING_DATA:
            return None
        raise RuntimeError(f"ArcticDB read of {name!r} in {store.uri} failed: {item}")
    return item.data
