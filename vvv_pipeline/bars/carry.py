"""The carry: per-symbol state that lets threshold and imbalance bars continue across partitions.

Why: a volume bar rarely ends exactly at a partition boundary. The partial bar at the end of a
partition (plus the tick-rule state and, for imbalance bars, the running expectations) is
returned as a small frame, one row per symbol; passing it to the next partition's call resumes
every bar where it stopped. Processing a range in one call, or partition by partition with the
carry, gives identical bars and an identical final carry (tested), because the kernels load and
store exactly this state at a symbol block's edges and do nothing else differently.

Columns: the kernel's float fields (``threshold`` of the open bar, ``filled`` measure so far,
``open``, ``high``, ``low``, ``close``, ``volume``, ``dollar_volume``, ``buy_volume``,
``sell_volume``), ``ts_open`` and ``ts`` (first and last contributing trade, UTC),
``trade_count``, ``active`` (a bar is open), ``last_price``/``last_tick`` (tick-rule state), and
any extra fields a bar family adds. Index: ``symbol`` (str). A symbol absent from a partition
keeps its row unchanged; a symbol never seen has no row and starts fresh. The carry is plain data
(a few rows), so it can be stored beside the bars or passed between Dagster runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import utc
from vvv_pipeline.bars.signing import initial_state

TS_FIELDS = ("ts_open", "ts")
SIGN_FIELDS = ("last_price", "last_tick")


def empty_state(
    n_codes: int, float_fields: tuple[str, ...], int_fields: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed state arrays: no open bar (``active`` 0) for every code."""
    return np.zeros((n_codes, len(float_fields))), np.zeros((n_codes, len(int_fields)), np.int64)


def load(
    carry: pd.DataFrame | None,
    categories: pd.Index,
    float_fields: tuple[str, ...],
    int_fields: tuple[str, ...],
    float_defaults: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """State arrays (floats, ints, last price, last tick) for ``categories`` from a carry.

    ``float_defaults`` fill fields of symbols the carry does not know (e.g. initial
    expectations of imbalance bars); everything else starts at zero / unknown.
    """
    sf, si = empty_state(len(categories), float_fields, int_fields)
    last_price, last_tick = initial_state(len(categories))
    for name, value in (float_defaults or {}).items():
        sf[:, float_fields.index(name)] = value
    if carry is None or carry.empty:
        return sf, si, last_price, last_tick
    rows = carry.index.get_indexer(categories)
    known = rows >= 0
    taken = carry.iloc[rows[known]]
    for j, name in enumerate(float_fields):
        sf[known, j] = taken[name].to_numpy(dtype=np.float64)
    for j, name in enumerate(int_fields):
        if name == "code":
            continue
        column = taken[name]
        is_ts = name in TS_FIELDS
        si[known, j] = column.array.asi8 if is_ts else column.to_numpy(dtype=np.int64)
    last_price[known] = taken["last_price"].to_numpy(dtype=np.float64)
    last_tick[known] = taken["last_tick"].to_numpy(dtype=np.int8)
    return sf, si, last_price, last_tick


def dump(
    previous: pd.DataFrame | None,
    categories: pd.Index,
    present: np.ndarray,
    sf: np.ndarray,
    si: np.ndarray,
    last_price: np.ndarray,
    last_tick: np.ndarray,
    float_fields: tuple[str, ...],
    int_fields: tuple[str, ...],
) -> pd.DataFrame:
    """The carry after a call: rows for symbols seen now, plus untouched rows of ``previous``."""
    keep = present.copy()
    if previous is not None and not previous.empty:
        keep |= categories.isin(previous.index)
    data: dict[str, object] = {name: sf[keep, j] for j, name in enumerate(float_fields)}
    for j, name in enumerate(int_fields):
        if name == "code":
            continue
        values = si[keep, j]
        if name in TS_FIELDS:
            data[name] = utc(values)
        elif name == "active":
            data[name] = values.astype(bool)
        else:
            data[name] = values
    data["last_price"] = last_price[keep]
    data["last_tick"] = last_tick[keep]
    frame = pd.DataFrame(data, index=pd.Index(np.asarray(categories[keep], dtype=object)))
    if previous is not None and not previous.empty:
        untouched = previous.loc[~previous.index.isin(categories)]
        frame = (
            pd.concat([frame, untouched.astype(frame.dtypes.to_dict())])
            if len(untouched)
            else frame
        )
    frame.index.name = "symbol"
    return frame.sort_index()
