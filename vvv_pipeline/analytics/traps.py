"""Bull and bear traps: breakouts through a value-area edge or a zone that fail within a few bars
while participation falls. Rows of the event table :mod:`.trap_events`.

Inputs of :func:`detect_traps`: 1-minute time bars (``symbol``, ``ts``, ``high``, ``low``,
``close``, ``volume``) and the reference levels of each symbol-day (:func:`reference_levels`).
A level is known only once its day has ended, so a day is read against the levels of its
symbol's latest earlier day: that day's value-area high and low (market profile) and the far
edges of its price zones. A level has a direction ``s``: +1 for the levels price breaks upward
(``vah`` and each zone's top, ``price_high``), -1 for those it breaks downward (``val`` and each
zone's bottom, ``price_low``). Per symbol-day and level ``L``:

- **Breakout**: bar ``b`` closes beyond ``L`` (``s (close - L) > 0``) and bar ``b-1`` did not.
- **Scale**: the median high-low range of the :data:`SCALE_BARS` bars before ``b`` (at least
  :data:`MIN_SCALE_BARS` of them that day, else the breakout is not judged).
- **Reversal**: the first bar of ``b+1 .. b+REVERSAL_BARS`` closing back at or inside ``L``.
- **Excursion**: ``s (extreme - L) / scale``; the extreme is the highest high (``s = +1``) or
  lowest low of the bars beyond the level (``b`` up to the reversal, else the next
  :data:`REVERSAL_BARS`).
- **Participation**: the mean volume of the bars from ``b`` to the one that made the extreme
  (the push) over the mean volume of the :data:`APPROACH_BARS` bars before ``b`` (at least
  :data:`MIN_SCALE_BARS` of them).
- **Trap** (``bull_trap`` for ``s = +1``, ``bear_trap`` for -1): reversed, excursion >=
  :data:`MIN_EXCURSION` and participation <= :data:`FALLING_PARTICIPATION`.
- **Held breakout** (``breakout_up``, ``breakout_down``): excursion >= :data:`MIN_EXCURSION`
  and no close back inside during the :data:`REVERSAL_BARS` bars after ``b`` (all of them
  printed that day). Other crossings are noise around the level, or rejections on rising
  volume, and are not recorded.
- **One event per push**: of the events of one symbol-day and kind, one whose breakout bar is
  within :data:`REVERSAL_BARS` bars of the previous one is merged into it; at one bar the level
  nearest the inside (the first one broken) is kept. A push that breaks two levels and comes
  back through the outer one only is a trap at the outer level and a held breakout at the
  inner one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import symbol_days
from vvv_pipeline.analytics.trap_events import TRAP_KINDS, as_events, empty_events
from vvv_pipeline.metadata_tiers.windows import safe_div

REVERSAL_BARS = 5
"""N: a failed breakout closes back inside within 5 one-minute bars; a slower return is the
market changing its mind, not a trap."""
SCALE_BARS = 30
"""Bars whose median range is the price scale: half an hour adapts to the regime and the time of
day without the breakout's own bars in it."""
MIN_SCALE_BARS = 5
"""Fewest earlier bars of the day a breakout needs for a scale and a participation baseline."""
APPROACH_BARS = 10
"""Bars before the breakout whose mean volume is the participation baseline: the approach."""
MIN_EXCURSION = 3.0
"""Scale units the push must reach beyond the level: ordinary one-minute noise around a level
crosses it back and forth by about one bar range, a trap runs the stops beyond it."""
FALLING_PARTICIPATION = 0.5
"""Largest ratio of the breakout bars' volume to the approach's that counts as falling: a
breakout pushed on half the approach's volume or less has no one following it."""

LEVEL_MAX_AGE = pd.Timedelta(days=7)
"""Oldest reference day used: a holiday weekend leaves four days between sessions; a profile a
week older than the day no longer describes where its market traded."""

_BAR_COLUMNS = ("symbol", "ts", "high", "low", "close", "volume")
_LEVEL_COLUMNS = ("symbol", "date", "level", "source", "direction")


def reference_levels(
    summary: pd.DataFrame,
    zones: pd.DataFrame | None,
    days: pd.DataFrame,
    max_age: pd.Timedelta = LEVEL_MAX_AGE,
) -> pd.DataFrame:
    """The levels of each of ``days`` (``symbol``, ``date``): the ``vah``/``val`` of ``summary``
    (market profile rows) and the zone edges of ``zones`` on its symbol's latest earlier date,
    at most ``max_age`` before. Columns ``symbol``, ``date``, ``level``, ``source``,
    ``direction``."""
    parts = [
        summary[["symbol", "date", edge]].rename(columns={edge: "level"}).assign(source=edge, s=s)
        for edge, s in (("vah", 1), ("val", -1))
    ]
    if zones is not None and len(zones):
        for edge, s in (("price_high", 1), ("price_low", -1)):
            part = zones[["symbol", "date", edge, "kind"]].rename(columns={edge: "level"})
            parts.append(part.rename(columns={"kind": "source"}).assign(s=s))
    known = pd.concat(parts, ignore_index=True).rename(columns={"s": "direction"})
    known = known.astype({"symbol": str, "source": str, "direction": np.int64})
    known["date"] = pd.to_datetime(known["date"]).astype("datetime64[ns]")
    source_days = known[["symbol", "date"]].drop_duplicates().rename(columns={"date": "from"})
    wanted = days[["symbol", "date"]].astype({"symbol": str}).drop_duplicates()
    wanted["date"] = pd.to_datetime(wanted["date"]).astype("datetime64[ns]")
    source_days["on"] = source_days["from"]
    matched = pd.merge_asof(
        wanted.sort_values("date"),
        source_days.sort_values("on"),
        left_on="date",
        right_on="on",
        by="symbol",
        allow_exact_matches=False,
        tolerance=max_age,
    ).dropna(subset=["from"])
    out = matched[["symbol", "date", "from"]].merge(
        known.rename(columns={"date": "from"}), on=["symbol", "from"]
    )
    out = out.dropna(subset=["level"]).drop(columns="from")
    out = out.drop_duplicates(["symbol", "date", "level", "direction"])
    out = out.sort_values(["symbol", "date", "direction", "level"], ignore_index=True)
    return out[list(_LEVEL_COLUMNS)]


def detect_traps(bars: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Traps and held breakouts of every symbol-day of ``bars`` against its ``levels``
    (:func:`reference_levels`); rules in the module docs, columns
    :data:`~.trap_events.EVENT_COLUMNS`."""
    missing = [name for name in _LEVEL_COLUMNS if name not in levels.columns]
    if missing:
        raise ValueError(f"levels: missing columns {missing}")
    days = symbol_days(bars, _BAR_COLUMNS, "bars")
    if days.count == 0 or levels.empty:
        return empty_events()
    keys = days.keys.assign(symbol=days.keys["symbol"].astype(str), day=range(days.count))
    lv = levels.astype({"symbol": str}).merge(keys, on=["symbol", "date"])
    frame = days.frame
    close = frame["close"].to_numpy(np.float64)
    high, low = frame["high"].to_numpy(np.float64), frame["low"].to_numpy(np.float64)
    volume = frame["volume"].to_numpy(np.float64)
    day_start = days.starts[days.day]
    n_bars = np.diff(np.r_[days.starts, len(days.day)])

    # every (level, bar of its day) pair, level by level, bars in time order
    level_day = lv["day"].to_numpy()
    counts = n_bars[level_day]
    pair_level = np.repeat(np.arange(len(lv)), counts)
    pair_bar = np.arange(len(pair_level)) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_bar += np.repeat(days.starts[level_day], counts)
    price, side = lv["level"].to_numpy(np.float64), lv["direction"].to_numpy(np.int64)
    beyond = side[pair_level] * (close[pair_bar] - price[pair_level]) > 0
    same = np.r_[False, pair_level[1:] == pair_level[:-1]]
    cand = np.flatnonzero(beyond & same & ~np.r_[False, beyond[:-1]])
    level, bar = pair_level[cand], pair_bar[cand]
    s, at = side[level], price[level]

    # look ahead up to N bars: the first close back inside, and the extreme before it
    reversal = np.zeros(len(cand), dtype=np.int64)  # bars after b; 0 = none within N
    extreme = np.where(s > 0, high[bar], low[bar])
    extreme_at = bar.copy()  # the bar that made it
    whole = np.ones(len(cand), dtype=bool)  # all N bars after b printed that day
    for k in range(1, REVERSAL_BARS + 1):
        nxt = np.minimum(cand + k, len(pair_level) - 1)
        ok = (cand + k < len(pair_level)) & (pair_level[nxt] == level)
        whole &= ok
        back = ok & (reversal == 0) & ~beyond[nxt]
        reversal[back] = k
        j = pair_bar[nxt]
        further = ok & (reversal == 0) & (s * (np.where(s > 0, high[j], low[j]) - extreme) > 0)
        extreme = np.where(further, np.where(s > 0, high[j], low[j]), extreme)
        extreme_at = np.where(further, j, extreme_at)
    scale = _trailing_median_range(high - low, bar, day_start[bar])
    excursion = s * (extreme - at) / scale
    cum = np.r_[0.0, np.cumsum(volume)]
    first = np.maximum(day_start[bar], bar - APPROACH_BARS)
    approach = np.where(
        bar - first >= MIN_SCALE_BARS, (cum[bar] - cum[first]) / (bar - first), np.nan
    )
    pushing = (cum[extreme_at + 1] - cum[bar]) / (extreme_at - bar + 1)
    participation = safe_div(pushing, approach)

    trap = (reversal > 0) & (excursion >= MIN_EXCURSION) & (participation <= FALLING_PARTICIPATION)
    held = (reversal == 0) & whole & (excursion >= MIN_EXCURSION)
    keep = trap | held
    kind = np.where(s > 0, np.where(trap, 0, 2), np.where(trap, 1, 3))
    ts = days.ts
    duration = np.where(trap, (ts[np.minimum(bar + reversal, len(ts) - 1)] - ts[bar]) / 1e9, np.nan)
    events = pd.DataFrame(
        {
            "symbol": lv["symbol"].to_numpy()[level],
            "ts": ts[bar],
            "kind": np.asarray(TRAP_KINDS, dtype=object)[kind],
            "direction": s,
            "level": at,
            "level_source": lv["source"].to_numpy()[level],
            "extreme": extreme,
            "excursion": excursion,
            "participation": participation,
            "size": np.nan,
            "multiple": np.nan,
            "duration_s": duration,
            "_bar": bar,
            "_day": level_day[level],
        }
    )[keep]
    return as_events(_one_per_push(events))


def _trailing_median_range(rng: np.ndarray, bar: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Median of ``rng`` over the up to SCALE_BARS bars before each ``bar`` of its day (NaN with
    fewer than MIN_SCALE_BARS)."""
    offsets = np.arange(-SCALE_BARS, 0)
    index = bar[:, None] + offsets[None, :]
    window = np.where(index >= start[:, None], rng[np.maximum(index, 0)], np.nan)
    enough = np.isfinite(window).sum(axis=1) >= MIN_SCALE_BARS
    with np.errstate(invalid="ignore"):
        median = (
            np.nanmedian(np.where(enough[:, None], window, 0.0), axis=1) if len(bar) else rng[:0]
        )
    return np.where(enough & (median > 0), median, np.nan)


def _one_per_push(events: pd.DataFrame) -> pd.DataFrame:
    """The first event of each run of one symbol-day and kind whose breakout bars lie within
    REVERSAL_BARS of the previous one (at one bar: the level nearest the inside)."""
    if events.empty:
        return events
    events = events.assign(_inside=events["direction"] * events["level"])
    events = events.sort_values(["_day", "kind", "_bar", "_inside"], kind="stable")
    day, kind, bar = (events[c].to_numpy() for c in ("_day", "kind", "_bar"))
    joins = np.r_[False, (day[1:] == day[:-1]) & (kind[1:] == kind[:-1])]
    joins[1:] &= bar[1:] - bar[:-1] <= REVERSAL_BARS
    return events[~joins]
