"""Yahoo chart corporate actions: ``events.dividends``, ``events.splits`` and ``adjclose``.

A chart requested with ``events=div,splits`` carries, beside the bars,

- ``events.dividends``: ``{"<epoch s>": {"amount": 0.24, "date": <epoch s>}}``, the cash
  amount per share on its ex-date (already split-adjusted, like the prices);
- ``events.splits``: ``{"<epoch s>": {"date": ..., "numerator": 4, "denominator": 1,
  "splitRatio": "4:1"}}``, shares after per share before;
- ``indicators.adjclose[0].adjclose``: the close back-adjusted for dividends (Yahoo's close
  is already split-adjusted), one value per bar.

An event's ``date`` is the start of its session's bar, so it is mapped to a session date in the
exchange's zone exactly as the bars are; an event on a session outside the bars is dropped.
Two dividends on one session add up; two splits multiply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.providers.errors import SchemaDriftError
from vvv_pipeline.providers.live.drift import parse_numbers

PROVIDER = "yahoo"


def session_dates(seconds: np.ndarray, zone: str) -> pd.DatetimeIndex:
    """Naive session dates of bar (or event) start times given in epoch seconds."""
    starts = pd.to_datetime(seconds.astype(np.int64), unit="s", utc=True)
    return starts.tz_convert(zone).tz_localize(None).normalize()


def _events(result: Mapping[str, Any], kind: str, endpoint: str) -> list[Mapping[str, Any]]:
    events = result.get("events") or {}
    if not isinstance(events, Mapping):
        raise SchemaDriftError(PROVIDER, endpoint, "events", "'events' is not an object")
    table = events.get(kind) or {}
    if not isinstance(table, Mapping) or not all(isinstance(v, Mapping) for v in table.values()):
        raise SchemaDriftError(PROVIDER, endpoint, kind, f"'events.{kind}' is not a table")
    return list(table.values())


def _field(events: list[Mapping[str, Any]], name: str, kind: str, endpoint: str) -> np.ndarray:
    if any(name not in e for e in events):
        raise SchemaDriftError(PROVIDER, endpoint, name, f"an {kind} event lacks {name!r}")
    values = pd.Series([e[name] for e in events], dtype=object)
    return parse_numbers(values, name, PROVIDER, endpoint)


def _on_sessions(
    events: list[Mapping[str, Any]],
    values: np.ndarray,
    sessions: pd.DatetimeIndex,
    zone: str,
    kind: str,
    endpoint: str,
    combine: str,
) -> np.ndarray:
    """Per-bar totals (sum or product) of event values, keyed by the event's session date."""
    neutral = 0.0 if combine == "sum" else 1.0
    out = np.full(len(sessions), neutral)
    if not events:
        return out
    dates = session_dates(_field(events, "date", kind, endpoint), zone)
    per_day = pd.Series(values, index=dates).groupby(level=0).agg(combine)
    position = sessions.get_indexer(per_day.index)
    found = position >= 0
    out[position[found]] = per_day.to_numpy()[found]
    return out


def dividends(
    result: Mapping[str, Any], sessions: pd.DatetimeIndex, zone: str, endpoint: str
) -> np.ndarray:
    """Cash dividend per share of each bar's session (0 where none goes ex)."""
    events = _events(result, "dividends", endpoint)
    amounts = _field(events, "amount", "dividends", endpoint) if events else np.empty(0)
    return _on_sessions(events, amounts, sessions, zone, "dividends", endpoint, "sum")


def split_ratios(
    result: Mapping[str, Any], sessions: pd.DatetimeIndex, zone: str, endpoint: str
) -> np.ndarray:
    """numerator / denominator of each bar's session split (1 where none)."""
    events = _events(result, "splits", endpoint)
    if not events:
        return np.ones(len(sessions))
    ratio = _field(events, "numerator", "splits", endpoint) / _field(
        events, "denominator", "splits", endpoint
    )
    return _on_sessions(events, ratio, sessions, zone, "splits", endpoint, "prod")


def adjusted_closes(indicators: Mapping[str, Any], close: np.ndarray, endpoint: str) -> np.ndarray:
    """``adjclose`` per bar; the close where Yahoo sends none (no adjustment known)."""
    block = indicators.get("adjclose")
    if not block:
        return close.copy()
    if not isinstance(block, list) or not isinstance(block[0], Mapping):
        why = "'indicators.adjclose' is not a list"
        raise SchemaDriftError(PROVIDER, endpoint, "adjclose", why)
    values = block[0].get("adjclose")
    if values is None:
        return close.copy()
    if not isinstance(values, list) or len(values) != len(close):
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise SchemaDriftError(
            PROVIDER, endpoint, "adjclose", f"'adjclose' has {size} values for {len(close)} bars"
        )
    parsed = parse_numbers(pd.Series(values, dtype=object), "adjclose", PROVIDER, endpoint)
    return np.where(np.isnan(parsed), close, parsed)
