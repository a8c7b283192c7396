"""Canonical schemas: one per source, the single contract between providers and everything else.

Every provider (simulated or real) returns frames in these shapes: the columns in this order,
these dtypes, ``ts`` as tz-aware UTC nanoseconds, ``symbol`` as a category, prices in the quote
currency (USD or USDT), equity sizes in shares, crypto sizes in base units. Rows are sorted by
(``symbol``, ``ts``) and carry a default RangeIndex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

UTC_TS = "datetime64[ns, UTC]"
DATE = "datetime64[ns]"
TEXT = "object"
"""Python ``str`` values; object dtype round-trips through ArcticDB and DuckDB unchanged."""

AGGRESSOR = {1: "buy (taker bought)", -1: "sell (taker sold)", 0: "unknown"}
EQUITY_EXCHANGES = ("N", "Q", "P", "Z", "K", "V", "X", "D", "A", "B", "C", "J", "M", "Y")
"""CTA/UTP participant ids: NYSE, Nasdaq, NYSE Arca, Cboe BZX, Cboe EDGX, IEX, Nasdaq PSX,
FINRA (its ADF and trade reporting facilities), NYSE American, Nasdaq BX, NYSE National
(formerly NSX), Cboe EDGA, NYSE Chicago (formerly CHX), Cboe BYX. The one exchange code set:
tier 1 accepts these, and IQFeed's market-centre table maps every US equity venue of DTN's
listed-market list onto them (the simulator draws from the first eight)."""
EQUITY_CONDITIONS = ("@", "I", "F", "O", "6", "T")
"""Regular sale, odd lot, intermarket sweep, opening print, closing print, extended hours."""
DARKPOOL_VENUES = ("L", "D", "N", "Q")
"""FINRA TRF codes: L (Nasdaq TRF Carteret), D (ADF), N (NYSE TRF), Q (Nasdaq TRF Chicago)."""
OPTION_TYPES = ("call", "put")
SENTIMENTS = ("negative", "neutral", "positive")
NEWS_SOURCES = ("Benzinga", "Reuters", "Bloomberg", "MarketWatch", "PR Newswire", "Dow Jones")
FLOW_RULES = ("RepeatedHits", "FloorTradeLargeCap", "SweepsFollowedByFloor", "OtmEarningsFloor")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    nullable: bool = False
    """Whether the column may hold nulls (NaN/None/NaT): the one place that says so (tier 1,
    the great-expectations suites and the Dagster column schema all read it)."""


@dataclass(frozen=True)
class Schema:
    name: str
    columns: tuple[Column, ...]
    doc: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    @property
    def nullable(self) -> tuple[str, ...]:
        """The columns allowed to hold nulls, in column order."""
        return tuple(c.name for c in self.columns if c.nullable)

    def empty(self) -> pd.DataFrame:
        return conform(pd.DataFrame({c.name: pd.Series(dtype=object) for c in self.columns}), self)

    def markdown(self) -> str:
        return columns_markdown(self.columns, nulls=False)


def columns_markdown(columns: Sequence[Column], nulls: bool = True) -> str:
    """A column table (column, dtype, [nulls,] meaning); ``|`` inside a cell is escaped."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    head = ["column", "dtype", *(["nulls"] if nulls else []), "meaning"]
    rows = [
        "| "
        + " | ".join(
            [
                f"`{c.name}`",
                f"`{cell(c.dtype)}`",
                *(["yes" if c.nullable else "no"] if nulls else []),
                cell(c.doc),
            ]
        )
        + " |"
        for c in columns
    ]
    header = "| " + " | ".join(head) + " |\n|" + " --- |" * len(head)
    return "\n".join([header, *rows])


def has_fresh_index(frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s index is ``0, 1, ..., n - 1`` (a ``RangeIndex`` from 0, step 1)."""
    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def conform(frame: pd.DataFrame, schema: Schema, *, copy: bool = True) -> pd.DataFrame:
    """Return ``frame`` with exactly the schema's columns, order and dtypes.

    Raises ``ValueError`` naming the schema and the missing columns; extra columns are dropped.
    Values are cast, not validated (validation is the tier checks' job). ``copy=False``: columns
    already of their dtype are kept as they are, shared with ``frame`` (for a frame its caller
    built and drops), instead of copied into pandas' consolidated blocks.
    """
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise ValueError(f"{schema.name}: frame lacks required column(s) {missing}")
    out = {}
    fresh = has_fresh_index(frame)
    for col in schema.columns:
        values = frame[col.name] if fresh else frame[col.name].reset_index(drop=True)
        if col.dtype == UTC_TS:
            if not (isinstance(values.dtype, pd.DatetimeTZDtype) and values.dtype == UTC_TS):
                values = pd.to_datetime(values, utc=True).astype(UTC_TS)
        elif col.dtype == "category":
            if not isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object).astype("category")
        elif col.dtype == TEXT:
            values = values.astype(object)
        elif values.dtype != col.dtype:
            values = values.astype(col.dtype)
        out[col.name] = values
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=copy)


TS = Column("ts", UTC_TS, "event time, UTC")
SYMBOL = Column("symbol", "category", "instrument symbol from the universe")

EQUITY_TICKS = Schema(
    "equity_ticks",
    (
        TS,
        SYMBOL,
        Column("price", "float64", "trade price, USD"),
        Column("size", "int64", "trade size, shares"),
        Column("bid", "float64", "national best bid at trade time, USD", nullable=True),
        Column("ask", "float64", "national best offer at trade time, USD", nullable=True),
        Column(
            "trade_id",
            "int64",
            "provider trade id, unique per symbol-session (IQFeed: TickID << 8 | market centre)",
        ),
        Column("exchange", "category", f"market center code, one of {EQUITY_EXCHANGES}"),
        Column("condition", "category", f"sale condition code, one of {EQUITY_CONDITIONS}"),
        Column("aggressor", "int8", "taker side: 1 buy, -1 sell, 0 unknown"),
        Column("extended_hours", "bool", "True when printed outside the regular session"),
    ),
    "Every equity trade with the NBBO at that moment (IQFeed-style time and sales).",
)

CRYPTO_TRADES = Schema(
    "crypto_trades",
    (
        TS,
        SYMBOL,
        Column("price", "float64", "trade price, quote currency (USDT)"),
        Column("size", "float64", "quantity, base asset units"),
        Column(
            "trade_id",
            "int64",
            "venue trade id, unique per symbol (Bybit UUID execIds: a 63-bit fold)",
        ),
        Column("aggressor", "int8", "taker side: 1 buy, -1 sell (Binance m=true means -1)"),
        Column("venue", "category", "exchange the trade printed on"),
    ),
    "Aggregate crypto trades, 24/7, with the taker side.",
)

CRYPTO_OPEN_INTEREST = Schema(
    "crypto_open_interest",
    (
        TS,
        SYMBOL,
        Column("open_interest", "float64", "open contracts, base asset units"),
        Column("open_interest_value", "float64", "open interest x mark price, USDT"),
        Column("mark_price", "float64", "perpetual mark price at the sample, USDT"),
        Column("venue", "category", "exchange the sample came from"),
    ),
    "Perpetual-futures open interest sampled every 5 seconds.",
)

DARKPOOL_PRINTS = Schema(
    "darkpool_prints",
    (
        TS,
        SYMBOL,
        Column("price", "float64", "print price, USD"),
        Column("size", "int64", "print size, shares"),
        Column("premium", "float64", "price x size, USD"),
        Column("nbbo_bid", "float64", "national best bid at print time, USD", nullable=True),
        Column("nbbo_ask", "float64", "national best offer at print time, USD", nullable=True),
        Column("venue", "category", f"trade reporting facility code, one of {DARKPOOL_VENUES}"),
        Column("print_id", "int64", "unique per symbol-session (derived from the provider key)"),
    ),
    "Off-exchange (dark-pool) block prints reported to a TRF.",
)

OPTIONS_FLOW = Schema(
    "options_flow",
    (
        TS,
        SYMBOL,
        Column("alert_id", TEXT, "provider alert id, unique"),
        Column("option_symbol", TEXT, "OCC symbol without padding, e.g. AAPL261218C00250000"),
        Column("option_type", "category", "call or put"),
        Column("strike", "float64", "strike price, USD"),
        Column("expiry", DATE, "expiration date"),
        Column("price", "float64", "option price per share, USD"),
        Column("underlying_price", "float64", "underlying price at the alert, USD"),
        Column("size", "int64", "contracts in the alert"),
        Column("premium", "float64", "price x size x 100, USD"),
        Column("ask_side_premium", "float64", "premium traded at the ask, USD"),
        Column("bid_side_premium", "float64", "premium traded at the bid, USD"),
        Column("open_interest", "int64", "contract open interest before the alert"),
        Column("is_sweep", "bool", "contains an intermarket sweep"),
        Column("is_floor", "bool", "contains a floor trade"),
        Column("rule", "category", f"alert rule, one of {FLOW_RULES}"),
    ),
    "Unusual options-flow alerts on the equity universe.",
)

NEWS_HEADLINES = Schema(
    "news_headlines",
    (
        TS,
        SYMBOL,
        Column("headline_id", TEXT, "stable id of the headline (one headline, many tickers)"),
        Column("headline", TEXT, "headline text"),
        Column("source", "category", "publisher"),
        Column("sentiment", "category", f"label, one of {SENTIMENTS}"),
        Column("sentiment_score", "float64", "score in [-1, 1]", nullable=True),
        Column("is_major", "bool", "provider marks the headline as major"),
    ),
    "News headlines, one row per (headline, mentioned ticker).",
)

DAILY_OHLCV = Schema(
    "daily_ohlcv",
    (
        Column("ts", UTC_TS, "session date at 00:00 America/New_York, in UTC"),
        SYMBOL,
        Column("asset_class", "category", "equity, fx or commodity"),
        Column("open", "float64", "first price of the day"),
        Column("high", "float64", "highest price of the day"),
        Column("low", "float64", "lowest price of the day"),
        Column("close", "float64", "last price of the day"),
        Column("volume", "float64", "units traded (0 where the venue reports none, e.g. FX)"),
        Column(
            "dividend",
            "float64",
            "cash dividend per share going ex on this session (0 if none), in the close's terms",
        ),
        Column(
            "split_ratio",
            "float64",
            "shares after / before a split effective this session (1 if none; 2 for 2-for-1)",
        ),
        Column(
            "adj_close",
            "float64",
            "close back-adjusted for later dividends (x (1 - dividend / previous close) per "
            "ex-date); splits are already in the close, as in Yahoo's chart",
        ),
    ),
    "Daily bars for stocks, an FX pair and a commodity, with dividends, splits and the "
    "adjusted close.",
)

ECONOMIC_SERIES = Schema(
    "economic_series",
    (
        Column("ts", UTC_TS, "release time of the observation, UTC"),
        Column("symbol", "category", "FRED series id"),
        Column("observation_date", DATE, "the date (or month start) the value refers to"),
        Column(
            "value",
            "float64",
            "observed value in the series' units (NaN where FRED has '.')",
            nullable=True,
        ),
        Column("frequency", "category", "daily or monthly"),
    ),
    "Economic series (FRED) partitioned by release date.",
)

SOURCE_SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        EQUITY_TICKS,
        CRYPTO_TRADES,
        CRYPTO_OPEN_INTEREST,
        DARKPOOL_PRINTS,
        OPTIONS_FLOW,
        NEWS_HEADLINES,
        DAILY_OHLCV,
        ECONOMIC_SERIES,
    )
}
