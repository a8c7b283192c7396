"""Run a pandera schema lazily and read its ``SchemaErrors.failure_cases`` back, rule by rule.

The frame is validated with positions as its index, so a failure case's ``index`` is the row's
position: the quarantine takes those rows, the check metadata counts and samples them. A failure
case without an index is about the frame, not a row: a missing column, a wrong dtype, a check
that could not run on a mistyped column, or a check that found something absent (a symbol
without rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.contract import bound_schema
from vvv_pipeline.validation.rule_table import NOT_NULL


@dataclass(frozen=True)
class FrameCase:
    """A failure case about the whole frame."""

    check: str
    column: str | None
    case: str


@dataclass(frozen=True)
class Failures:
    n_rows: int
    rows: dict[str, np.ndarray]
    """Check name -> sorted positions of its failing rows (only checks that fail a row)."""
    frame_cases: list[FrameCase]

    def mask(self, check: str) -> np.ndarray:
        out = np.zeros(self.n_rows, dtype=bool)
        out[self.rows.get(check, np.zeros(0, dtype=np.int64))] = True
        return out


def positional(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with row positions as its index (no copy of the columns)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.set_axis(pd.RangeIndex(len(frame)), axis=0)


def run(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> Failures:
    """Validate ``frame`` (lazily, in place: no copy, no coercion) and collect its failures."""
    frame = positional(frame)
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as err:
        return read(err.failure_cases, len(frame))
    finally:
        forget_schema(frame)
    return Failures(len(frame), {}, [])


def forget_schema(frame: pd.DataFrame) -> None:
    """Drop the accessor pandera caches on a frame it validated.

    ``frame.pandera`` is cached on the frame and holds the frame (it records the schema the
    frame was validated with): a reference cycle, so the frame outlives its last reference until
    Python's cyclic collector runs, and large numpy buffers do not make it run. A range run then
    held several partitions' ticks at once (at a million trades a symbol-session, about 0.5 GiB
    more peak memory per session of the range). Nothing here reads the recorded schema back.
    """
    vars(frame).pop("pandera", None)


def run_bound(frame: pd.DataFrame, source: str, tier: int, binding: Binding) -> Failures:
    """:func:`run` with ``source``'s ``tier`` schema bound to ``binding``, whose memo is released
    when the validation ends, also when it raises (see :meth:`Binding.release`)."""
    try:
        with bound_schema(source, tier, binding) as schema:
            return run(schema, frame)
    finally:
        binding.release()


def read(cases: pd.DataFrame, n_rows: int) -> Failures:
    """Failing row positions per rule, and the cases about the frame, from ``failure_cases``.

    A rule is its check's name; pandera's nullability check becomes ``<column>_not_null``.
    Vectorised: a partition whose every row fails lists as many cases as rows.
    """
    index = cases["index"]
    on_rows = index.notna().to_numpy()
    rows: dict[str, np.ndarray] = {}
    if on_rows.any():
        at = index[on_rows].to_numpy().astype(np.int64)
        check = cases["check"][on_rows].astype(str).to_numpy()
        null = check == NOT_NULL
        if null.any():
            column = cases["column"][on_rows].astype(str).to_numpy()
            check[null] = np.char.add(column[null].astype(str), "_not_null")
        for rule in pd.unique(check):
            hit = np.zeros(n_rows, dtype=bool)
            hit[at[check == rule]] = True  # a mask, not a sort: positions come out in order
            rows[str(rule)] = np.flatnonzero(hit)
    frame_cases = [
        FrameCase(str(c), None if pd.isna(col) else str(col), str(case))
        for c, col, case in zip(
            cases["check"][~on_rows],
            cases["column"][~on_rows],
            cases["failure_case"][~on_rows],
            strict=True,
        )
    ]
    return Failures(n_rows, rows, frame_cases)
