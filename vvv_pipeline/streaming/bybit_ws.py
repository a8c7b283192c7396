"""Bybit v5's public ``publicTrade.<symbol>`` WebSocket stream: frames in, staged rows out.

Endpoints per category (``wss://stream.bybit.com/v5/public/linear``, ``.../spot``). A
subscription is ``{"op": "subscribe", "req_id": "1", "args": ["publicTrade.BTCUSDT", ...]}``
(spot takes at most 10 args per request, so pairs are subscribed 10 at a time), answered
``{"success": true, "ret_msg": "", "conn_id": "...", "req_id": "1", "op": "subscribe"}``, or
``"success": false`` with the reason in ``ret_msg``. Trades arrive as
``{"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1672304486868, "data": [{"T":
1672304486865, "s": "BTCUSDT", "S": "Buy", "v": "0.001", "p": "16578.50", "L": "PlusTick",
"i": "20f43950-d8dd-5b31-9112-a178eb6023af", "BT": false, "seq": 1783284617}]}``: one frame may
carry up to 1024 trades, in matching order. Bybit wants a JSON ping (``{"op": "ping",
"req_id": ..}``) every 20 s; the answer is ``{"success": true, "ret_msg": "pong", "op":
"ping", ...}`` on spot and ``{"op": "pong", "args": [...], "conn_id": ...}`` on linear.

Rows are converted as the REST client converts the same trades
(:mod:`vvv_pipeline.providers.live.bybit`): ``S`` is the taker side (Buy +1, Sell -1), ``i``
becomes the int64 ``trade_id`` through :func:`~vvv_pipeline.providers.live.trade_ids.fold_id`
(a decimal id as itself, a UUID folded to 63 bits), never ``seq`` (a cross sequence that trades
matched together share). Bybit's ids are not consecutive, so a lost frame cannot be seen in
them: the collector re-reads the recent-trade snapshot after each subscription instead
(:func:`vvv_pipeline.streaming.service.recent_resync`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from vvv_pipeline.providers.live.trade_ids import fold_id
from vvv_pipeline.streaming.binance_ws import (
    Malformed,
    Message,
    Other,
    Pong,
    Reply,
    Trade,
    staged_frame,
)

VENUE = "bybit"
TOPIC = "publicTrade"
ARGS_PER_REQUEST = 10
SIDES = {"Buy": 1, "Sell": -1}


def topic(symbol: str) -> str:
    return f"{TOPIC}.{symbol.upper()}"


def decimal(text: Any) -> float:
    if not isinstance(text, str):
        raise TypeError("not a decimal string")
    value = float(text)
    if math.isnan(value):
        raise ValueError("NaN")
    return value


def _trade(item: Any) -> Trade:
    if not isinstance(item, dict):
        raise TypeError("a trade must be an object")
    t, side, trade_id, symbol = item["T"], item["S"], item["i"], item["s"]
    if type(t) is not int or side not in SIDES:
        raise TypeError("T must be an integer and S Buy or Sell")
    if not isinstance(trade_id, str) or not trade_id or not isinstance(symbol, str) or not symbol:
        raise TypeError("i and s must be non-empty strings")
    row = (fold_id(trade_id), t, decimal(item["p"]), decimal(item["v"]), SIDES[side])
    return Trade(symbol.upper(), row)


def frame_body(frame: str | bytes) -> tuple[str, dict[str, Any] | Malformed]:
    """(the frame's text, its JSON object, or why it is not one)."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    try:
        body = json.loads(text)
    except ValueError:
        return text, Malformed("not JSON", text[:200])
    if not isinstance(body, dict):
        return text, Malformed("not a JSON object", text[:200])
    return text, body


def parse_topic(
    frame: str | bytes, topic: str, on_data: Callable[[dict[str, Any]], list[Message]]
) -> list[Message]:
    """One frame as its messages; never raises. A frame of ``<topic>.<symbol>`` goes to
    ``on_data``, and is malformed whole when that raises on a missing or mistyped field;
    anything else is a control frame (:func:`control`)."""
    text, body = frame_body(frame)
    if isinstance(body, Malformed):
        return [body]
    name = body.get("topic")
    if isinstance(name, str) and name.startswith(f"{topic}."):
        try:
            return on_data(body)
        except (KeyError, TypeError, ValueError) as error:
            return [Malformed(f"{topic}: {type(error).__name__} {error}", text[:200])]
    return control(body, text)


def _trades(body: dict[str, Any]) -> list[Message]:
    data = body["data"]
    if not isinstance(data, list):
        raise TypeError("data must be a list")
    return [_trade(item) for item in data]


def parse(frame: str | bytes) -> list[Message]:
    """One frame as its messages (a trade frame: one per trade); never raises. A trade frame
    with one bad trade is malformed whole: its good trades are not half-kept."""
    return parse_topic(frame, TOPIC, _trades)


def control(body: dict[str, Any], text: str) -> list[Message]:
    """A frame of no data topic of ours: a pong, a subscription's answer, or something else."""
    op, name = body.get("op"), body.get("topic")
    if op == "pong" or (op == "ping" and body.get("ret_msg") == "pong"):
        return [Pong()]
    if op == "subscribe":
        error = None if body.get("success") else str(body.get("ret_msg") or "refused")
        return [Reply(str(body.get("req_id", "")), error)]
    if isinstance(op, str) or isinstance(name, str):
        return [Other(str(op or name))]
    return [Malformed("unknown message", text[:200])]


def subscribe_requests(
    prefix: str, symbols: tuple[str, ...], request_id: int
) -> list[tuple[str, str]]:
    """(request id, request) of subscriptions to ``<prefix>.<symbol>`` for every symbol, at
    most :data:`ARGS_PER_REQUEST` topics a request (spot's limit)."""
    requests = []
    for first in range(0, len(symbols), ARGS_PER_REQUEST):
        rid = f"{request_id}.{first // ARGS_PER_REQUEST}"
        args = [f"{prefix}.{s.upper()}" for s in symbols[first : first + ARGS_PER_REQUEST]]
        requests.append((rid, json.dumps({"op": "subscribe", "req_id": rid, "args": args})))
    return requests


def ping_request(request_id: int) -> str:
    return json.dumps({"op": "ping", "req_id": f"ping.{request_id}"})


class BybitWire:
    """Bybit's publicTrade stream for the collector (:class:`~.collector.Wire`)."""

    venue = VENUE
    kind = "crypto_trades"
    sequential_ids = False
    app_ping_interval: float | None = 20.0

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        return subscribe_requests(TOPIC, symbols, request_id)

    def parse(self, frame: str | bytes) -> list[Message]:
        return parse(frame)

    def ping(self, request_id: int) -> str:
        return ping_request(request_id)

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        return staged_frame(rows, origin)
