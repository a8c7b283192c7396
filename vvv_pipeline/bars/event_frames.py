"""Output frames of event-driven bars (volume, dollar, tick and tick-imbalance bars).

Those bars close on an event, not a clock, so they are labelled by the **close**: ``ts`` is the
time of the trade that completes the bar (``ts_open`` the first contributing trade's). Why the
close: a bar belongs to the partition in which it completes, so a partition's bars all have
``ts`` inside that partition's window and a storage ``update(date_range=window)`` replaces
exactly them, while a bar that began in the previous partition (via the carry) is still written
once. One large trade can complete several bars: they share ``ts`` (rows keep their order).

Columns (:data:`EVENT_BAR_COLUMNS`): ``symbol``, ``ts``, ``ts_open``, ``open``, ``high``,
``low``, ``close``, ``volume``, ``dollar_volume``, ``vwap``, ``trade_count`` (trade parts in the
bar: a split trade counts in each bar it touches), ``buy_volume``, ``sell_volume``,
``threshold`` (the target the bar was built to), ``complete`` (False only for the partial bars
that ``include_partial=True`` appends); imbalance bars add their own columns after these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import symbols, utc

EVENT_BAR_COLUMNS = [
    "symbol",
    "ts",
    "ts_open",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "dollar_volume",
    "vwap",
    "trade_count",
    "buy_volume",
    "sell_volume",
    "threshold",
    "complete",
]


def append_partials(
    out_f: np.ndarray, out_i: np.ndarray, sf: np.ndarray, si: np.ndarray, seen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add each symbol's open bar (state rows, ``active`` 0) after its completed bars.

    Completed rows are in order of symbol appearance (``seen`` ranks), so a stable sort on that
    rank puts every partial row right after its symbol's last completed bar.
    """
    codes = np.flatnonzero((seen > 0) & (si[:, -1] == 1))
    part_i = si[codes].copy()
    part_i[:, 0] = codes
    part_i[:, -1] = 0
    floats = np.concatenate([out_f, sf[codes]])
    ints = np.concatenate([out_i, part_i])
    order = np.argsort(seen[ints[:, 0]], kind="stable")
    return floats[order], ints[order]


def event_bars_frame(
    out_f: np.ndarray,
    out_i: np.ndarray,
    categories: pd.Index,
    float_fields: tuple[str, ...],
    int_fields: tuple[str, ...],
    integer_volume: bool,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Kernel output rows -> the documented frame; ``extra`` float fields follow the standard ones.

    ``integer_volume`` casts volume, buy and sell volume back to int64 (exact: the kernel's
    float64 sums of whole shares are whole).
    """
    f = {name: out_f[:, j] for j, name in enumerate(float_fields)}
    i = {name: out_i[:, j] for j, name in enumerate(int_fields)}
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = f["dollar_volume"] / f["volume"]
    volumes = {name: f[name] for name in ("volume", "buy_volume", "sell_volume")}
    if integer_volume:
        volumes = {name: np.round(v).astype(np.int64) for name, v in volumes.items()}
    frame = pd.DataFrame(
        {
            "symbol": symbols(i["code"], categories),
            "ts": utc(np.ascontiguousarray(i["ts"])),
            "ts_open": utc(np.ascontiguousarray(i["ts_open"])),
            "open": f["open"],
            "high": f["high"],
            "low": f["low"],
            "close": f["close"],
            "volume": volumes["volume"],
            "dollar_volume": f["dollar_volume"],
            "vwap": vwap,
            "trade_count": i["trade_count"],
            "buy_volume": volumes["buy_volume"],
            "sell_volume": volumes["sell_volume"],
            "threshold": f["threshold"],
            "complete": i["active"].astype(bool),
        }
    )
    for name in extra:
        frame[name] = f[name]
    return frame
