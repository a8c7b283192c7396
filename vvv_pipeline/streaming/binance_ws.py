"""Binance's public ``<symbol>@aggTrade`` WebSocket stream: frames in, staged rows out.

A trade frame is the REST aggTrade object plus ``e`` (``"aggTrade"``), ``E`` (event time, ms)
and ``s`` (the symbol, upper case): ``{"e": "aggTrade", "E": 1718032001340, "s": "BTCUSDT",
"a": 3021457781, "p": "64210.55000000", "q": "0.01250000", "f": 4410982201, "l": 4410982203,
"T": 1718032001337, "m": false, "M": true}``. On the combined endpoint (``/stream``) it arrives
wrapped as ``{"stream": "btcusdt@aggTrade", "data": {...}}``; both forms are read. A
``SUBSCRIBE`` request (``{"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1}``) is
answered ``{"result": null, "id": 1}``, a refused one with ``{"error": {"code": .., "msg": ..},
"id": 1}`` (older servers: ``{"code": .., "msg": .., "id": 1}``). ``serverShutdown`` announces
a disconnect. Pings are WebSocket control frames (every 20 s; a pong is due within a minute),
answered by the ``websockets`` library itself, never JSON.

Rows are converted exactly as the REST client converts the same fields
(:mod:`vvv_pipeline.providers.live.binance`): ``ts`` is ``T`` in milliseconds, ``m = true`` (the
buyer was the maker, so the taker sold) is aggressor -1, prices and sizes are the decimal
strings parsed to float64 (Python's ``float`` rounds correctly, like the REST path's parser).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

STREAM = "aggTrade"
VENUE = "binance"
STAGED_COLUMNS = ("price", "size", "trade_id", "aggressor", "origin")
"""Columns of a staged segment besides its ``ts`` index (the symbol is in the store's name)."""
FROM_STREAM = 0
FROM_BACKFILL = 1
"""``origin`` of a staged row: read off the stream, or fetched by REST to fill a gap in it."""

TradeRow = tuple[int, int, float, float, int]
"""(aggregate id ``a``, trade time ``T`` ms, price, size, aggressor) of one trade."""


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    row: tuple[Any, ...]
    """The venue's row: a :data:`TradeRow` here; every venue's starts (trade id, time ms)."""


@dataclass(frozen=True, slots=True)
class Held:
    """The stream holds every change of ``symbol`` from ``from_ms`` on (a full state, as
    Bybit's ticker snapshot: what the collector's coverage starts from, :mod:`.coverage`)."""

    symbol: str
    from_ms: int


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a request of ours (a subscription); ``error`` set when it was refused."""

    id: Any
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Pong:
    """The answer to an application-level ping (venues that want JSON pings: Bybit)."""


@dataclass(frozen=True, slots=True)
class Shutdown:
    """``serverShutdown``: the server is about to close the connection."""


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that is not a message this stream sends, or a trade missing or mistyping a field."""

    reason: str
    frame: str


@dataclass(frozen=True, slots=True)
class Other:
    """A well-formed event of another kind (nothing this collector subscribes to)."""

    kind: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the venue says about itself or a request (an error line, an unknown symbol,
    its upstream feed lost or back): logged at ``level``, never staged."""

    text: str
    level: int = logging.WARNING


Message = Trade | Held | Reply | Pong | Shutdown | Malformed | Other | Notice


class BinanceWire:
    """Binance's aggTrade stream for the collector (:class:`~.collector.Wire`): one
    ``SUBSCRIBE`` for every pair, one trade per frame, consecutive aggregate ids per pair (so
    a jump is a gap), pings left to the WebSocket protocol."""

    venue = VENUE
    kind = "crypto_trades"
    sequential_ids = True
    app_ping_interval: float | None = None

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        return [(str(request_id), subscribe_request(symbols, request_id))]

    def parse(self, frame: str | bytes) -> list[Message]:
        return [parse(frame)]

    def ping(self, request_id: int) -> str:
        raise NotImplementedError("Binance is pinged by the WebSocket protocol only")

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        return staged_frame(rows, origin)


def stream_name(symbol: str) -> str:
    return f"{symbol.lower()}@{STREAM}"


def subscribe_request(symbols: list[str] | tuple[str, ...], request_id: int) -> str:
    return json.dumps(
        {"method": "SUBSCRIBE", "params": [stream_name(s) for s in symbols], "id": request_id}
    )


def _number(text: Any) -> float:
    if not isinstance(text, str):  # the wire sends decimal strings; a bare number is drift
        raise TypeError("not a decimal string")
    value = float(text)
    if math.isnan(value):
        raise ValueError("NaN")
    return value


def parse(frame: str | bytes) -> Message:
    """One WebSocket text frame as a :data:`Message`; never raises."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    try:
        body = json.loads(text)
    except ValueError:
        return Malformed("not JSON", text[:200])
    if not isinstance(body, dict):
        return Malformed("not a JSON object", text[:200])
    if "stream" in body and isinstance(body.get("data"), dict):
        body = body["data"]  # combined-endpoint wrapper
    kind = body.get("e")
    if kind == STREAM:
        try:
            a, t, m = body["a"], body["T"], body["m"]
            if type(a) is not int or type(t) is not int or type(m) is not bool:
                raise TypeError("a, T must be integers and m a boolean")
            symbol = body["s"]
            if not isinstance(symbol, str) or not symbol:
                raise TypeError("s must be a symbol")
            row = (a, t, _number(body["p"]), _number(body["q"]), -1 if m else 1)
        except (KeyError, TypeError, ValueError) as error:
            return Malformed(f"aggTrade: {type(error).__name__} {error}", text[:200])
        return Trade(symbol.upper(), row)
    if kind == "serverShutdown":
        return Shutdown()
    if "id" in body and ("result" in body or "error" in body or "code" in body):
        error = body.get("error")
        if error is None and "code" in body:
            error = body
        if error is not None:
            message = error.get("msg", error) if isinstance(error, dict) else error
            return Reply(body["id"], str(message))
        return Reply(body["id"])
    if isinstance(kind, str):
        return Other(kind)
    return Malformed("unknown message", text[:200])


def staged_frame(rows: list[TradeRow], origin: int) -> pd.DataFrame:
    """Rows of one symbol as a staged segment: ``ts`` index (UTC), sorted by (ts, id)."""
    if not rows:
        return empty_staged()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    ms = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    price = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    size = np.fromiter((r[3] for r in rows), dtype=np.float64, count=len(rows))
    side = np.fromiter((r[4] for r in rows), dtype=np.int8, count=len(rows))
    return _frame(ms, price, size, ids, side, np.full(len(rows), origin, dtype=np.int8))


def _frame(
    ms: np.ndarray,
    price: np.ndarray,
    size: np.ndarray,
    ids: np.ndarray,
    side: np.ndarray,
    origin: np.ndarray,
) -> pd.DataFrame:
    order = np.lexsort((ids, ms))  # ArcticDB stages only index-sorted segments
    index = pd.DatetimeIndex((ms[order] * 1_000_000).view("datetime64[ns]"), name="ts")
    return pd.DataFrame(
        {
            "price": price[order],
            "size": size[order],
            "trade_id": ids[order],
            "aggressor": side[order],
            "origin": origin[order],
        },
        index=index.tz_localize("UTC"),
    )


def empty_staged() -> pd.DataFrame:
    none = np.empty(0, dtype=np.int64)
    return _frame(none, none.astype(np.float64), none.astype(np.float64), none, none, none)


def staged_from_canonical(frame: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Canonical ``crypto_trades`` rows of one symbol (a REST fetch) as a staged segment."""
    if frame.empty:
        return empty_staged()
    return _frame(
        frame["ts"].astype("int64").to_numpy() // 1_000_000,
        frame["price"].to_numpy(dtype=np.float64),
        frame["size"].to_numpy(dtype=np.float64),
        frame["trade_id"].to_numpy(dtype=np.int64),
        frame["aggressor"].to_numpy(dtype=np.int8),
        np.full(len(frame), origin, dtype=np.int8),
    )
