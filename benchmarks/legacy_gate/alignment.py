"""Tier 2 (WARN): session alignment and time-zone consistency, as pure vectorized functions.

:func:`check_alignment` takes one partition's frame, its source and the partition's half-open
window ``[start, end)`` (tz-aware) and returns a
:class:`~vvv_pipeline.validation.results.TierResult`.

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
  :data:`TZ_SHIFT_MAX_SHARE` of the partition's rows look shifted; the rows also count under
  ``outside_session``, this kind names the likely cause.

Crypto sources (24/7) are judged against the partition window itself:

* ``outside_window``: rows with ``ts`` outside ``[start, end)``.
* ``timezone_shift``: those of them that land inside the window after adding the New York
  offset at the window start. (A shift that keeps rows inside a wider window cannot be told
  from real trading by time alone and is not detected.)

Any source: ``ts_not_utc`` when ``ts`` is not tz-aware (nothing else is evaluated). Other
sources (news, daily bars, economic series) have no session rule here: the result passes with
no kinds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.validation.alignment import (
    inside_spans,
    sessions_in,
)
from vvv_pipeline.validation.masks import window_ns
from vvv_pipeline.validation.results import Collector, TierResult, ts_ns

TIER = 2
SESSION_SOURCES = ("equity_ticks", "darkpool_prints", "options_flow")
WINDOW_SOURCES = ("crypto_trades", "crypto_open_interest")
OUTSIDE_SESSION_MAX_ROWS = 0
"""Unflagged rows outside the session allowed (clean data is regular-hours only)."""
EXTENDED_FLAG_MAX_ROWS = 0
"""Rows flagged extended-hours inside the session allowed."""
OUTSIDE_WINDOW_MAX_ROWS = 0
"""Crypto rows outside the partition window allowed."""
TZ_SHIFT_MAX_SHARE = 0.01
"""Largest share of a partition's rows that may look shifted by the New York offset."""


def check_alignment(
    frame: pd.DataFrame, source: str, window: tuple[pd.Timestamp, pd.Timestamp]
) -> TierResult:
    """Tier-2 session alignment and time-zone checks of one partition; see the module doc."""
    source = str(source)
    out = Collector(frame)
    n = len(frame)
    out.metrics["rows"] = float(n)
    if source not in SESSION_SOURCES + WINDOW_SOURCES:
        return out.result(TIER, source, with_runs=False)
    t = ts_ns(frame)
    if t is None:
        out.add("ts_not_utc", n, np.arange(min(n, 1)), failed=n > 0)
        return out.result(TIER, source, with_runs=False)

    if source in SESSION_SOURCES:
        spans = sessions_in(window)
        out.metrics["sessions"] = float(len(spans))
        inside = inside_spans(t, spans)
        outside = ~inside
        shift_spans = spans[:, :2] - spans[:, 2:3]  # where shifted rows land
        shifted = outside & inside_spans(t, shift_spans)
        flagged = None
        if source == "equity_ticks" and "extended_hours" in frame.columns:
            flagged = frame["extended_hours"].to_numpy(dtype=bool)
            ext_inside = flagged & inside
            n_ext = int(np.count_nonzero(ext_inside))
            out.add(
                "extended_flag_inside",
                n_ext,
                np.flatnonzero(ext_inside),
                n_ext > EXTENDED_FLAG_MAX_ROWS,
            )
            out.metrics["extended_hours_rows"] = float(np.count_nonzero(flagged & outside))
            outside = outside & ~flagged
        n_out = int(np.count_nonzero(outside))
        out.add("outside_session", n_out, np.flatnonzero(outside), n_out > OUTSIDE_SESSION_MAX_ROWS)
        out.metrics["outside_share"] = n_out / n if n else 0.0
    else:
        lo, hi = window_ns(window)
        outside = (t < lo) | (t >= hi)
        offset = -pd.Timestamp(lo, tz="UTC").tz_convert(EXCHANGE_TZ).utcoffset()
        off = pd.Timedelta(offset).value
        shifted = outside & (t + off >= lo) & (t + off < hi)
        n_out = int(np.count_nonzero(outside))
        out.add("outside_window", n_out, np.flatnonzero(outside), n_out > OUTSIDE_WINDOW_MAX_ROWS)
        out.metrics["outside_share"] = n_out / n if n else 0.0

    n_shift = int(np.count_nonzero(shifted))
    share = n_shift / n if n else 0.0
    out.add("timezone_shift", n_shift, np.flatnonzero(shifted), share > TZ_SHIFT_MAX_SHARE)
    out.metrics["tz_shift_share"] = share
    return out.result(TIER, source, with_runs=False)
