"""Tier 2 (WARN) kernels: session alignment and time-zone consistency, vectorized.

The kinds below are pandera checks (:mod:`.registered_tiers`) declared in the rule table
(:mod:`.rule_table`, limits included); these are the numpy kernels their bodies call, on ``ts``
as int64 UTC nanoseconds and the partition's half-open window ``[start, end)``.

Equity sources (``equity_ticks``, ``darkpool_prints``, ``options_flow``) are judged against the
XNYS sessions overlapping the window, ``[open, close)`` with early closes (from
:func:`vvv_pipeline.calendars.session_bounds`):

* ``outside_session``: rows outside every session. For ``equity_ticks`` only the rows *not*
  flagged ``extended_hours`` (a flagged extended-hours print outside the session is consistent;
  it is counted as the metric ``extended_hours_rows``). So "flag False outside the session" is
  exactly this kind for ticks.
* ``extended_flag_inside`` (``equity_ticks``): ``extended_hours`` True inside the session.
* ``timezone_shift``: rows outside the session that fall inside it once the New York UTC offset
  of that session (+5 h EST, +4 h EDT) is added back: New York wall time stamped as UTC, which
  moves rows *earlier* (the simulator's ``shifted_timezone`` fault). Fails when more than
  :data:`~.rule_table.TZ_SHIFT_MAX_SHARE` of the partition's rows look shifted; the rows
  also count under ``outside_session``, this kind names the likely cause.

Crypto sources (24/7) are judged against the partition window itself:

* ``outside_window``: rows with ``ts`` outside ``[start, end)``.
* ``timezone_shift``: those of them that land inside the window after adding the New York
  offset at the window start. (A shift that keeps rows inside a wider window cannot be told
  from real trading by time alone and is not detected.)

Any source with tier-2 rules: ``ts_not_utc`` when ``ts`` is not tz-aware (the schema's dtype;
nothing else is evaluated). Other sources (news, daily bars, economic series) have no session
rule: their result passes with no kinds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, session_bounds, sessions_between
from vvv_pipeline.validation.masks import window_ns


def sessions_in(window: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    """(open_ns, close_ns, ny_offset_ns) of each XNYS session overlapping ``window``.

    ``ny_offset_ns`` is how far New York wall time labelled as UTC lands before the true
    instant (5 h in winter, 4 h in summer), taken at the session open.
    """
    lo, hi = window_ns(window)
    first = pd.Timestamp(lo, tz="UTC").tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    last = pd.Timestamp(hi - 1, tz="UTC").tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    rows = []
    for day in sessions_between(first, last):
        open_, close = session_bounds(day)
        if open_.value < hi and close.value > lo:
            offset = -open_.tz_convert(EXCHANGE_TZ).utcoffset()
            rows.append((open_.value, close.value, pd.Timedelta(offset).value))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def inside_spans(t: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Rows of ``t`` inside any ``[open, close)`` span (spans sorted and disjoint)."""
    if not len(spans):
        return np.zeros(len(t), dtype=bool)
    at = np.searchsorted(spans[:, 0], t, side="right") - 1
    ok = at >= 0
    return ok & (t < spans[np.maximum(at, 0), 1])


def session_masks(t: np.ndarray, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, int]:
    """(inside a session, outside but inside once the NY offset is added back, sessions)."""
    lo, hi = window
    spans = sessions_in((pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC")))
    inside = inside_spans(t, spans)
    shift_spans = spans[:, :2] - spans[:, 2:3]  # where shifted rows land
    return inside, ~inside & inside_spans(t, shift_spans), len(spans)


def window_masks(t: np.ndarray, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(outside ``[lo, hi)``, outside but inside once the NY offset at ``lo`` is added back)."""
    lo, hi = window
    outside = (t < lo) | (t >= hi)
    offset = -pd.Timestamp(lo, tz="UTC").tz_convert(EXCHANGE_TZ).utcoffset()
    off = pd.Timedelta(offset).value
    return outside, outside & (t + off >= lo) & (t + off < hi)
