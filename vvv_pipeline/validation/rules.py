"""Tier-1 rules per source, written as data: which columns must be positive, unique, known.

:mod:`.rule_table` expands these declarations (with the canonical schema's nullability) into
the rule table the pandera schemas, the great-expectations suites and the UI's column schemas
are generated from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vvv_pipeline.schemas import (
    DARKPOOL_VENUES,
    EQUITY_CONDITIONS,
    EQUITY_EXCHANGES,
    FLOW_RULES,
    NEWS_SOURCES,
    OPTION_TYPES,
    SENTIMENTS,
    SOURCE_SCHEMAS,
)
from vvv_pipeline.universe import ASSET_CLASSES, FREQUENCIES

OCC_PATTERN = r"^(?P<root>[A-Z0-9.]+?)(?P<yymmdd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$"
NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class SourceRules:
    """The declarative tier-1 rules of one source (columns named as in :mod:`.schemas`)."""

    positive: tuple[str, ...] = ()
    """Finite and > 0 (a NaN fails here, not in a null rule)."""
    non_negative: tuple[str, ...] = ()
    """Finite and >= 0."""
    nullable: tuple[str, ...] = ()
    """Columns allowed to hold nulls (NaN/None/NaT); every other column must not. Taken from the
    canonical schema (``Column.nullable``), never written here."""
    quotes: tuple[str, str] | None = None
    """(bid, ask): where both exist, 0 <= bid <= ask and both finite."""
    unique_id: str | None = None
    """Id column unique per symbol within the partition."""
    enums: dict[str, tuple[object, ...]] = field(default_factory=dict)
    """Column -> allowed values."""
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Column -> closed [lo, hi] for finite values."""
    finite_or_nan: tuple[str, ...] = ()
    """Float columns where NaN is allowed but infinities are not."""
    occ: bool = False
    ohlc: bool = False
    adjustment: bool = False
    """Corporate actions: ``adj_close <= close`` and, between a symbol's consecutive rows, the
    adjustment factor ``adj_close / close`` steps exactly as the row's dividend says."""


RULES: dict[str, SourceRules] = {
    "equity_ticks": SourceRules(
        positive=("price", "size"),
        nullable=SOURCE_SCHEMAS["equity_ticks"].nullable,
        quotes=("bid", "ask"),
        unique_id="trade_id",
        enums={
            "exchange": EQUITY_EXCHANGES,
            "condition": EQUITY_CONDITIONS,
            "aggressor": (-1, 0, 1),
        },
    ),
    "crypto_trades": SourceRules(
        positive=("price", "size"),
        unique_id="trade_id",
        enums={"aggressor": (-1, 1)},
    ),
    "crypto_open_interest": SourceRules(
        positive=("mark_price",),
        non_negative=("open_interest", "open_interest_value"),
    ),
    "darkpool_prints": SourceRules(
        positive=("price", "size", "premium"),
        nullable=SOURCE_SCHEMAS["darkpool_prints"].nullable,
        quotes=("nbbo_bid", "nbbo_ask"),
        unique_id="print_id",
        enums={"venue": DARKPOOL_VENUES},
    ),
    "options_flow": SourceRules(
        positive=("strike", "price", "underlying_price", "size"),
        non_negative=("premium", "ask_side_premium", "bid_side_premium", "open_interest"),
        unique_id="alert_id",
        enums={"option_type": OPTION_TYPES, "rule": FLOW_RULES},
        occ=True,
    ),
    "news_headlines": SourceRules(
        enums={"sentiment": SENTIMENTS, "source": NEWS_SOURCES},
        # Unusual Whales labels sentiment without a score: NaN, else within [-1, 1]
        nullable=SOURCE_SCHEMAS["news_headlines"].nullable,
        finite_or_nan=("sentiment_score",),
        ranges={"sentiment_score": (-1.0, 1.0)},
    ),
    "daily_ohlcv": SourceRules(
        positive=("open", "high", "low", "close", "split_ratio", "adj_close"),
        non_negative=("volume", "dividend"),
        enums={"asset_class": ASSET_CLASSES},
        ohlc=True,
        adjustment=True,
    ),
    "economic_series": SourceRules(
        nullable=SOURCE_SCHEMAS["economic_series"].nullable,
        finite_or_nan=("value",),
        enums={"frequency": FREQUENCIES},
    ),
}


def rules_of(source: str) -> SourceRules:
    """The declarative rule set of ``source`` (for documentation and callers)."""
    return RULES[source]
