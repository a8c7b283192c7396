"""Fake Unusual Whales API serving the simulated market's dark pool, flow alerts and news.

Reproduces the wire details of the reference (section 1): ``{"data": [...]}`` envelopes,
newest-first rows, string-numbers, ``executed_at`` alternating between its two spellings,
``older_than``/``newer_than`` (unix s, ms or ISO; exclusive), offset ``page`` paging for news
and both 429 flavours with ``x-uw-*`` usage headers. What the wire cannot carry: sub-second
``executed_at`` (whole seconds), sub-microsecond flow ``created_at``, the news headline id and
sentiment score (absent; the client derives an id and leaves the score NaN).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)

DAILY_CAP = 20_000
FAKE_NOW = pd.Timestamp("2024-06-15", tz="UTC")
"""Where the news feed's "newest first" starts unless ``make_server(now=...)`` says otherwise."""


def parse_instant(value: str) -> pd.Timestamp:
    """``older_than``/``newer_than``: unix seconds, unix ms, or an ISO date/time."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        number = int(text)
        return pd.Timestamp(number, unit="ms" if abs(number) > 10**11 else "s", tz="UTC")
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def usage_headers(used: int, minute_reset_ms: int = 42_000) -> dict[str, str]:
    return {
        "x-uw-daily-req-count": str(used),
        "x-uw-token-req-limit": str(DAILY_CAP),
        "x-uw-minute-req-counter": "1",
        "x-uw-req-per-minute-remaining": "119",
        "x-uw-req-per-minute-reset": str(minute_reset_ms),
    }


def _window(request: FakeRequest) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    older = request.query.get("older_than")
    newer = request.query.get("newer_than")
    return (parse_instant(newer) if newer else None, parse_instant(older) if older else None)


def _newest_first(
    frame: pd.DataFrame, request: FakeRequest, default: int, cap: int
) -> pd.DataFrame:
    newer, older = _window(request)
    ts = frame["ts"]
    keep = np.ones(len(frame), dtype=bool)
    if newer is not None:
        keep &= (ts > newer).to_numpy()
    if older is not None:
        keep &= (ts < older).to_numpy()
    limit = min(int(request.query.get("limit", default)), cap)
    return frame.loc[keep].iloc[::-1].head(limit)


def _iso_z(ts: pd.Series, unit: str) -> list[str]:
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if unit == "us" else "%Y-%m-%dT%H:%M:%SZ"
    return list(ts.dt.floor(unit).dt.strftime(fmt))


def _apply_content_fault(rows: list[dict[str, Any]], fault: Fault | None, field: str) -> None:
    if fault is None or not rows:
        return
    if fault.kind == "malformed":
        rows[0][field] = "n/a"
    elif fault.kind == "drift":
        for row in rows:
            row[field + "_v2"] = row.pop(field)


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    now: pd.Timestamp = FAKE_NOW,
) -> FakeHttpServer:
    """A started fake UW server; ``now`` anchors the newest-first news feed."""
    counter = {"used": 0}

    def darkpool(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        ticker = request.path.rsplit("/", 1)[-1]
        day = pd.Timestamp(request.query["date"]).tz_localize(EXCHANGE_TZ)
        frame = market.fetch(Source.DARKPOOL_PRINTS, day, day + pd.Timedelta(days=1), [ticker])
        page = _newest_first(frame, request, 500, 500)
        stamps = page["ts"].dt.floor("s")
        spelled = np.where(
            np.arange(len(page)) % 2 == 0,
            stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            stamps.dt.strftime("%Y-%m-%d %H:%M:%S+00:00"),
        )
        rows = [
            {
                "ticker": ticker,
                "executed_at": str(at),
                "price": f"{price:.4f}",
                "size": int(size),
                "premium": f"{premium:.4f}",
                "volume": 18_000_000,
                "nbbo_bid": f"{bid:.2f}",
                "nbbo_ask": f"{ask:.2f}",
                "nbbo_bid_quantity": 300,
                "nbbo_ask_quantity": 100,
                "market_center": str(venue),
                "sale_cond_codes": None,
                "ext_hour_sold_codes": None,
                "trade_code": None,
                "trade_settlement": "regular",
                "canceled": False,
                "tracking_id": int(pid),
                "trf_executed_at": str(at),
            }
            for at, price, size, premium, bid, ask, venue, pid in zip(
                spelled,
                page["price"],
                page["size"],
                page["premium"],
                page["nbbo_bid"],
                page["nbbo_ask"],
                page["venue"],
                page["print_id"],
                strict=True,
            )
        ]
        _apply_content_fault(
            rows, fault, "executed_at" if fault and fault.kind == "drift" else "price"
        )
        return _ok({"data": rows})

    def flow(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        tickers = [t for t in request.query.get("ticker_symbol", "").split(",") if t]
        newer, older = _window(request)
        if older is None:
            raise ValueError("this fake needs older_than (unix s, ms or ISO)")
        lo = newer if newer is not None else older - pd.Timedelta(days=5)
        frame = market.fetch(
            Source.OPTIONS_FLOW, lo, older, tickers or list(market.universe.equities)
        )
        frame = frame.sort_values(["ts", "alert_id"], kind="stable", ignore_index=True)
        page = _newest_first(frame, request, 100, 200)
        rows = [
            {
                "id": r.alert_id,
                "rule_id": "0c9f3d7e-11aa-4b2c-8e0d-7f6a5b4c3d21",
                "alert_rule": str(r.rule),
                "ticker": str(r.symbol),
                "option_chain": r.option_symbol,
                "type": str(r.option_type),
                "strike": f"{r.strike:g}",
                "expiry": f"{r.expiry:%Y-%m-%d}",
                "expiry_count": 1,
                "price": f"{r.price:.2f}",
                "underlying_price": f"{r.underlying_price:.2f}",
                "total_premium": repr(float(r.premium)),
                "total_ask_side_prem": repr(float(r.ask_side_premium)),
                "total_bid_side_prem": repr(float(r.bid_side_premium)),
                "total_size": int(r.size),
                "trade_count": 12,
                "volume": int(r.size) * 2,
                "open_interest": int(r.open_interest),
                "has_sweep": bool(r.is_sweep),
                "has_floor": bool(r.is_floor),
                "has_multileg": False,
                "has_singleleg": True,
                "all_opening_trades": False,
                "issue_type": "Common Stock",
                "start_time": int(r.ts.value // 1_000_000) - 20_000,
                "end_time": int(r.ts.value // 1_000_000),
                "created_at": at,
            }
            for r, at in zip(page.itertuples(), _iso_z(page["ts"], "us"), strict=True)
        ]
        _apply_content_fault(
            rows, fault, "created_at" if fault and fault.kind == "drift" else "strike"
        )
        return _ok({"data": rows})

    @lru_cache(maxsize=64)
    def news_day(day: pd.Timestamp) -> pd.DataFrame:
        frame = market.fetch(
            Source.NEWS_HEADLINES, day, day + pd.Timedelta(days=1), list(market.universe.equities)
        )
        return frame.sort_values(["ts", "headline_id", "symbol"], kind="stable")

    def news(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        limit = min(int(request.query.get("limit", 50)), 100)
        page_number = int(request.query.get("page", 0))
        wanted = (page_number + 1) * limit
        day = now.tz_convert(EXCHANGE_TZ).normalize()
        headlines: list[pd.DataFrame] = []
        count = 0
        while count < wanted and day > now - pd.Timedelta(days=400):
            rows = news_day(day)
            rows = rows.loc[(rows["ts"] < now).to_numpy()]
            grouped = rows.groupby("headline_id", sort=False, observed=True).agg(
                ts=("ts", "first"),
                headline=("headline", "first"),
                source=("source", "first"),
                sentiment=("sentiment", "first"),
                is_major=("is_major", "first"),
                tickers=("symbol", lambda s: [str(v) for v in s]),
            )
            grouped = grouped.sort_values("ts", kind="stable").iloc[::-1]
            headlines.append(grouped)
            count += len(grouped)
            day -= pd.Timedelta(days=1)
        feed = pd.concat(headlines) if headlines else pd.DataFrame()
        page = feed.iloc[page_number * limit : wanted]
        stamps = (
            page["ts"].dt.floor("s").dt.strftime("%Y-%m-%d %H:%M:%S+00:00") if len(page) else []
        )
        data = [
            {
                "headline": r.headline,
                "source": str(r.source),
                "tickers": r.tickers,
                "tags": [],
                "sentiment": str(r.sentiment),
                "is_major": bool(r.is_major),
                "meta": {},
                "created_at": at,
            }
            for r, at in zip(page.itertuples(), stamps, strict=True)
        ]
        _apply_content_fault(data, fault, "created_at")
        return _ok({"data": data})

    def _ok(body: Any) -> FakeResponse:
        counter["used"] += 1
        return FakeResponse(200, body, usage_headers(counter["used"]))

    def minute_limit(request: FakeRequest, fault: Fault) -> FakeResponse:
        reset_ms = 42_000 if fault.retry_after is None else int(fault.retry_after * 1000)
        headers = usage_headers(counter["used"], reset_ms)
        headers["x-uw-req-per-minute-remaining"] = "0"
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        return FakeResponse(429, {"message": "Too many requests"}, headers)

    def quota(request: FakeRequest, fault: Fault) -> FakeResponse:
        headers = usage_headers(DAILY_CAP)
        return FakeResponse(429, {"message": "Daily request limit reached"}, headers)

    overrides: dict[str, Callable[[FakeRequest, Fault], FakeResponse]] = {
        "429": minute_limit,
        "quota": quota,
    }
    routes = [
        (r"/api/darkpool/[A-Za-z0-9.\-]+", darkpool),
        (r"/api/option-trades/flow-alerts", flow),
        (r"/api/news/headlines", news),
    ]
    return FakeHttpServer(routes, faults, port, overrides=overrides).start()
