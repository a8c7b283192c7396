"""Stored columns of the bar assets: time bars, 5-second open interest, event bars.

The bar modules list their output columns (``TIME_BAR_COLUMNS``...) but keep their meanings in
docstrings; the meanings are written here once, keyed by those lists, so a bar column added
without a meaning fails at import.
"""

from __future__ import annotations

from vvv_pipeline.bars.event_frames import EVENT_BAR_COLUMNS
from vvv_pipeline.bars.imbalance import EXTRA_COLUMNS
from vvv_pipeline.bars.open_interest import OI_WINDOW_COLUMNS
from vvv_pipeline.bars.time import FREQUENCIES, TIME_BAR_COLUMNS
from vvv_pipeline.schemas import UTC_TS
from vvv_pipeline.storage.derived import TIME_BARS, VOLUME_BARS
from vvv_pipeline.stored_columns.model import (
    BOOL,
    FLOAT,
    INT,
    NAIVE_TS,
    SeriesFamily,
    StoredTable,
    instrument,
    listed_columns,
    size_dtype,
)

EVENT_KINDS = ("volume", "dollar", "tick")
IMBALANCE_KIND = "tick_imbalance"
OI_SUFFIX = "/oi_5s"
SIZES = ("volume", "buy_volume", "sell_volume")

_PRICE_DOCS = {
    "open": "first trade price of the bar, quote currency",
    "high": "highest trade price of the bar, quote currency",
    "low": "lowest trade price of the bar, quote currency",
    "close": "last trade price of the bar, quote currency",
    "volume": "traded size: shares (equities) or base units (crypto)",
    "vwap": "sum(price x size) / volume, quote currency",
    "trade_count": "trades in the bar",
    "buy_volume": "volume of buys: the aggressor side where known, else the tick rule",
    "sell_volume": "volume of sells; volume of unknown side is in neither",
}
TIME_BAR_DOCS = {"ts": "bar start (left label), UTC; the series index", **_PRICE_DOCS}
BAR_OI_DOCS = {
    "oi_open": "open interest known at the bar's start (the last 5-second window ended by "
    "then), base units; NaN where nothing was collected before",
    "oi_close": "open interest known at the bar's end, base units; NaN where nothing was "
    "collected before",
    "oi_change": "oi_close - oi_open, base units (changes of consecutive bars add up)",
}
EVENT_BAR_DOCS = {
    **_PRICE_DOCS,
    "ts": "time of the trade that completes the bar, UTC; the series index (bars completed by "
    "one large trade share it)",
    "ts_open": "time of the bar's first contributing trade, UTC (ArcticDB returns it tz-naive)",
    "trade_count": "trade parts in the bar (a trade split at a boundary counts in each bar)",
    "dollar_volume": "sum(price x size), quote currency",
    "threshold": "the target the bar was built to: volume, dollar volume or trades per bar "
    "(tick imbalance bars: E[T] x |E[b]| when the bar opened)",
    "complete": "False only for the partition's last, partial bar of the symbol",
    "imbalance": "sum of trade signs (theta) when the bar closed",
    "expected_ticks": "E[T], the expected bar length in ticks, in force when the bar opened",
    "expected_imbalance": "E[b], the expected mean trade sign, in force when the bar opened",
}
OI_WINDOW_DOCS = {
    "ts": "start of the 5-second window, UTC; the series index",
    "open_interest": "open interest at the window's last sample, venues summed, base units",
    "open_interest_value": "open interest x mark price, venues summed, USDT",
    "mark_price": "OI-weighted mark price (open_interest_value / open_interest), USDT",
    "samples": "open-interest samples in the window (all venues)",
    "oi_change": "change from the previous window (also across midnight), base units; NaN "
    "without a previous window",
    "oi_change_pct": "oi_change / previous open interest, fraction; NaN without a previous window",
}


def time_bars(crypto: bool) -> StoredTable:
    """``{SYMBOL}/{freq}`` for every frequency; crypto bars add their open interest."""
    dtypes = {"ts": UTC_TS, "trade_count": INT} | dict.fromkeys(SIZES, size_dtype(crypto))
    columns = listed_columns(TIME_BAR_COLUMNS, TIME_BAR_DOCS, dtypes)
    if crypto:
        columns += listed_columns(list(BAR_OI_DOCS), BAR_OI_DOCS, {}, nullable=BAR_OI_DOCS)
    suffixes = tuple(f"/{freq}" for freq in FREQUENCIES)
    family = SeriesFamily(f"{instrument(crypto)}/{{freq}}", suffixes, columns)
    return StoredTable(f"{_prefix(crypto)}_time_bars", TIME_BARS, crypto, (family,))


def event_bars(crypto: bool) -> StoredTable:
    """One family per kind: dollar bars split trades at dollar boundaries, so their sizes are
    fractional even for equities; tick imbalance bars add their estimation columns."""
    base = {"ts": UTC_TS, "ts_open": NAIVE_TS, "trade_count": INT, "complete": BOOL}
    families = []
    for kind in (*EVENT_KINDS, IMBALANCE_KIND):
        size = FLOAT if kind == "dollar" else size_dtype(crypto)
        names = [*EVENT_BAR_COLUMNS, *(EXTRA_COLUMNS if kind == IMBALANCE_KIND else ())]
        columns = listed_columns(names, EVENT_BAR_DOCS, base | dict.fromkeys(SIZES, size))
        families.append(SeriesFamily(f"{instrument(crypto)}/{kind}", (f"/{kind}",), columns))
    return StoredTable(f"{_prefix(crypto)}_event_bars", VOLUME_BARS, crypto, tuple(families))


def oi_windows() -> StoredTable:
    """``{PAIR}/oi_5s``: the last sample of each 5-second window with its change."""
    columns = listed_columns(
        OI_WINDOW_COLUMNS,
        OI_WINDOW_DOCS,
        {"ts": UTC_TS, "samples": INT},
        nullable=("oi_change", "oi_change_pct"),
    )
    family = SeriesFamily(instrument(True) + OI_SUFFIX, (OI_SUFFIX,), columns)
    return StoredTable("crypto_oi_windows", TIME_BARS, True, (family,))


def _prefix(crypto: bool) -> str:
    return "crypto" if crypto else "equity"


BAR_TABLES = (time_bars(False), time_bars(True), oi_windows(), event_bars(False), event_bars(True))
