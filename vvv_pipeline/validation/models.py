"""Pandera ``DataFrameModel`` mirrors of the canonical schemas, for documentation and interop.

The blocking tier-1 gate is :func:`vvv_pipeline.validation.structure.check_tier1` (numpy masks,
per-row results, about 25x faster than pandas masks on 10M ticks); these models state the same
contract in pandera's vocabulary (dtypes, column order, nullability, ranges, code sets, id
uniqueness) for tools and readers that speak it. The window, universe and OCC rules depend on
the partition and the universe, so they live only in ``check_tier1``. A test keeps every model's
columns and dtypes equal to :data:`vvv_pipeline.schemas.SOURCE_SCHEMAS`.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from vvv_pipeline.schemas import (
    DARKPOOL_VENUES,
    EQUITY_CONDITIONS,
    EQUITY_EXCHANGES,
    FLOW_RULES,
    NEWS_SOURCES,
    OPTION_TYPES,
    SENTIMENTS,
)
from vvv_pipeline.universe import ASSET_CLASSES, FREQUENCIES

UtcTs = Annotated[pd.DatetimeTZDtype, "ns", "UTC"]


class _Canonical(pa.DataFrameModel):
    ts: Series[UtcTs]
    symbol: Series[pa.Category]

    class Config:
        strict = True
        ordered = True


class EquityTicks(_Canonical):
    price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    size: Series[int] = pa.Field(gt=0)
    bid: Series[float] = pa.Field(ge=0, nullable=True)
    ask: Series[float] = pa.Field(ge=0, nullable=True)
    trade_id: Series[int]
    exchange: Series[pa.Category] = pa.Field(isin=EQUITY_EXCHANGES)
    condition: Series[pa.Category] = pa.Field(isin=EQUITY_CONDITIONS)
    aggressor: Series[pa.Int8] = pa.Field(isin=(-1, 0, 1))
    extended_hours: Series[bool]

    class Config:
        unique = ["symbol", "trade_id"]

    @pa.dataframe_check
    @classmethod
    def quote_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return df["bid"].isna() | df["ask"].isna() | (df["bid"] <= df["ask"])


class CryptoTrades(_Canonical):
    price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    size: Series[float] = pa.Field(gt=0, lt=float("inf"))
    trade_id: Series[int]
    aggressor: Series[pa.Int8] = pa.Field(isin=(-1, 1))
    venue: Series[pa.Category]

    class Config:
        unique = ["symbol", "trade_id"]


class CryptoOpenInterest(_Canonical):
    open_interest: Series[float] = pa.Field(ge=0, lt=float("inf"))
    open_interest_value: Series[float] = pa.Field(ge=0, lt=float("inf"))
    mark_price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    venue: Series[pa.Category]


class DarkpoolPrints(_Canonical):
    price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    size: Series[int] = pa.Field(gt=0)
    premium: Series[float] = pa.Field(gt=0, lt=float("inf"))
    nbbo_bid: Series[float] = pa.Field(ge=0, nullable=True)
    nbbo_ask: Series[float] = pa.Field(ge=0, nullable=True)
    venue: Series[pa.Category] = pa.Field(isin=DARKPOOL_VENUES)
    print_id: Series[int]

    class Config:
        unique = ["symbol", "print_id"]

    @pa.dataframe_check
    @classmethod
    def quote_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        bid, ask = df["nbbo_bid"], df["nbbo_ask"]
        return bid.isna() | ask.isna() | (bid <= ask)


class OptionsFlow(_Canonical):
    alert_id: Series[object]
    option_symbol: Series[object] = pa.Field(
        str_matches=r"^(?P<root>[A-Z0-9.]+?)(?P<yymmdd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$"
    )
    option_type: Series[pa.Category] = pa.Field(isin=OPTION_TYPES)
    strike: Series[float] = pa.Field(gt=0, lt=float("inf"))
    expiry: Series[pa.DateTime]
    price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    underlying_price: Series[float] = pa.Field(gt=0, lt=float("inf"))
    size: Series[int] = pa.Field(gt=0)
    premium: Series[float] = pa.Field(ge=0, lt=float("inf"))
    ask_side_premium: Series[float] = pa.Field(ge=0, lt=float("inf"))
    bid_side_premium: Series[float] = pa.Field(ge=0, lt=float("inf"))
    open_interest: Series[int] = pa.Field(ge=0)
    is_sweep: Series[bool]
    is_floor: Series[bool]
    rule: Series[pa.Category] = pa.Field(isin=FLOW_RULES)

    class Config:
        unique = ["symbol", "alert_id"]


class NewsHeadlines(_Canonical):
    headline_id: Series[object]
    headline: Series[object]
    source: Series[pa.Category] = pa.Field(isin=NEWS_SOURCES)
    sentiment: Series[pa.Category] = pa.Field(isin=SENTIMENTS)
    sentiment_score: Series[float] = pa.Field(ge=-1.0, le=1.0, nullable=True)
    is_major: Series[bool]


class DailyOhlcv(_Canonical):
    asset_class: Series[pa.Category] = pa.Field(isin=ASSET_CLASSES)
    open: Series[float] = pa.Field(gt=0, lt=float("inf"))
    high: Series[float] = pa.Field(gt=0, lt=float("inf"))
    low: Series[float] = pa.Field(gt=0, lt=float("inf"))
    close: Series[float] = pa.Field(gt=0, lt=float("inf"))
    volume: Series[float] = pa.Field(ge=0, lt=float("inf"))

    @pa.dataframe_check
    @classmethod
    def ohlc_consistent(cls, df: pd.DataFrame) -> Series[bool]:
        low_ok = df["low"] <= df[["open", "close"]].min(axis=1)
        return low_ok & (df["high"] >= df[["open", "close"]].max(axis=1))


class EconomicSeries(_Canonical):
    observation_date: Series[pa.DateTime]
    value: Series[float] = pa.Field(nullable=True, gt=-float("inf"), lt=float("inf"))
    frequency: Series[pa.Category] = pa.Field(isin=FREQUENCIES)


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "equity_ticks": EquityTicks,
    "crypto_trades": CryptoTrades,
    "crypto_open_interest": CryptoOpenInterest,
    "darkpool_prints": DarkpoolPrints,
    "options_flow": OptionsFlow,
    "news_headlines": NewsHeadlines,
    "daily_ohlcv": DailyOhlcv,
    "economic_series": EconomicSeries,
}
"""Source name -> pandera model mirroring its canonical schema."""
