"""Simulated corporate actions: quarterly dividends, occasional splits, the adjusted close.

The simulator follows Yahoo's chart convention: ``close`` is already split-adjusted (the anchor
paths never jump at a split, so a split is an event without a price gap), and ``adj_close``
back-adjusts the close for dividends: each later ex-date multiplies it by
``1 - dividend / previous close``, the standard (CRSP, Yahoo) multiplier.

Deterministic and independent of the requested window:

- 70 % of equities pay (a stable hash of seed and symbol) a quarterly dividend of a fixed
  yield ``y`` in [0.2 %, 0.8 %] of the previous close, rounded to 1/10,000 USD. Its ex-date
  is the first XNYS session on or after the quarter's nominal date (quarter start plus a
  per-symbol phase of 0-59 days); FX and commodities pay nothing.
- 30 % of equities split once (2-, 3- or 4-for-1) on the first session on or after a nominal
  date drawn between 2016 and 2040.
- The adjustment is referenced to the end of the simulated horizon (as if fetched then, since
  "now" would make the data depend on the day it was generated): a session's factor is
  ``(1 - y) ** n`` with ``n`` the nominal ex-dates after it and before the horizon end. Between
  consecutive sessions ``n`` drops by one exactly at an ex-date, so the factor steps by
  ``1 - y``, which the rounded dividend reproduces to within 1e-4 relative.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.providers.simulated.anchors import HORIZON_END
from vvv_pipeline.providers.simulated.seeding import rng_for

PAYER_SHARE = 0.7
YIELD_RANGE = (0.002, 0.008)
SPLITTER_SHARE = 0.3
SPLIT_RATIOS = (2.0, 3.0, 4.0)
SPLIT_SPAN = (pd.Timestamp("2016-01-01"), pd.Timestamp("2040-12-31"))
DIVIDEND_DECIMALS = 4
FIRST_QUARTER = pd.Timestamp("2015-01-01")


@dataclass(frozen=True)
class Policy:
    """One equity's corporate actions over the horizon."""

    quarterly_yield: float
    """0 for a non-payer."""
    nominal_ex_dates: np.ndarray
    """Sorted datetime64 nominal ex-dates before the horizon end (empty for a non-payer)."""
    split_nominal: pd.Timestamp | None
    split_ratio: float


@lru_cache(maxsize=1024)
def policy(seed: int, symbol: str) -> Policy:
    rng = rng_for(seed, "corporate_actions", symbol)
    pays, phase, y, splits, when, which = rng.random(6)
    dates = np.array([], dtype="datetime64[ns]")
    quarterly = 0.0
    if pays < PAYER_SHARE:
        quarterly = YIELD_RANGE[0] + y * (YIELD_RANGE[1] - YIELD_RANGE[0])
        starts = pd.date_range(FIRST_QUARTER, HORIZON_END, freq="QS")
        nominal = starts + pd.Timedelta(days=int(phase * 60))
        dates = nominal[nominal < HORIZON_END].to_numpy(dtype="datetime64[ns]")
    split_at, ratio = None, 1.0
    if splits < SPLITTER_SHARE:
        span = (SPLIT_SPAN[1] - SPLIT_SPAN[0]).days
        split_at = SPLIT_SPAN[0] + pd.Timedelta(days=int(when * span))
        ratio = SPLIT_RATIOS[int(which * len(SPLIT_RATIOS))]
    return Policy(quarterly, dates, split_at, ratio)


def _first_session_on_or_after(nominal: pd.Timestamp, session: pd.Timestamp) -> bool:
    """Whether ``session`` is the first XNYS session on or after ``nominal``."""
    if session < nominal:
        return False
    return len(sessions_between(nominal, session - pd.Timedelta(days=1))) == 0


def _latest_nominal(dates: np.ndarray, session: pd.Timestamp) -> pd.Timestamp | None:
    at = int(np.searchsorted(dates, session.to_datetime64(), side="right"))
    return pd.Timestamp(dates[at - 1]) if at else None


def is_ex_date(seed: int, symbol: str, session: pd.Timestamp) -> bool:
    rule = policy(seed, symbol)
    nominal = _latest_nominal(rule.nominal_ex_dates, session)
    return nominal is not None and _first_session_on_or_after(nominal, session)


def dividend(seed: int, symbol: str, previous_close: float) -> float:
    """The cash dividend of an ex-date, given the previous session's close."""
    return round(policy(seed, symbol).quarterly_yield * previous_close, DIVIDEND_DECIMALS)


def split_ratio(seed: int, symbol: str, session: pd.Timestamp) -> float:
    """Shares after / before of a split effective on ``session`` (1.0 if none)."""
    rule = policy(seed, symbol)
    if rule.split_nominal is None:
        return 1.0
    return rule.split_ratio if _first_session_on_or_after(rule.split_nominal, session) else 1.0


def adjustment_factor(seed: int, symbol: str, session: pd.Timestamp) -> float:
    """``adj_close / close`` of ``session``: ``(1 - y) ** (nominal ex-dates after it)``."""
    rule = policy(seed, symbol)
    later = len(rule.nominal_ex_dates) - int(
        np.searchsorted(rule.nominal_ex_dates, session.to_datetime64(), side="right")
    )
    return (1.0 - rule.quarterly_yield) ** later


def previous_session(session: pd.Timestamp) -> pd.Timestamp:
    """The XNYS session before ``session`` (two weeks back always holds one)."""
    return sessions_between(session - pd.Timedelta(days=14), session - pd.Timedelta(days=1))[-1]
