"""Unusual Whales records -> canonical frames (dark-pool prints, flow alerts, headlines).

The wire's required and known fields per endpoint (an unknown field is logged once, a missing
required one is a :class:`SchemaDriftError`), and the conversions the client module's
docstring describes: deduplicated print ids, flow premiums, one headline row per ticker.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.providers.live.drift import parse_numbers, parse_times, records_frame
from vvv_pipeline.schemas import DARKPOOL_PRINTS, NEWS_HEADLINES, OPTIONS_FLOW, Schema, conform

PROVIDER = "unusual_whales"

DARKPOOL_FIELDS = ("ticker", "executed_at", "price", "size", "premium", "nbbo_bid", "nbbo_ask")
DARKPOOL_KNOWN = (
    *DARKPOOL_FIELDS,
    *("market_center", "tracking_id", "canceled", "volume", "nbbo_bid_quantity"),
    *("nbbo_ask_quantity", "sale_cond_codes", "ext_hour_sold_codes", "trade_code"),
    *("trade_settlement", "trf_executed_at", "created_at", "issue_type", "sector", "avg30_volume"),
)
FLOW_FIELDS = (
    *("ticker", "created_at", "option_chain", "type", "strike", "expiry", "price"),
    *("underlying_price", "total_size", "total_premium", "total_ask_side_prem"),
    *("total_bid_side_prem", "open_interest", "has_sweep", "has_floor", "alert_rule"),
)
FLOW_KNOWN = (
    *FLOW_FIELDS,
    *("id", "rule_id", "expiry_count", "trade_count", "volume", "volume_oi_ratio", "iv_start"),
    *("iv_end", "has_multileg", "has_singleleg", "all_opening_trades", "issue_type"),
    *("start_time", "end_time", "marketcap", "sector", "next_earnings_date", "er_time"),
    *("bid", "ask"),
)
NEWS_FIELDS = ("headline", "source", "tickers", "sentiment", "is_major", "created_at")
NEWS_KNOWN = (*NEWS_FIELDS, "tags", "meta")


SCHEMAS: dict[Source, Schema] = {
    Source.DARKPOOL_PRINTS: DARKPOOL_PRINTS,
    Source.OPTIONS_FLOW: OPTIONS_FLOW,
    Source.NEWS_HEADLINES: NEWS_HEADLINES,
}


def empty_frame(src: Source) -> pd.DataFrame:
    return SCHEMAS[src].empty()


def finish(
    src: Source,
    pieces: list[pd.DataFrame],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    symbols: list[str],
    tiebreak: list[str],
) -> pd.DataFrame:
    """Window-clip, keep requested symbols, sort by (symbol, ts, tiebreak), conform."""
    if not pieces:
        return empty_frame(src)
    frame = pd.concat(pieces, ignore_index=True)
    keep = (frame["ts"] >= lo) & (frame["ts"] < hi) & frame["symbol"].isin(symbols)
    frame = frame.loc[keep.to_numpy()].sort_values(["symbol", "ts", *tiebreak], kind="stable")
    return conform(frame.reset_index(drop=True), SCHEMAS[src]) if len(frame) else empty_frame(src)


def stable_ids(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Non-negative int64 ids hashed from ``columns`` (stable across runs and machines)."""
    hashed = pd.util.hash_pandas_object(frame[columns].astype(str), index=False).to_numpy()
    return (hashed >> np.uint64(1)).astype(np.int64)


def darkpool_frame(records: list[Any], endpoint: str) -> pd.DataFrame:
    raw = records_frame(records, DARKPOOL_FIELDS, DARKPOOL_KNOWN, PROVIDER, endpoint)
    if "canceled" in raw.columns:
        raw = raw.loc[~raw["canceled"].fillna(False).astype(bool).to_numpy()].reset_index(drop=True)

    def num(field: str) -> np.ndarray:
        return parse_numbers(raw[field], field, PROVIDER, endpoint)

    tracking = (
        np.nan_to_num(num("tracking_id")).astype(np.int64)
        if "tracking_id" in raw.columns
        else np.zeros(len(raw), dtype=np.int64)
    )
    frame = pd.DataFrame(
        {
            "ts": parse_times(raw["executed_at"], "executed_at", PROVIDER, endpoint),
            "symbol": raw["ticker"].astype(object),
            "price": num("price"),
            "size": num("size").astype(np.int64),
            "premium": num("premium"),
            "nbbo_bid": num("nbbo_bid"),
            "nbbo_ask": num("nbbo_ask"),
            "venue": raw.get("market_center", pd.Series([None] * len(raw))).astype(object),
            "print_id": tracking,
        }
    )
    # Overlapping pages repeat rows, possibly spelled differently: dedupe on parsed values.
    frame = frame.drop_duplicates(subset=["print_id", "ts", "price", "size"], ignore_index=True)
    clash = (frame["print_id"] == 0) | frame["print_id"].duplicated(keep=False)
    if clash.any():
        fallback = stable_ids(frame, ["symbol", "ts", "price", "size"])
        frame["print_id"] = np.where(clash.to_numpy(), fallback, frame["print_id"].to_numpy())
    return frame


FLOW_KEY = ["ticker", "option_chain", "created_at", "alert_rule"]
"""What names an alert that comes without ``id`` (the documented examples have none)."""


def flow_frame(records: list[Any], endpoint: str) -> pd.DataFrame:
    raw = records_frame(records, FLOW_FIELDS, FLOW_KNOWN, PROVIDER, endpoint)
    if "id" not in raw.columns:
        raw["id"] = None
    keyed = raw["id"].notna().to_numpy()
    raw = pd.concat(
        [raw.loc[keyed].drop_duplicates(subset=["id"]), raw.loc[~keyed].drop_duplicates(FLOW_KEY)],
        ignore_index=True,
    )
    missing = raw["id"].isna().to_numpy()
    if missing.any():
        digest = stable_ids(raw, FLOW_KEY).astype(np.uint64)
        fallback = pd.Series(np.char.mod("uw-%016x", digest), index=raw.index)
        raw["id"] = raw["id"].where(~missing, fallback)

    def num(field: str) -> np.ndarray:
        return parse_numbers(raw[field], field, PROVIDER, endpoint)

    expiry = pd.to_datetime(raw["expiry"], format="%Y-%m-%d", errors="coerce")
    if expiry.isna().any():
        bad = raw["expiry"][expiry.isna()].iloc[0]
        raise ProviderError(PROVIDER, endpoint, f"field 'expiry' holds an unreadable value {bad!r}")
    return pd.DataFrame(
        {
            "ts": parse_times(raw["created_at"], "created_at", PROVIDER, endpoint),
            "symbol": raw["ticker"].astype(object),
            "alert_id": raw["id"].astype(str),
            "option_symbol": raw["option_chain"].astype(str),
            "option_type": raw["type"].astype(str).str.lower(),
            "strike": num("strike"),
            "expiry": expiry.to_numpy(dtype="datetime64[ns]"),
            "price": num("price"),
            "underlying_price": num("underlying_price"),
            "size": num("total_size").astype(np.int64),
            "premium": num("total_premium"),
            "ask_side_premium": num("total_ask_side_prem"),
            "bid_side_premium": num("total_bid_side_prem"),
            "open_interest": num("open_interest").astype(np.int64),
            "is_sweep": raw["has_sweep"].astype(bool),
            "is_floor": raw["has_floor"].astype(bool),
            "rule": raw["alert_rule"].astype(str),
        }
    )


def news_frame(records: list[Any], endpoint: str, symbols: list[str]) -> pd.DataFrame:
    raw = records_frame(records, NEWS_FIELDS, NEWS_KNOWN, PROVIDER, endpoint)
    raw = raw.drop_duplicates(subset=["created_at", "headline", "source"], ignore_index=True)
    stamps = parse_times(raw["created_at"], "created_at", PROVIDER, endpoint)
    digest = stable_ids(raw, ["created_at", "headline", "source"]).astype(np.uint64)
    ids = stamps.dt.tz_convert(EXCHANGE_TZ).dt.strftime("%Y%m%d-") + pd.Series(
        np.char.mod("%016x", digest), index=raw.index
    )
    frame = pd.DataFrame(
        {
            "ts": stamps,
            "tickers": raw["tickers"],
            "headline_id": ids,
            "headline": raw["headline"].astype(str),
            "source": raw["source"].astype(str),
            "sentiment": raw["sentiment"].astype(str).str.lower(),
            "sentiment_score": np.nan,
            "is_major": raw["is_major"].astype(bool),
        }
    )
    rows = frame.explode("tickers", ignore_index=True).rename(columns={"tickers": "symbol"})
    return rows.loc[rows["symbol"].isin(symbols).to_numpy()].reset_index(drop=True)
