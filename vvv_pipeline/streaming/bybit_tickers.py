"""Bybit v5's public ``tickers.<symbol>`` WebSocket stream: open interest as it changes.

Binance has no open-interest stream (its futures WebSocket carries trades, marks and funding,
not open interest), so Bybit's linear tickers are the streamed open interest. A subscription
is ``{"op": "subscribe", "req_id": "1", "args": ["tickers.BTCUSDT", ...]}`` (at most 10 args a
request), acknowledged as for ``publicTrade`` (:mod:`.bybit_ws`). The first frame of a topic is
a full ``"type": "snapshot"``; later ones are ``"type": "delta"`` carrying only the fields that
changed (``{"topic": "tickers.BTCUSDT", "type": "delta", "data": {"symbol": "BTCUSDT",
"openInterest": "68744.761", "openInterestValue": "1183601235.91", "markPrice": "17217.33",
...}, "cs": 24987956059, "ts": 1673272861686}``), pushed every 100 ms while anything changes.
``ts`` is when Bybit generated the frame (epoch ms), ``cs`` its cross sequence, increasing per
symbol. Linear contracts count ``openInterest`` in the base coin and ``openInterestValue`` in
USDT, as the REST client's ``crypto_open_interest`` does (:mod:`vvv_pipeline.providers.live.bybit`).

Every ticker frame becomes one row: the symbol's state after it (``cs``, ``ts``, open interest,
its value, the mark price), so a reader knows the open interest at any time as of the last row
at or before it. The state is only known from a snapshot on: a snapshot vouches for every
change from its own ``ts`` on (:class:`Held`, the collector's coverage, :mod:`.coverage`), a
delta before any snapshot of the connection is malformed, and each new subscription forgets
the previous connection's state (its snapshot comes again).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.streaming.binance_ws import Held, Message, Trade
from vvv_pipeline.streaming.bybit_ws import decimal, parse_topic, ping_request, subscribe_requests

VENUE = "bybit"
KIND = "crypto_open_interest"
TOPIC = "tickers"
FIELDS = {
    "openInterest": "open_interest",
    "openInterestValue": "open_interest_value",
    "markPrice": "mark_price",
}
"""The ticker fields kept, as the ``crypto_open_interest`` columns they become."""
STAGED_COLUMNS = ("open_interest", "open_interest_value", "mark_price", "seq", "origin")
"""Columns of a staged open-interest segment besides its ``ts`` index."""

OiRow = tuple[int, int, float, float, float]
"""(``cs``, ``ts`` ms, open interest, open-interest value, mark price): a state of one symbol."""


class TickerStates:
    """Each symbol's last known open-interest fields on the current connection."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, float]] = {}

    def forget(self) -> None:
        self.fields.clear()

    def apply(self, body: dict[str, Any]) -> list[Message]:
        """A ``tickers`` frame's messages: a snapshot's :class:`Held` then its row, a delta's
        row; the state changes only when the whole frame is well formed."""
        kind, data, ts, cs = body.get("type"), body.get("data"), body.get("ts"), body.get("cs")
        if not isinstance(data, dict) or type(ts) is not int or type(cs) is not int:
            raise TypeError("data must be an object, ts and cs integers")
        symbol = data.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise TypeError("data.symbol must be a symbol")
        symbol = symbol.upper()
        changed = {FIELDS[k]: decimal(v) for k, v in data.items() if k in FIELDS}
        if kind == "snapshot":
            missing = sorted(set(FIELDS.values()) - set(changed))
            if missing:
                raise KeyError(f"snapshot without {', '.join(missing)}")
            self.fields[symbol] = changed
            held: list[Message] = [Held(symbol, ts)]
        elif kind == "delta":
            if symbol not in self.fields:
                raise ValueError(f"delta of {symbol} before its snapshot")
            self.fields[symbol] = {**self.fields[symbol], **changed}
            held = []
        else:
            raise ValueError(f"type must be snapshot or delta, not {kind!r}")
        state = self.fields[symbol]
        row = (
            cs,
            ts,
            state["open_interest"],
            state["open_interest_value"],
            state["mark_price"],
        )
        return [*held, Trade(symbol, row)]


def parse(frame: str | bytes, states: TickerStates) -> list[Message]:
    """One frame as its messages; never raises (a bad frame is :class:`Malformed` whole)."""
    return parse_topic(frame, TOPIC, states.apply)


def staged_oi(rows: list[OiRow], origin: int) -> pd.DataFrame:
    """One symbol's states as a staged segment: ``ts`` index (UTC), sorted by (ts, cs)."""
    cs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    ms = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    values = [
        np.fromiter((r[i] for r in rows), dtype=np.float64, count=len(rows)) for i in (2, 3, 4)
    ]
    order = np.lexsort((cs, ms))  # ArcticDB stages only index-sorted segments
    index = pd.DatetimeIndex((ms[order] * 1_000_000).view("datetime64[ns]"), name="ts")
    return pd.DataFrame(
        {
            "open_interest": values[0][order],
            "open_interest_value": values[1][order],
            "mark_price": values[2][order],
            "seq": cs[order],
            "origin": np.full(len(rows), origin, dtype=np.int8),
        },
        index=index.tz_localize("UTC"),
    )


def empty_staged_oi() -> pd.DataFrame:
    return staged_oi([], 0)


class BybitTickersWire:
    """Bybit's linear tickers for the collector (:class:`~.collector.Wire`): open interest."""

    venue = VENUE
    kind = KIND
    sequential_ids = False
    app_ping_interval: float | None = 20.0

    def __init__(self) -> None:
        self.states = TickerStates()

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        self.states.forget()  # a new connection: its snapshots come again
        return subscribe_requests(TOPIC, symbols, request_id)

    def parse(self, frame: str | bytes) -> list[Message]:
        return parse(frame, self.states)

    def ping(self, request_id: int) -> str:
        return ping_request(request_id)

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        return staged_oi(rows, origin)
