"""Local servers that replay recorded provider answers (``recorded/``) with each endpoint's paging.

The recorded bodies are served as recorded: same JSON types, same field spelling, same row
order. What a recording cannot say (the next page of a cursor, the rows after ``fromId``) the
server derives from the recorded rows by the endpoint's documented rule: Binance pages by
``fromId``/``startTime``/``limit`` and ends on a short or empty page; Bybit pages newest first
by ``cursor`` and ends with an empty ``nextPageCursor`` (open interest) or by moving ``end``
back (mark-price klines); Coinbase pages back by ``after`` and
ends with an empty array; FRED pages by ``offset``/``limit`` and clips each row's
``realtime_start`` to the requested start (its documented real-time period rule); Yahoo keeps
the bars whose start lies in ``[period1, period2)``; Unusual Whales serves one NY ``date``,
newest first, before ``older_than``. Variants (a field removed or added, a number sent as a
string) are made from a recorded body by the tests that need them, never stored as recorded.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from vvv_pipeline_tests.fakes.base import FakeHttpServer, FakeRequest, FakeResponse, Fault

RECORDED = Path(__file__).parent / "recorded"
Route = tuple[str, Callable[[FakeRequest, Fault | None], FakeResponse]]


def recorded_text(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def recorded(name: str) -> Any:
    """A fresh copy of a recorded JSON body (tests may edit their copy into a variant)."""
    return json.loads(recorded_text(name))


def corpus() -> list[dict[str, str]]:
    return json.loads(recorded_text("corpus.json"))


def serve(*routes: Route) -> FakeHttpServer:
    return FakeHttpServer(list(routes)).start()


def binance_agg_trades(rows: list[dict[str, Any]]) -> Route:
    """``/api/v3/aggTrades`` over ``rows`` (ascending ``a``): fromId, else start/end time."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "500"))
        if "fromId" in query:
            chosen = [r for r in rows if int(r["a"]) >= int(query["fromId"])]
        else:
            lo, hi = int(query.get("startTime", 0)), int(query.get("endTime", 2**62))
            chosen = [r for r in rows if lo <= int(r["T"]) <= hi]
        return FakeResponse(200, chosen[:limit])

    return ("/api/v3/aggTrades", answer)


def binance_oi_hist(rows: list[dict[str, Any]]) -> Route:
    """``/futures/data/openInterestHist`` over ``rows`` (ascending): start/end time, limit."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "30"))
        lo, hi = int(query.get("startTime", 0)), int(query.get("endTime", 2**62))
        chosen = [r for r in rows if lo <= int(r["timestamp"]) <= hi]
        return FakeResponse(200, chosen[:limit])

    return ("/futures/data/openInterestHist", answer)


def bybit_open_interest(body: dict[str, Any]) -> Route:
    """``/v5/market/open-interest``: the recorded list newest first, ``limit`` rows a page.

    Bybit sends a cursor even with the last rows (as recorded); the page after them is empty
    with ``nextPageCursor`` ``""``, the documented end.
    """
    rows = body["result"]["list"]

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "50"))
        lo, hi = int(query.get("startTime", 0)), int(query.get("endTime", 2**62))
        chosen = [r for r in rows if lo <= int(r["timestamp"]) <= hi]
        cursor = query.get("cursor", "")
        skip = int(cursor.split("lastid=")[1].split("&")[0]) if cursor else 0
        page = chosen[skip : skip + limit]
        reply = copy.deepcopy(body)
        reply["result"]["list"] = page
        following = skip + len(page)
        last = page[-1]["timestamp"][:-3] if page else ""
        reply["result"]["nextPageCursor"] = (
            f"lastid%3D{following}%26lasttime%3D{last}" if page else ""
        )
        return FakeResponse(200, reply)

    return ("/v5/market/open-interest", answer)


def bybit_mark_price_kline(body: dict[str, Any]) -> Route:
    """``/v5/market/mark-price-kline``: the candles whose start lies in [``start``, ``end``],
    newest first, ``limit`` of them (default 200, at most 1000 for futures: more is a
    ``retCode`` 10001 params error); no cursor, as documented."""
    rows = sorted(body["result"]["list"], key=lambda r: -int(r[0]))

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "200"))
        if not 1 <= limit <= 1000:
            error = {"retCode": 10001, "retMsg": "params error: limit", "result": {}}
            return FakeResponse(200, error | {"retExtInfo": {}, "time": body["time"]})
        lo, hi = int(query.get("start", 0)), int(query.get("end", 2**62))
        reply = copy.deepcopy(body)
        reply["result"]["list"] = [r for r in rows if lo <= int(r[0]) <= hi][:limit]
        return FakeResponse(200, reply)

    return ("/v5/market/mark-price-kline", answer)


def bybit_recent_trade(body: dict[str, Any]) -> Route:
    """``/v5/market/recent-trade``: the recorded snapshot, cut to ``limit`` (no paging)."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        reply = copy.deepcopy(body)
        limit = int(request.query.get("limit", "60"))
        if "list" in reply["result"]:  # an error envelope has an empty result
            reply["result"]["list"] = reply["result"]["list"][:limit]
        return FakeResponse(200, reply)

    return ("/v5/market/recent-trade", answer)


def coinbase_trades(product: str, rows: list[dict[str, Any]]) -> Route:
    """``/products/{product}/trades`` newest first, ``after`` = older than that trade id.

    No ``CB-AFTER`` header: none was recorded, so the client's fallback (the page's smallest
    id) is what pages back.
    """

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        limit = int(request.query.get("limit", "1000"))
        after = request.query.get("after")
        chosen = [r for r in rows if after is None or int(r["trade_id"]) < int(after)]
        return FakeResponse(200, chosen[:limit])

    return (f"/products/{product}/trades", answer)


def fred_observations(body: dict[str, Any], *, clip: bool = True) -> Route:
    """``/fred/series/observations`` by ``offset``/``limit``; with ``clip`` each row's
    ``realtime_start`` is the requested start (FRED's real-time period rule for values
    already known before it, which is what every recorded row was)."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        offset, limit = int(query.get("offset", "0")), int(query.get("limit", "100000"))
        reply = copy.deepcopy(body)
        rows = reply["observations"]
        if clip and "realtime_start" in query:
            for row in rows:
                row["realtime_start"] = query["realtime_start"]
        reply.update(count=len(rows), offset=offset, limit=limit)
        reply["observations"] = rows[offset : offset + limit]
        return FakeResponse(200, reply)

    return ("/fred/series/observations", answer)


def yahoo_routes(charts: dict[str, dict[str, Any]], crumb: str) -> list[Route]:
    """Cookie, crumb and chart routes; a chart without the crumb is a 401, as Yahoo answers."""
    cookie = "A3=d=recorded-replay"

    def set_cookie(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        return FakeResponse(404, "Not Found", {"Set-Cookie": f"{cookie}; Path=/"})

    def get_crumb(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        if cookie not in request.headers.get("Cookie", ""):
            return FakeResponse(401, "Unauthorized")
        return FakeResponse(200, crumb)

    def chart(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        symbol = request.path.rsplit("/", 1)[-1]
        if request.query.get("crumb") != crumb:
            error = {"code": "Unauthorized", "description": "Invalid Crumb"}
            return FakeResponse(401, {"chart": {"result": None, "error": error}})
        reply = copy.deepcopy(charts[symbol])
        result = reply["chart"]["result"][0]
        lo, hi = int(request.query["period1"]), int(request.query["period2"])
        keep = [i for i, t in enumerate(result["timestamp"]) if lo <= t < hi]
        result["timestamp"] = [result["timestamp"][i] for i in keep]
        for block in (*result["indicators"]["quote"], *result["indicators"].get("adjclose", [])):
            for field, values in block.items():
                block[field] = [values[i] for i in keep]
        return FakeResponse(200, reply)

    return [("/", set_cookie), ("/v1/test/getcrumb", get_crumb), (r"/v8/finance/chart/.+", chart)]


def unusual_whales_darkpool(ticker: str, rows: list[dict[str, Any]]) -> Route:
    """``/api/darkpool/{ticker}``: rows of the NY ``date``, newest first, before ``older_than``."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "500"))
        stamps = pd.to_datetime([r["executed_at"] for r in rows], utc=True)
        day = stamps.tz_convert("America/New_York").strftime("%Y-%m-%d")
        ms = stamps.asi8 // 1_000_000
        older = int(query.get("older_than", 2**62))
        newer = int(query.get("newer_than", -1))
        chosen = [
            (m, r)
            for r, d, m in zip(rows, day, ms, strict=True)
            if d == query.get("date", d) and newer < m < older
        ]
        chosen.sort(key=lambda pair: -pair[0])
        return FakeResponse(200, {"data": [r for _, r in chosen][:limit]})

    return (f"/api/darkpool/{ticker}", answer)


def corpus_markdown() -> str:
    """The corpus table as docs/providers.md holds it (one row per recorded file)."""
    head = "| provider | endpoint | file | provenance | licence | edits |\n" + "| --- " * 6 + "|"
    rows = [
        f"| {e['provider']} | `{e['endpoint']}` | `{e['file']}` | {e['source']} | {e['licence']} "
        f"| {e['edits']} |"
        for e in corpus()
    ]
    return "\n".join([head, *rows])


def unusual_whales_flow_alerts(rows: list[dict[str, Any]]) -> Route:
    """``/api/option-trades/flow-alerts``: the tickers asked for, newest first, between
    ``newer_than`` and ``older_than`` (ms), ``limit`` rows."""

    def answer(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query, limit = request.query, int(request.query.get("limit", "100"))
        tickers = set(query.get("ticker_symbol", "").split(","))
        stamps = pd.to_datetime([r["created_at"] for r in rows], utc=True).asi8 // 1_000_000
        older, newer = int(query.get("older_than", 2**62)), int(query.get("newer_than", -1))
        chosen = sorted(
            ((m, r) for r, m in zip(rows, stamps, strict=True) if newer < m < older),
            key=lambda pair: -pair[0],
        )
        data = [r for _, r in chosen if r["ticker"] in tickers][:limit]
        return FakeResponse(200, {"data": data})

    return ("/api/option-trades/flow-alerts", answer)
