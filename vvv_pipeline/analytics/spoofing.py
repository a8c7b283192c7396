"""Spoof-like behaviour: size bursts and open-interest bursts that vanish within seconds.

A spoofer shows size to move others and pulls it before it matters; what remains on a tape is a
short, one-sided burst that is gone again seconds later. A real participant's flow persists.
Both detectors below record the persistent bursts too (``size_surge``, ``oi_step``), so a
reader sees what was judged. Rows are events in :data:`~.trap_events.EVENT_COLUMNS`.

**Size bursts** (:func:`size_bursts`, from trades with ``symbol``, ``ts``, ``size`` and
``aggressor``). Per symbol and New York date, a *large print* has ``size >= BIG_PRINT x`` the
day's median print size and a known side (aggressor 1 or -1). Large prints of one side chain
while each follows the previous within :data:`MAX_GAP_S`; a chain of at least
:data:`MIN_PRINTS` prints is a burst. A burst spanning at most :data:`VANISH_S` from its first
to its last print is a ``size_spoof``; a longer one is a ``size_surge``. ``size`` is the chain's
total, ``multiple`` its mean print over the day's median print.

**Open-interest bursts** (:func:`oi_bursts`, from 5-second OI windows with ``symbol``, ``ts``,
``oi_change`` and ``oi_change_pct``). A window whose change has a robust z of at least
:data:`OI_MIN_Z` within its symbol-day (:func:`~.oi_spikes.robust_z`) and is at least
:data:`OI_MIN_FRACTION` of the open interest is a burst. It is an ``oi_spoof`` when the windows
of the next :data:`UNDO_S` seconds take it back, their summed change opposite in sign and
between :data:`UNDO_SHARE` and ``1 / UNDO_SHARE`` of it (the open interest is back where it
was), else an ``oi_step``. A burst inside the undo of an earlier spoof is that
spoof's undo, not a burst of its own. ``size`` is the signed change, ``multiple`` its z.

Quote-size flicker needs quote sizes; no source here carries them (the equity tape has the NBBO
prices only), so it is not measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import symbol_days
from vvv_pipeline.analytics.oi_spikes import new_york_date, robust_z
from vvv_pipeline.analytics.trap_events import as_events, empty_events
from vvv_pipeline.bars.frames import ts_ns

BIG_PRINT = 20.0
"""Times the day's median print a print must reach to count as large: about the largest 3 % of
prints on an ordinary tape, so chains of them are rare unless someone is pushing size."""
MIN_PRINTS = 5
"""Large same-side prints a burst needs: two or three arrive together by chance on a busy tape."""
MAX_GAP_S = 1.0
"""Largest gap, seconds, between the prints of one burst: a burst is one decision, not a trend."""
VANISH_S = 5.0
"""Longest first-to-last span, seconds, of a burst that vanished: "within seconds"."""
OI_MIN_Z = 8.0
"""Robust z an OI change needs: ordinary 5-second churn stays far below."""
OI_MIN_FRACTION = 0.005
"""Smallest OI change, as a fraction of the open interest (0.5 %), worth calling a burst."""
UNDO_S = 30
"""Seconds within which the change must be undone: six 5-second windows."""
UNDO_SHARE = 0.8
"""The following windows take back between 80 % and 125 % (1 / 0.8) of the change: the open
interest is back where it was. A larger opposite move is a new burst, not an undo."""
OI_WINDOW_S = 5
"""Width of the open-interest windows (:func:`~vvv_pipeline.bars.oi_windows`), seconds."""
_NS = 1_000_000_000


def size_bursts(trades: pd.DataFrame) -> pd.DataFrame:
    """Size spoofs and surges of every symbol-day of ``trades``; rules in the module docs."""
    days = symbol_days(trades, ("symbol", "ts", "size", "aggressor"), "trades")
    if days.count == 0:
        return empty_events()
    size = days.frame["size"].to_numpy(np.float64)
    side = days.frame["aggressor"].to_numpy(np.int64)
    median = pd.Series(size).groupby(days.day).median().to_numpy()[days.day]
    large = np.flatnonzero((size >= BIG_PRINT * median) & (side != 0))
    order = large[np.lexsort((days.ts[large], side[large], days.day[large]))]
    day, sides, ts = days.day[order], side[order], days.ts[order]
    joins = np.r_[False, (day[1:] == day[:-1]) & (sides[1:] == sides[:-1])]
    joins[1:] &= ts[1:] - ts[:-1] <= MAX_GAP_S * _NS
    chain = np.cumsum(~joins) - 1
    if len(chain) == 0:
        return empty_events()
    prints = np.bincount(chain)
    firsts = np.flatnonzero(~joins)
    lasts = np.r_[firsts[1:], len(order)] - 1
    total = np.bincount(chain, weights=size[order])
    burst = prints >= MIN_PRINTS
    span = (ts[lasts] - ts[firsts]) / _NS
    vanished = span <= VANISH_S
    first = order[firsts]
    events = pd.DataFrame(
        {
            "symbol": days.keys["symbol"].astype(str).to_numpy()[days.day[first]],
            "ts": days.ts[first],
            "kind": np.where(vanished, "size_spoof", "size_surge"),
            "direction": side[first],
            "level": np.nan,
            "level_source": "",
            "extreme": np.nan,
            "excursion": np.nan,
            "participation": np.nan,
            "size": total,
            "multiple": total / prints / median[first],
            "duration_s": np.where(vanished, span, np.nan),
        }
    )
    return as_events(events[burst])


def oi_bursts(windows: pd.DataFrame) -> pd.DataFrame:
    """OI spoofs and steps of every symbol's 5-second windows; rules in the module docs."""
    required = ["symbol", "ts", "oi_change", "oi_change_pct"]
    missing = [c for c in required if c not in windows.columns]
    if missing:
        raise ValueError(f"windows: missing required column(s) {missing}")
    if windows.empty:
        return empty_events()
    frame = windows.assign(symbol=windows["symbol"].astype(str))
    frame = frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
    ts = ts_ns(pd.to_datetime(frame["ts"], utc=True))
    symbol = frame["symbol"].to_numpy()
    change = frame["oi_change"].to_numpy(np.float64)
    fraction = frame["oi_change_pct"].to_numpy(np.float64)
    z = robust_z(
        frame["oi_change_pct"].astype(np.float64), [frame["symbol"], new_york_date(frame["ts"])]
    )
    with np.errstate(invalid="ignore"):
        cand = np.flatnonzero((z >= OI_MIN_Z) & (np.abs(fraction) >= OI_MIN_FRACTION))
    sign = np.sign(change[cand])
    undone_at = np.full(len(cand), -1, dtype=np.int64)  # row of the window completing the undo
    taken = np.zeros(len(cand))
    for k in range(1, UNDO_S // OI_WINDOW_S + 1):  # windows are at least 5 seconds apart
        row = np.minimum(cand + k, len(ts) - 1)
        near = (
            (cand + k < len(ts))
            & (symbol[row] == symbol[cand])
            & (ts[row] - ts[cand] <= UNDO_S * _NS)
        )
        taken += np.where(near, -sign * np.nan_to_num(change[row]), 0.0)
        back = (taken >= UNDO_SHARE * np.abs(change[cand])) & (
            taken <= np.abs(change[cand]) / UNDO_SHARE
        )
        done = near & (undone_at < 0) & back
        undone_at[done] = row[done]
    spoof = undone_at >= 0
    # a burst inside the undo of the previous spoof is that undo
    inside = np.r_[False, spoof[:-1] & (cand[1:] <= undone_at[:-1])] if len(cand) else spoof
    keep = ~inside
    events = pd.DataFrame(
        {
            "symbol": symbol[cand],
            "ts": ts[cand],
            "kind": np.where(spoof, "oi_spoof", "oi_step"),
            "direction": sign.astype(np.int64),
            "level": np.nan,
            "level_source": "",
            "extreme": np.nan,
            "excursion": np.nan,
            "participation": np.nan,
            "size": change[cand],
            "multiple": z[cand],
            "duration_s": np.where(spoof, (ts[np.maximum(undone_at, 0)] - ts[cand]) / _NS, np.nan),
        }
    )
    return as_events(events[keep])
