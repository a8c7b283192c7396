"""Which columns of which source each fault kind touches, and where a fault applies at all.

Read by the fault injectors (:mod:`.faults`) and by :class:`.config.Fault`, which refuses a
fault that makes no sense for its source when it is declared.
"""

from __future__ import annotations

from vvv_pipeline.providers.base import Source

EQ, CT, OI = "equity_ticks", "crypto_trades", "crypto_open_interest"
DP, OF, DAILY = "darkpool_prints", "options_flow", "daily_ohlcv"
PRICE_COLUMN = {EQ: "price", CT: "price", OI: "mark_price", DP: "price", OF: "price"}
PRICE_COLUMN[DAILY] = "close"
SIZE_COLUMN = {EQ: "size", CT: "size", DP: "size", OF: "size"}
QUOTE_COLUMNS = {EQ: ("bid", "ask"), DP: ("nbbo_bid", "nbbo_ask")}
ID_COLUMN = {EQ: "trade_id", CT: "trade_id", DP: "print_id", OF: "alert_id"}
STALE_COLUMNS = {
    EQ: ("price", "bid", "ask", "aggressor"),
    CT: ("price",),
    OI: ("mark_price", "open_interest", "open_interest_value"),
}
DERIVED = {
    DP: ("premium", "price", "size"),
    OI: ("open_interest_value", "open_interest", "mark_price"),
}
ALL_SOURCES = frozenset(s.value for s in Source)
APPLICABLE: dict[str, frozenset[str]] = {
    "drop_range": ALL_SOURCES,
    "nan_price": frozenset(PRICE_COLUMN),
    "negative_price": frozenset(PRICE_COLUMN),
    "zero_size": frozenset(SIZE_COLUMN),
    "crossed_quote": frozenset(QUOTE_COLUMNS),
    "duplicate_id": frozenset(ID_COLUMN),
    "naive_timezone": ALL_SOURCES,
    "shifted_timezone": ALL_SOURCES,
    "out_of_window": ALL_SOURCES,
    "unknown_symbol": ALL_SOURCES,
    "bad_occ_symbol": frozenset({OF}),
    "price_spike": frozenset({EQ, CT, OI, DP}),
    "stale_run": frozenset(STALE_COLUMNS),
}


def check_applicable(kind: str, source: str) -> None:
    """Raise ValueError naming the kind and source when the fault makes no sense there."""
    if kind not in APPLICABLE:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(APPLICABLE)}")
    if source not in APPLICABLE[kind]:
        raise ValueError(
            f"fault {kind!r} does not apply to source {source!r}; "
            f"it applies to {sorted(APPLICABLE[kind])}"
        )
