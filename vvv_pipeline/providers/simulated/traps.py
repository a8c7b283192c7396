"""Ground truth for the trap and spoof detectors: patterns injected into simulated frames.

The simulated market never calls these functions, so its sources (and everything stored from
them) stay exactly as they were; the trap benchmark and the tests apply them to frames the
market returned. Each function returns the changed frame and the labels of what it placed:
``symbol``, ``ts`` (UTC), ``kind`` and ``level`` (the level a trap breaks, NaN for bursts).
Everything is drawn from streams named by (seed, pattern, symbol, day), so one symbol-day's
injection does not depend on the others.

- :func:`inject_traps` (equity ticks or crypto trades, and the levels the detector will read
  the day against): a **bull trap** starts at a minute whose close is 1.5-3 scale units below
  an upward level after five closes below it (scale: the median one-minute range of the 30
  minutes up to it), where the path's own closes stay inside the level for the next 8 minutes
  (the level holds, so the break is a false one). The price is blended linearly from the path
  to a target 3.5-6 units beyond the level over 1-2.5 minutes and back to the path over the
  next 1-2.5 minutes; meanwhile only 25-45 % of the trades print and none larger than the
  day's 90th percentile (participation falls). Quotes move with the price. A **bear trap** is
  the mirror image below a downward level. The label is the push's start.
- :func:`inject_size_bursts` (equity ticks or crypto trades): 6-12 new prints of one side,
  each 30-80 times the day's median print, within 0.5-3 seconds; equity prints take the quote
  of the trade before them (buys at the ask, sells at the bid) and are round lots. Trade ids
  are renumbered in time order per symbol so they stay unique and increasing.
- :func:`inject_oi_bursts` (open-interest samples): 0.8-2.5 % of the open interest added (or
  removed) for 1-4 samples (5-20 seconds), then gone; ``open_interest_value`` follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.simulated.crypto import price_decimals, size_decimals
from vvv_pipeline.providers.simulated.seeding import rng_for

LABEL_COLUMNS = ("symbol", "ts", "kind", "level")
TRAP_LEAD_S = 45 * 60
"""No trap in a day's first 45 minutes: the detector judges a breakout against the 30 bars
before it."""
TRAP_TAIL_S = 20 * 60
"""Nor in its last 20 minutes: the reversal must fit before the close."""
SPACING_S = 30 * 60
"""Least time between two injected traps of one symbol-day, so each is judged on its own."""
SCALE_MINUTES = 30
"""Minutes whose median one-minute range is the scale at a trap's start: the detector's own
yardstick (the median range of the 30 bars before a breakout)."""
APPROACH_GAP = (1.5, 3.0)
"""Scale units inside the level at the start: close enough to be a test of the level, far
enough that the path alone rarely crosses it during the trap."""
HOLDS_MINUTES = 8
HOLDS_MARGIN = 0.5
"""The path's own closes stay 0.5 scale units inside the level for the 8 minutes after the
start: the level holds, so the injected break is a false one and the price can come back."""
PUSH = (3.5, 6.0)
"""Scale units beyond the level at the peak: the stop run."""
LEG_S = (60.0, 150.0)
"""Seconds of the push out and of the return."""
KEEP = (0.25, 0.45)
"""Share of the trades that print while the trap runs."""
BIG_QUANTILE = 0.9
"""Prints above the day's 90th percentile size are absent during a trap: no large player."""
BURST_PRINTS = (6, 12)
BURST_SPAN_S = (0.5, 3.0)
BURST_SIZE = (30.0, 80.0)
"""A burst's prints, its span in seconds and each print's size in day-median prints."""
BURST_SPACING_S = 120.0
"""Least time between two bursts of one symbol-day."""
AVOID_S = 15 * 60
"""Least time between a burst and a label it must avoid (a trap runs for at most 5 minutes)."""
OI_SHARE = (0.008, 0.025)
OI_SAMPLES = (1, 4)
"""An OI burst's size as a fraction of the open interest, and its life in 5-second samples."""
OI_EDGE_SAMPLES = 10
"""Samples kept clear at a day's ends: a burst and its undo both fall inside the day."""
OI_SPACING_SAMPLES = 24
"""Least samples (two minutes) between two OI bursts of a day; a draw closer is skipped."""
_NS = 1_000_000_000
_MINUTE = 60 * _NS


def _days(frame: pd.DataFrame) -> list[tuple[str, pd.Timestamp, np.ndarray]]:
    """(symbol, New York date, row positions in time order) of each symbol-day of ``frame``."""
    if frame.empty:
        return []
    local = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(EXCHANGE_TZ)
    date = local.dt.tz_localize(None).dt.normalize().to_numpy()
    symbol = frame["symbol"].astype(str).to_numpy()
    groups = pd.DataFrame({"symbol": symbol, "date": date}).groupby(["symbol", "date"]).indices
    ts = _ns(frame)
    return [
        (name, pd.Timestamp(day), rows[np.argsort(ts[rows], kind="stable")])
        for (name, day), rows in sorted(groups.items())
    ]


def _ns(frame: pd.DataFrame) -> np.ndarray:
    stamps = pd.to_datetime(frame["ts"], utc=True)
    return stamps.dt.as_unit("ns").array.asi8


def _labels(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    labels = pd.DataFrame(rows, columns=list(LABEL_COLUMNS))
    labels["ts"] = pd.to_datetime(labels["ts"].astype(np.int64), utc=True)
    labels["level"] = labels["level"].astype(np.float64)
    return labels.sort_values(["symbol", "ts"], ignore_index=True)


def _decimals(frame: pd.DataFrame, prices: np.ndarray) -> int:
    """Price decimals of one symbol's ``prices``: cents for equities (they carry a quote), the
    pair's tick for crypto."""
    return 2 if "bid" in frame.columns else price_decimals(float(np.median(prices)))


def inject_traps(
    trades: pd.DataFrame, levels: pd.DataFrame, per_day: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to ``per_day`` bull and bear traps (alternating) in every symbol-day of ``trades``
    against its ``levels`` (``symbol``, ``date``, ``level``, ``direction``); fewer when the day
    never comes near a level. Returns the trades and the labels."""
    out = trades.copy()
    price = out["price"].to_numpy(np.float64).copy()
    quotes = {q: out[q].to_numpy(np.float64).copy() for q in ("bid", "ask") if q in out.columns}
    size = out["size"].to_numpy(np.float64)
    keep = np.ones(len(out), dtype=bool)
    ts_all = _ns(out) if len(out) else np.zeros(0, np.int64)
    by_day = {
        (str(s), pd.Timestamp(d)): g
        for (s, d), g in levels.assign(symbol=levels["symbol"].astype(str)).groupby(
            ["symbol", "date"]
        )
    }
    labels: list[tuple[str, int, str, float]] = []
    for symbol, day, rows in _days(out):
        mine = by_day.get((symbol, day))
        if mine is None:
            continue
        rng = rng_for(seed, "injected_traps", symbol, f"{day:%Y-%m-%d}")
        decimals = _decimals(out, price[rows])
        ts = ts_all[rows]
        minute = ts // _MINUTE
        firsts = np.flatnonzero(np.r_[True, minute[1:] != minute[:-1]])
        close = price[rows][np.r_[firsts[1:], len(rows)] - 1]
        spans = np.maximum.reduceat(price[rows], firsts) - np.minimum.reduceat(price[rows], firsts)
        scale = _trailing_median(spans)
        big = np.quantile(size[rows], BIG_QUANTILE)
        starts: list[int] = []
        for i in range(per_day):
            side = 1 if i % 2 == 0 else -1
            chosen = _trap_start(rng, minute[firsts], close, mine, side, scale, starts)
            if chosen is None:
                continue
            m, level = chosen
            t0 = int((minute[firsts][m] + 1) * _MINUTE)
            starts.append(t0)
            rise, fall = (rng.uniform(*LEG_S) * _NS for _ in range(2))
            target = level + side * rng.uniform(*PUSH) * scale[m]
            dt = ts - t0
            inside = (dt >= 0) & (dt < rise + fall)
            tent = np.clip(np.where(dt < rise, dt / rise, 1.0 - (dt - rise) / fall), 0.0, 1.0)
            # a blend of the path and the push's target: the trap's shape holds whatever the
            # path does meanwhile, and the price is back on the path when it ends
            shift = np.round(np.where(inside, tent * (target - price[rows]), 0.0), decimals)
            price[rows] = np.round(price[rows] + shift, decimals)
            for values in quotes.values():
                values[rows] = np.round(values[rows] + shift, decimals)
            thin = inside & ((rng.random(len(rows)) >= rng.uniform(*KEEP)) | (size[rows] > big))
            keep[rows[thin]] = False
            labels.append((symbol, t0, "bull_trap" if side > 0 else "bear_trap", float(level)))
    out["price"] = price
    for name, values in quotes.items():
        out[name] = values
    return out[keep].reset_index(drop=True), _labels(labels)


def _trap_start(
    rng: np.random.Generator,
    minutes: np.ndarray,
    close: np.ndarray,
    levels: pd.DataFrame,
    side: int,
    scale: np.ndarray,
    taken: list[int],
) -> tuple[int, float] | None:
    """A random (minute index, level) where a trap of ``side`` can start, or None."""
    at = levels.loc[levels["direction"] == side, "level"].to_numpy(np.float64)
    if not len(at) or len(minutes) < 10:
        return None
    lead, tail = minutes[0] + TRAP_LEAD_S // 60, minutes[-1] - TRAP_TAIL_S // 60
    gap = side * (at[None, :] - close[:, None]) / scale[:, None]
    fits = (gap >= APPROACH_GAP[0]) & (gap <= APPROACH_GAP[1])
    fits &= ((minutes >= lead) & (minutes <= tail))[:, None]
    for back in range(1, 6):  # the five closes before it were inside the level too
        earlier = np.r_[np.full(back, np.nan), close[:-back]]
        fits &= side * (at[None, :] - earlier[:, None]) > 0
    for ahead in range(1, HOLDS_MINUTES + 1):  # and the path alone stays inside meanwhile
        later = np.r_[close[ahead:], np.full(ahead, np.nan)]
        fits &= side * (at[None, :] - later[:, None]) > HOLDS_MARGIN * scale[:, None]
    for t0 in taken:
        fits &= (np.abs(minutes * _MINUTE - t0) >= SPACING_S * _NS)[:, None]
    m, k = np.nonzero(fits)
    if not len(m):
        return None
    pick = int(rng.integers(len(m)))
    return int(m[pick]), float(at[k[pick]])


def _trailing_median(spans: np.ndarray) -> np.ndarray:
    """Per minute: the median range of the SCALE_MINUTES minutes up to it (NaN before)."""
    if len(spans) < SCALE_MINUTES:
        return np.full(len(spans), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(spans, SCALE_MINUTES)
    median = np.median(windows, axis=1)
    return np.r_[np.full(SCALE_MINUTES - 1, np.nan), np.where(median > 0, median, np.nan)]


def inject_size_bursts(
    trades: pd.DataFrame, per_day: int, seed: int, avoid: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``per_day`` one-sided bursts of large prints in every symbol-day of ``trades``, at least
    :data:`AVOID_S` from the labels in ``avoid`` (e.g. injected traps: a burst inside a trap
    would be participation)."""
    if trades.empty:
        return trades.copy(), _labels([])
    equity = "bid" in trades.columns
    ts_all = _ns(trades)
    size = trades["size"].to_numpy(np.float64)
    new_rows: list[np.ndarray] = []
    new_ts: list[np.ndarray] = []
    new_size: list[np.ndarray] = []
    new_side: list[np.ndarray] = []
    labels: list[tuple[str, int, str, float]] = []
    for symbol, day, rows in _days(trades):
        rng = rng_for(seed, "injected_size_bursts", symbol, f"{day:%Y-%m-%d}")
        ts = ts_all[rows]
        median = float(np.median(size[rows]))
        lot = 100.0 if equity else 10.0 ** -size_decimals(float(trades["price"].iloc[rows[0]]))
        placed = [] if avoid is None else list(_ns(avoid[avoid["symbol"].astype(str) == symbol]))
        gaps = [AVOID_S * _NS] * len(placed)
        for _ in range(per_day):
            for _attempt in range(50):
                t0 = int(rng.integers(ts[0] + 60 * _NS, max(ts[0] + 61 * _NS, ts[-1] - 60 * _NS)))
                if all(abs(t0 - t) >= g for t, g in zip(placed, gaps, strict=True)):
                    break
            else:
                continue
            placed.append(t0)
            gaps.append(BURST_SPACING_S * _NS)
            count = int(rng.integers(BURST_PRINTS[0], BURST_PRINTS[1] + 1))
            span = rng.uniform(*BURST_SPAN_S) * _NS
            at = t0 + ((np.arange(count) + rng.random(count)) * span / count).astype(np.int64)
            at[0] = t0
            side = int(rng.choice([-1, 1]))
            lots = np.maximum(np.round(rng.uniform(*BURST_SIZE, count) * median / lot), 1.0)
            before = rows[np.maximum(np.searchsorted(ts, at, side="right") - 1, 0)]
            new_rows.append(before)
            new_ts.append(at)
            new_size.append(lots * lot)
            new_side.append(np.full(count, side))
            labels.append((symbol, t0, "size_spoof", np.nan))
    if not new_rows:
        return trades.copy(), _labels([])
    added = trades.iloc[np.concatenate(new_rows)].reset_index(drop=True)
    added["ts"] = pd.to_datetime(np.concatenate(new_ts), utc=True)
    sides = np.concatenate(new_side).astype(np.int8)
    added["aggressor"] = sides
    sizes = np.concatenate(new_size)
    if equity:
        added["size"] = sizes.astype(np.int64)
        added["price"] = np.where(sides > 0, added["ask"], added["bid"])
        if "@" in added["condition"].cat.categories:
            added["condition"] = pd.Categorical(["@"] * len(added), dtype=trades["condition"].dtype)
    else:
        added["size"] = np.round(sizes, 10)
    merged = pd.concat([trades, added], ignore_index=True)
    order = np.lexsort((_ns(merged), merged["symbol"].astype(str).to_numpy()))
    merged = merged.iloc[order].reset_index(drop=True)
    merged["trade_id"] = _renumbered(merged)
    return merged, _labels(labels)


def _renumbered(frame: pd.DataFrame) -> np.ndarray:
    """Ids in time order per symbol from the symbol's first id: unique and increasing."""
    symbol = frame["symbol"].astype(str).to_numpy()
    first = np.flatnonzero(np.r_[True, symbol[1:] != symbol[:-1]])
    count = np.diff(np.r_[first, len(frame)])
    base = np.repeat(frame["trade_id"].to_numpy(np.int64)[first], count)
    return base + (np.arange(len(frame)) - np.repeat(first, count))


def inject_oi_bursts(
    oi: pd.DataFrame, per_day: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``per_day`` open-interest bursts that vanish in every symbol-day of ``oi`` samples."""
    out = oi.copy()
    level = out["open_interest"].to_numpy(np.float64).copy()
    labels: list[tuple[str, int, str, float]] = []
    ts_all = _ns(out) if len(out) else np.zeros(0, np.int64)
    for symbol, day, rows in _days(out):
        if len(rows) < 4 * OI_EDGE_SAMPLES:
            continue
        rng = rng_for(seed, "injected_oi_bursts", symbol, f"{day:%Y-%m-%d}")
        placed: list[int] = []
        for _ in range(per_day):
            i = int(rng.integers(OI_EDGE_SAMPLES, len(rows) - OI_EDGE_SAMPLES))
            if any(abs(i - j) < OI_SPACING_SAMPLES for j in placed):
                continue
            placed.append(i)
            life = int(rng.integers(OI_SAMPLES[0], OI_SAMPLES[1] + 1))
            change = float(rng.choice([-1.0, 1.0]) * rng.uniform(*OI_SHARE) * level[rows[i]])
            level[rows[i : i + life]] = np.round(level[rows[i : i + life]] + change, 3)
            labels.append((symbol, int(ts_all[rows[i]]), "oi_spoof", np.nan))
    out["open_interest"] = level
    out["open_interest_value"] = level * out["mark_price"].to_numpy(np.float64)
    return out, _labels(labels)
