"""Tier 3 — cross-source context per (symbol, day): dark pool, options flow, news, open interest.

Windows (see :mod:`~vvv_pipeline.metadata_tiers.windows`): lit volume (``equity_ticks``) and
dark-pool prints use the XNYS regular session of ``day``; options flow, news and crypto open
interest use the New York calendar day. Every column is always present; a source that is not passed
leaves its columns NaN. When a source *is* passed, its counts are 0 (not NaN) for a symbol that
appears only in other sources. Counts are float64 so a missing source can be NaN. One row per symbol
seen in any passed source on that day, sorted by symbol.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import is_session
from vvv_pipeline.metadata_tiers.windows import (
    DayLike,
    as_date,
    calendar_window,
    day_window,
    group_codes,
    group_count,
    group_first_last,
    group_sum,
    in_window,
    safe_div,
    symbol_column,
)

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session / New York calendar date, tz-naive midnight",
    "lit_volume": "regular-session equity tick volume, shares",
    "dark_volume": "regular-session dark-pool print size sum, shares",
    "dark_share": "dark_volume / (lit_volume + dark_volume), in [0, 1]",
    "dark_print_count": "dark-pool prints in the session",
    "dark_premium_bps": "size-weighted mean of (price / NBBO mid - 1) x 1e4 over prints with "
    "nbbo_bid > 0 and nbbo_ask > 0, bps (positive: printed above the mid)",
    "call_premium": "sum of call alert premium over the NY day, USD",
    "put_premium": "sum of put alert premium, USD",
    "put_call_premium_ratio": "put_premium / call_premium (NaN when call_premium is 0)",
    "call_alerts": "options-flow alerts on calls",
    "put_alerts": "options-flow alerts on puts",
    "sweep_alerts": "alerts flagged is_sweep (calls and puts)",
    "news_count": "headline rows mentioning the symbol over the NY day",
    "news_positive": "headlines labelled positive",
    "news_negative": "headlines labelled negative",
    "sentiment_balance": "(news_positive - news_negative) / news_count, in [-1, 1]",
    "sentiment_mean": "mean sentiment_score, in [-1, 1]",
    "oi_first": "first open-interest sample of the NY day, base units (crypto)",
    "oi_last": "last open-interest sample of the NY day, base units",
    "oi_change": "oi_last - oi_first, base units",
    "oi_change_pct": "(oi_last / oi_first - 1) x 100, percent",
}

_OPTION_COUNTS = ("call_premium", "put_premium", "call_alerts", "put_alerts", "sweep_alerts")
_NEWS_COUNTS = ("news_count", "news_positive", "news_negative")


def _grouped(frame: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, int] | None:
    if frame is None or len(frame) == 0:
        return None
    codes, names = group_codes(frame["symbol"])
    return codes, names, len(names)


def _darkpool(lit: pd.DataFrame | None, dark: pd.DataFrame | None) -> pd.DataFrame:
    parts = []
    if lit is not None and len(lit):
        codes, names = group_codes(lit["symbol"])
        size = lit["size"].to_numpy(dtype=np.float64)
        parts.append(pd.DataFrame({"lit_volume": group_sum(codes, size, len(names))}, names))
    if dark is not None and len(dark):
        codes, names = group_codes(dark["symbol"])
        g = len(names)
        price = dark["price"].to_numpy(dtype=np.float64)
        size = dark["size"].to_numpy(dtype=np.float64)
        mid = (dark["nbbo_bid"].to_numpy(dtype=np.float64) + dark["nbbo_ask"].to_numpy()) / 2.0
        ok = (dark["nbbo_bid"].to_numpy() > 0) & (dark["nbbo_ask"].to_numpy() > 0)
        bps = np.where(ok, (price / np.where(ok, mid, 1.0) - 1.0) * 1e4, 0.0)
        w = np.where(ok, size, 0.0)
        parts.append(
            pd.DataFrame(
                {
                    "dark_volume": group_sum(codes, size, g),
                    "dark_print_count": group_count(codes, g).astype(np.float64),
                    "dark_premium_bps": safe_div(
                        group_sum(codes, w * bps, g), group_sum(codes, w, g)
                    ),
                },
                names,
            )
        )
    return pd.concat(parts, axis=1) if parts else pd.DataFrame()


def _options(flow: pd.DataFrame | None) -> pd.DataFrame:
    grouped = _grouped(flow)
    if grouped is None:
        return pd.DataFrame()
    codes, names, g = grouped
    premium = flow["premium"].to_numpy(dtype=np.float64)
    is_call = (flow["option_type"].astype(str) == "call").to_numpy()
    is_put = (flow["option_type"].astype(str) == "put").to_numpy()
    calls = group_sum(codes, np.where(is_call, premium, 0.0), g)
    puts = group_sum(codes, np.where(is_put, premium, 0.0), g)
    return pd.DataFrame(
        {
            "call_premium": calls,
            "put_premium": puts,
            "put_call_premium_ratio": safe_div(puts, calls),
            "call_alerts": group_sum(codes, is_call, g),
            "put_alerts": group_sum(codes, is_put, g),
            "sweep_alerts": group_sum(codes, flow["is_sweep"].to_numpy(dtype=bool), g),
        },
        names,
    )


def _news(news: pd.DataFrame | None) -> pd.DataFrame:
    grouped = _grouped(news)
    if grouped is None:
        return pd.DataFrame()
    codes, names, g = grouped
    label = news["sentiment"].astype(str).to_numpy()
    n = group_count(codes, g).astype(np.float64)
    pos = group_sum(codes, label == "positive", g)
    neg = group_sum(codes, label == "negative", g)
    score = news["sentiment_score"].to_numpy(dtype=np.float64)
    valid = ~np.isnan(score)
    return pd.DataFrame(
        {
            "news_count": n,
            "news_positive": pos,
            "news_negative": neg,
            "sentiment_balance": safe_div(pos - neg, n),
            "sentiment_mean": safe_div(
                group_sum(codes[valid], score[valid], g), group_count(codes[valid], g)
            ),
        },
        names,
    )


def _open_interest(oi: pd.DataFrame | None) -> pd.DataFrame:
    if oi is None or len(oi) == 0:
        return pd.DataFrame()
    oi = oi.loc[oi["open_interest"].notna()]
    grouped = _grouped(oi)
    if grouped is None:
        return pd.DataFrame()
    codes, names, g = grouped
    first, last = group_first_last(codes, g)
    values = oi["open_interest"].to_numpy(dtype=np.float64)
    lo, hi = values[first], values[last]
    return pd.DataFrame(
        {
            "oi_first": lo,
            "oi_last": hi,
            "oi_change": hi - lo,
            "oi_change_pct": (safe_div(hi, lo) - 1.0) * 100.0,
        },
        names,
    )


def tier3_context(
    day: DayLike,
    equity_ticks: pd.DataFrame | None = None,
    darkpool: pd.DataFrame | None = None,
    options: pd.DataFrame | None = None,
    news: pd.DataFrame | None = None,
    open_interest: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cross-source context of ``day``; frames are canonical (any symbols, any extra rows).

    Equity frames are only read when ``day`` is an XNYS session (else they contribute nothing).
    """
    calendar = calendar_window(day)
    session = is_session(as_date(day))
    lit = dark = None
    if session:
        window = day_window("equity_ticks", day)
        lit = in_window(equity_ticks, window) if equity_ticks is not None else None
        dark = in_window(darkpool, window) if darkpool is not None else None
    parts = [
        _darkpool(lit, dark),
        _options(in_window(options, calendar) if options is not None else None),
        _news(in_window(news, calendar) if news is not None else None),
        _open_interest(in_window(open_interest, calendar) if open_interest is not None else None),
    ]
    parts = [p for p in parts if len(p)]
    merged = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    merged = merged.sort_index().reindex(
        columns=[c for c in COLUMNS if c not in ("symbol", "date")]
    )
    passed = {
        "lit_volume": session and equity_ticks is not None,
        "dark_volume": session and darkpool is not None,
        "dark_print_count": session and darkpool is not None,
    }
    passed |= dict.fromkeys(_OPTION_COUNTS, options is not None)
    passed |= dict.fromkeys(_NEWS_COUNTS, news is not None)
    for name, given in passed.items():
        if given:
            merged[name] = merged[name].fillna(0.0)
    if passed["lit_volume"] and passed["dark_volume"]:
        merged["dark_share"] = safe_div(
            merged["dark_volume"], merged["lit_volume"] + merged["dark_volume"]
        )
    merged = merged.astype(np.float64)
    out = merged.reset_index(drop=True)
    out.insert(0, "date", pd.DatetimeIndex([as_date(day)] * len(out)).astype("datetime64[ns]"))
    out.insert(0, "symbol", symbol_column(list(merged.index)))
    return out[list(COLUMNS)]
