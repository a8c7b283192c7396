"""The event table of the trap and spoof detectors, and its per-day counts.

:mod:`.traps` (bull and bear traps, held breakouts) and :mod:`.spoofing` (size and open-interest
bursts) both emit events: one row per event in :data:`EVENT_COLUMNS`, a column that does not
apply to a kind holding NaN. :func:`trap_summary` counts them per symbol-day (:data:`COLUMNS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ

TRAP_KINDS = ("bull_trap", "bear_trap", "breakout_up", "breakout_down")
SPOOF_KINDS = ("size_spoof", "size_surge", "oi_spoof", "oi_step")
KINDS = (*TRAP_KINDS, *SPOOF_KINDS)

EVENT_COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "ts": "start of the event, UTC: the breakout bar, or a burst's first print or OI window",
    "kind": "bull_trap, bear_trap, breakout_up, breakout_down (held), size_spoof, size_surge "
    "(persistent), oi_spoof or oi_step (persistent)",
    "direction": "1 up / buying / OI added, -1 down / selling / OI removed, int64",
    "level": "the level broken (traps and breakouts), quote currency; NaN for bursts",
    "level_source": "where the level comes from: vah, val or the zone kind (supply, demand, hvn, "
    "lvn) of the previous day; empty for bursts",
    "extreme": "the furthest price beyond the level (traps and breakouts); NaN for bursts",
    "excursion": "(extreme - level) x direction / the scale (the median bar range before it); "
    "NaN for bursts",
    "participation": "mean volume of the push (the breakout bar to the extreme's) / of the "
    "approach (the bars before it); traps and breakouts, NaN for bursts",
    "size": "the burst's traded size (shares or base units) or open-interest change (base "
    "units, signed); NaN for traps and breakouts",
    "multiple": "size bursts: mean print size / the day's median print size; OI bursts: robust "
    "z of the change; NaN for traps and breakouts",
    "duration_s": "seconds from the start until it failed (traps: the reversal bar) or vanished "
    "(spoofs: the last print, or the window undoing the change); NaN when it held",
}

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "levels": "reference levels the day was read against (the previous day's), int64",
    "bull_traps": "upward breakouts that failed on falling participation, int64",
    "bear_traps": "downward breakouts that failed on falling participation, int64",
    "breakouts_up": "upward breakouts that held, int64",
    "breakouts_down": "downward breakouts that held, int64",
    "size_spoofs": "one-sided bursts of large prints that vanished within seconds, int64",
    "size_surges": "bursts of large prints that persisted, int64",
    "oi_spoofs": "open-interest bursts undone within seconds (crypto only), int64",
    "oi_steps": "open-interest bursts that stayed (crypto only), int64",
}
"""Per symbol-day counts; equities have no open interest, so their table drops ``oi_*``."""
COUNTED: dict[str, str] = dict(zip(KINDS, list(COLUMNS)[3:], strict=True))
"""Event kind -> the column counting it."""
EQUITY_COLUMNS = {name: doc for name, doc in COLUMNS.items() if not name.startswith("oi_")}


def as_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Event rows in :data:`EVENT_COLUMNS` order and dtypes, sorted by (symbol, ts, kind)."""
    if frame.empty:
        return empty_events()
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"].astype(str).to_numpy(),
            "ts": pd.to_datetime(np.asarray(frame["ts"]), utc=True),
            "kind": frame["kind"].astype(str).to_numpy(),
            "direction": frame["direction"].to_numpy(np.int64),
            "level_source": frame["level_source"].astype(str).to_numpy(),
            **{
                name: frame[name].to_numpy(np.float64)
                for name in ("level", "extreme", "excursion", "participation", "size", "multiple")
            },
            "duration_s": frame["duration_s"].to_numpy(np.float64),
        }
    )
    out = out.sort_values(["symbol", "ts", "kind"], ignore_index=True)
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(set(out["symbol"])))
    return out[list(EVENT_COLUMNS)]


def empty_events() -> pd.DataFrame:
    columns = {name: pd.Series(dtype=np.float64) for name in EVENT_COLUMNS}
    columns |= {
        "symbol": pd.Series(pd.Categorical([])),
        "ts": pd.Series(dtype="datetime64[ns, UTC]"),
    }
    columns |= {"kind": pd.Series(dtype=object), "level_source": pd.Series(dtype=object)}
    columns["direction"] = pd.Series(dtype=np.int64)
    return pd.DataFrame(columns)[list(EVENT_COLUMNS)]


def trap_summary(
    days: pd.DataFrame, events: pd.DataFrame, levels: pd.DataFrame, crypto: bool
) -> pd.DataFrame:
    """Counts per kind of each symbol-day of ``days`` (``symbol``, ``date``): the levels it was
    read against and the events of each kind (an event belongs to the New York date of its
    ``ts``). Columns :data:`COLUMNS` (crypto) or :data:`EQUITY_COLUMNS` (equities)."""
    columns = COLUMNS if crypto else EQUITY_COLUMNS
    out = days[["symbol", "date"]].astype({"symbol": str}).drop_duplicates()
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out = out.sort_values(["symbol", "date"], ignore_index=True)
    per_level = levels.astype({"symbol": str}).groupby(["symbol", "date"]).size()
    out["levels"] = _counts(out, per_level)
    if len(events):
        stamps = pd.to_datetime(events["ts"], utc=True).dt.tz_convert(EXCHANGE_TZ)
        dated = pd.DataFrame(
            {
                "symbol": events["symbol"].astype(str).to_numpy(),
                "date": stamps.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]"),
                "kind": events["kind"].astype(str).to_numpy(),
            }
        )
        per_kind = dated.groupby(["kind", "symbol", "date"]).size()
    else:
        per_kind = pd.Series(dtype=np.int64)
    for kind, column in COUNTED.items():
        if column in columns:
            found = per_kind.xs(kind) if kind in per_kind.index.get_level_values(0) else None
            out[column] = _counts(out, found)
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(set(out["symbol"])))
    return out[list(columns)]


def _counts(keys: pd.DataFrame, per_day: pd.Series | None) -> np.ndarray:
    """``per_day`` (indexed by symbol, date) at each row of ``keys``; 0 where absent."""
    if per_day is None or per_day.empty:
        return np.zeros(len(keys), dtype=np.int64)
    index = pd.MultiIndex.from_frame(keys[["symbol", "date"]])
    return per_day.reindex(index, fill_value=0).to_numpy(np.int64)
