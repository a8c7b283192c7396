"""Flow views per (symbol, day): dark-pool share and large prints, options premium, news tone.

Inputs, each optional (a source not passed leaves its columns NaN):

- ``volume``: lit volume per symbol-day, columns ``symbol``, ``date``, ``volume`` (tier 1's
  :func:`~vvv_pipeline.metadata_tiers.tier1_summary.tier1_summary` of equity ticks: regular
  session, shares);
- ``darkpool``: ``darkpool_prints`` rows; only prints inside the XNYS regular session count, on
  that session's date (prints on a non-session day or outside ``[open, close)`` are dropped), to
  match the lit volume's window;
- ``options``: ``options_flow`` alerts, on their New York calendar date;
- ``news``: ``news_headlines`` rows (one per headline and ticker), on their New York date.

Rows: one per (symbol, date) present in any passed input, sorted. A passed source with no rows
for a row's symbol-day gives counts and sums of 0 there (ratios and means stay NaN). Counts are
float64 so that a source not passed can be NaN. Formulas in :data:`COLUMNS`.

**Dark-pool share** is ``dp_volume / (volume + dp_volume)``: the lit tape and the TRF prints
are separate sources here, so their sum is the day's total volume and the share is in [0, 1];
NaN where the lit volume of that symbol-day is unknown. **Large prints** are dark-pool prints of
at least ``large_print_usd`` of premium (``price x size``; default $5,000,000, roughly where
institutional block desks start to count a print as a block across the mega-cap universe).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.oi_spikes import new_york_date
from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.calendars import EXCHANGE_TZ, is_session, session_bounds

LARGE_PRINT_USD = 5_000_000.0

COLUMNS: dict[str, str] = {
    "symbol": "equity symbol (category)",
    "date": "session date (dark pool) / New York calendar date (options, news), tz-naive",
    "dp_volume": "sum of regular-session dark-pool print sizes, shares",
    "dp_share": "dp_volume / (lit volume + dp_volume), in [0, 1]; NaN without lit volume",
    "dp_premium": "sum of dark-pool print premium (price x size), USD",
    "large_prints": "dark-pool prints with premium >= large_print_usd (default $5M)",
    "call_premium": "sum of call alert premium, USD",
    "put_premium": "sum of put alert premium, USD",
    "put_call_premium_ratio": "put_premium / call_premium; NaN when call_premium is 0",
    "sweeps": "options alerts flagged is_sweep",
    "floors": "options alerts flagged is_floor",
    "alerts": "options alerts",
    "news_count": "headline rows mentioning the symbol",
    "sentiment_mean": "mean sentiment_score, in [-1, 1]; NaN without news",
    "sentiment_balance": "(positive - negative labels) / news_count, in [-1, 1]; NaN without news",
}

_KEYS = ["symbol", "date"]


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}")


def _keyed(frame: pd.DataFrame, date: pd.Series) -> pd.DataFrame:
    """``frame`` with ``symbol`` as text and a ``date`` column, for grouping."""
    out = frame.reset_index(drop=True).copy()
    out["symbol"] = out["symbol"].astype(str)
    out["date"] = date.to_numpy()
    return out


def in_regular_session(ts: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(mask of instants inside their New York day's XNYS session, that session date).

    One calendar lookup per distinct day, then a vectorized comparison per row.
    """
    date = new_york_date(ts)
    ns = ts_ns(pd.to_datetime(ts, utc=True))
    days = np.unique(date.to_numpy())
    sessions = [session_bounds(d) if is_session(d) else None for d in days]
    opens = np.array([b[0].value if b else 0 for b in sessions], dtype=np.int64)
    closes = np.array([b[1].value if b else 0 for b in sessions], dtype=np.int64)
    at = np.searchsorted(days, date.to_numpy())
    return (ns >= opens[at]) & (ns < closes[at]), date


def _darkpool(prints: pd.DataFrame, large_print_usd: float) -> pd.DataFrame:
    _require(prints, "darkpool", ["symbol", "ts", "size", "premium"])
    inside, date = in_regular_session(prints["ts"])
    frame = _keyed(prints, date).loc[inside]
    frame["large"] = frame["premium"] >= large_print_usd
    return frame.groupby(_KEYS).agg(
        dp_volume=("size", "sum"), dp_premium=("premium", "sum"), large_prints=("large", "sum")
    )


def _options(alerts: pd.DataFrame) -> pd.DataFrame:
    _require(alerts, "options", ["symbol", "ts", "option_type", "premium", "is_sweep", "is_floor"])
    frame = _keyed(alerts, new_york_date(alerts["ts"]))
    kind = frame["option_type"].astype(str)
    frame["call"] = frame["premium"].where(kind == "call", 0.0)
    frame["put"] = frame["premium"].where(kind == "put", 0.0)
    return frame.groupby(_KEYS).agg(
        call_premium=("call", "sum"),
        put_premium=("put", "sum"),
        sweeps=("is_sweep", "sum"),
        floors=("is_floor", "sum"),
        alerts=("premium", "size"),
    )


def _news(headlines: pd.DataFrame) -> pd.DataFrame:
    _require(headlines, "news", ["symbol", "ts", "sentiment", "sentiment_score"])
    frame = _keyed(headlines, new_york_date(headlines["ts"]))
    label = frame["sentiment"].astype(str)
    frame["tilt"] = (label == "positive").astype(float) - (label == "negative").astype(float)
    return frame.groupby(_KEYS).agg(
        news_count=("tilt", "size"),
        sentiment_mean=("sentiment_score", "mean"),
        tilt=("tilt", "sum"),
    )


def _lit(volume: pd.DataFrame) -> pd.DataFrame:
    _require(volume, "volume", ["symbol", "date", "volume"])
    date = pd.to_datetime(volume["date"])
    if date.dt.tz is not None:
        date = date.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    date = date.dt.normalize().astype("datetime64[ns]")
    frame = _keyed(volume[["symbol", "volume"]], date)
    if frame.duplicated(_KEYS).any():
        raise ValueError("volume: more than one row for a (symbol, date)")
    return frame.set_index(_KEYS)[["volume"]].astype(np.float64)


def flow_view(
    volume: pd.DataFrame | None = None,
    darkpool: pd.DataFrame | None = None,
    options: pd.DataFrame | None = None,
    news: pd.DataFrame | None = None,
    large_print_usd: float = LARGE_PRINT_USD,
) -> pd.DataFrame:
    """One row per (symbol, date) of the passed inputs; columns in :data:`COLUMNS`."""
    lit = None if volume is None else _lit(volume)
    parts = [
        None if darkpool is None else _darkpool(darkpool, large_print_usd),
        None if options is None else _options(options),
        None if news is None else _news(news),
    ]
    index = pd.MultiIndex.from_tuples([], names=_KEYS)
    for part in [lit, *parts]:
        if part is not None:
            index = index.union(part.index)
    out = pd.DataFrame(index=index.sort_values())
    for part in parts:
        if part is None:
            continue
        joined = part.astype(np.float64).reindex(out.index)
        # a passed source is observed on every row: no rows there means zero activity
        sums = [c for c in joined.columns if c != "sentiment_mean"]
        joined[sums] = joined[sums].fillna(0.0)
        out = out.join(joined)
    out = out.reindex(columns=[*list(COLUMNS)[2:], "tilt"])
    lit_volume = lit["volume"].reindex(out.index) if lit is not None else np.nan
    total = lit_volume + out["dp_volume"]
    out["dp_share"] = out["dp_volume"] / total.where(total > 0)
    out["put_call_premium_ratio"] = out["put_premium"] / out["call_premium"].where(
        out["call_premium"] > 0
    )
    out["sentiment_balance"] = out["tilt"] / out["news_count"].where(out["news_count"] > 0)
    out = out.reset_index()
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(out["symbol"].unique()))
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out[list(COLUMNS)]
