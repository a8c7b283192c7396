"""IQFeed's Level 1 socket (IQConnect, port 5009): trade updates in, staged equity ticks out.

The socket speaks the same ASCII lines as the Lookup socket (:mod:`vvv_pipeline.providers.live.
iqfeed`), but streams: the client sets the protocol (``S,SET PROTOCOL,6.2``, answered
``S,CURRENT PROTOCOL,6.2``), chooses the fields of update messages (``S,SELECT UPDATE FIELDS,
Symbol,Most Recent Trade,...``, answered ``S,CURRENT UPDATE FIELDNAMES,<the fields in force>``)
and watches each symbol for trades only (``t<SYMBOL>``; ``w`` would add every quote change).
IQConnect then sends:

- ``P,<fields>``: a summary of the symbol's current state, once per watch (its last trade may
  be one heard before, or one missed: neither is staged; the resync below covers missed ones);
- ``Q,<fields>``: an update. ``Message Contents`` says what changed: ``C`` a last-qualified trade,
  ``E`` an extended (Form T) trade, ``O`` any other trade, lower-case letters quote and summary
  fields (``b`` bid, ``a`` ask, ...). A ``Q`` holding none of ``C``/``E``/``O`` is not a trade;
- ``n,<SYMBOL>``: the symbol is unknown; ``E,<text>``: an error; ``T,<YYYYMMDD HH:MM:SS>``: a
  timestamp every second (the link is alive, not data); ``S,...``: system messages
  (``SERVER DISCONNECTED``/``SERVER CONNECTED``: IQConnect lost or regained DTN, ``STATS``,
  ``KEY``, ``CUST``, ...); ``F``/``R``/``N``: fundamentals, regional quotes, news (ignored).

A trade becomes a row exactly as the Lookup client converts an ``LH`` tick, so the streamed and
the fetched copies of a trade are equal: the Eastern date (``MM/DD/CCYY``) and time (with
microseconds) to UTC, ``Bid``/``Ask`` ``0`` as missing, the market centre and the first special
trade condition through the same DTN tables, ``E`` as ``extended_hours`` (and condition ``T``
when no other code applies), the aggressor 1 -> 1, 2 -> -1, else 0, and ``trade_id`` =
``TickID << 8 | market centre``. Level 1 carries no sequence number, and TickID counts per
market centre (:mod:`~vvv_pipeline.providers.live.iqfeed`), so a lost message cannot be seen in
the ids: after every subscription the collector re-reads the symbol's ticks from the Lookup
socket from the last trade it heard (:func:`vvv_pipeline.streaming.service.lookup_resync`), and
readers keep one row per ``trade_id`` (the streamed copy first). That the Level 1 TickID of a
trade is the TickID its history row carries is what DTN's field lists say of both (the
identifier of the trade); no recorded IQConnect session of this project confirms it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vvv_pipeline.providers.live.iqfeed import (
    AGGRESSOR_CODES,
    CENTER_BITS,
    EASTERN,
    PROTOCOL,
)
from vvv_pipeline.providers.live.iqfeed_tables import (
    DEFAULT_CONDITION_CODES,
    DEFAULT_MARKET_CENTERS,
)
from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES, EQUITY_TICKS, conform
from vvv_pipeline.streaming.binance_ws import (
    Malformed,
    Message,
    Notice,
    Other,
    Pong,
    Reply,
    Shutdown,
    Trade,
)

VENUE = "iqfeed"
KIND = "equity_ticks"
UPDATE_FIELDS = (
    "Symbol",
    "Most Recent Trade",
    "Most Recent Trade Size",
    "Most Recent Trade Time",
    "Most Recent Trade Date",
    "Most Recent Trade Market Center",
    "Most Recent Trade Conditions",
    "Most Recent Trade Aggressor",
    "Bid",
    "Ask",
    "TickID",
    "Message Contents",
)
"""What a trade row needs, in DTN's names; ``Symbol`` must come first (IQConnect puts it there)."""
TRADE_CONTENTS = frozenset("CEO")
STAGED_COLUMNS = (
    "price", "size", "bid", "ask", "trade_id", "exchange", "condition", "aggressor",
    "extended_hours", "origin",
)  # fmt: skip
"""Columns of a staged equity segment besides its ``ts`` index (the symbol is in the name)."""

EquityRow = tuple[int, int, float, int, int, int, float, float, str, str, bool]
"""(trade_id, time ms, price, size, aggressor, time us, bid, ask, exchange, condition,
extended): ``exchange`` is ``""`` for a centre the tables do not map."""

_ZONE = ZoneInfo(EASTERN)
_EPOCH = dt.date(1970, 1, 1).toordinal()
_US_PER_HOUR = 3_600_000_000
_MAX_TICK_ID = 1 << (63 - CENTER_BITS)


class IQFeedWire:
    """IQFeed's Level 1 trades for the collector (:class:`~.collector.Wire`), over a
    :func:`~.tcp_lines.line_opener` link. Stateful per connection: the field layout in force
    and whether IQConnect announced it lost DTN."""

    venue = VENUE
    kind = KIND
    sequential_ids = False
    app_ping_interval: float | None = None

    def __init__(
        self,
        market_centers: Mapping[int, str] | None = None,
        condition_codes: Mapping[str, str] | None = None,
        client_name: str = "vvv-pipeline-stream",
    ) -> None:
        self.market_centers = dict(market_centers or DEFAULT_MARKET_CENTERS)
        self.condition_codes = dict(condition_codes or DEFAULT_CONDITION_CODES)
        self.client_name = client_name
        self.layout = _layout(UPDATE_FIELDS)
        self.feed_lost = False
        self._base: dict[tuple[str, str], int] = {}
        """(date, hour) -> UTC microseconds of that Eastern hour's start: one zone lookup per
        hour rather than per trade."""

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        """Protocol (and client name, one request of two lines: only the first is answered),
        update fields, then one trades-only watch per symbol, each answered by a ``P`` summary
        or ``n`` (unknown)."""
        self.layout = _layout(UPDATE_FIELDS)
        self.feed_lost = False
        return [
            ("protocol", f"S,SET PROTOCOL,{PROTOCOL}\r\nS,SET CLIENT NAME,{self.client_name}"),
            ("fields", "S,SELECT UPDATE FIELDS," + ",".join(UPDATE_FIELDS[1:])),
            *((f"watch.{s}", f"t{s}") for s in symbols),
        ]

    def parse(self, frame: str | bytes) -> list[Message]:
        """A block of lines as messages; never raises."""
        text = frame.decode("latin-1") if isinstance(frame, bytes) else frame
        out: list[Message] = []
        for raw in text.split("\n"):
            line = raw.rstrip("\r")
            if line:
                out.extend(self.line(line))
        return out

    def ping(self, request_id: int) -> str:
        raise NotImplementedError("IQConnect sends timestamps itself; it takes no ping")

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        return staged_rows(rows, origin)

    def line(self, line: str) -> list[Message]:
        kind = line[:2]
        if kind == "Q,":
            return [self._update(line)]
        if kind == "T,":
            return [Pong()]
        if kind == "P,":
            symbol = line[2:].split(",", 1)[0]
            return [Reply(f"watch.{symbol}")]
        if kind == "S,":
            return self._system(line)
        if kind == "n,":
            symbol = line[2:].rstrip(",")
            return [Reply(f"watch.{symbol}"), Notice(f"IQFeed: unknown symbol {symbol}")]
        if kind == "E,":
            return [Notice(f"IQFeed error: {line[2:].rstrip(',')}")]
        if kind in ("F,", "R,", "N,"):
            return [Other(kind[0])]
        return [Malformed("not an IQFeed Level 1 message", line[:200])]

    def _system(self, line: str) -> list[Message]:
        fields = line.rstrip(",").split(",")
        name = fields[1] if len(fields) > 1 else ""
        if name == "CURRENT PROTOCOL":
            spoken = fields[2] if len(fields) > 2 else ""
            if spoken != PROTOCOL:
                return [Reply("protocol", f"server speaks protocol {spoken}, need {PROTOCOL}")]
            return [Reply("protocol")]
        if name == "CURRENT UPDATE FIELDNAMES":
            got = [f.strip() for f in fields[2:]]
            missing = [f for f in UPDATE_FIELDS if f.lower() not in {g.lower() for g in got}]
            if missing or not got or got[0].lower() != "symbol":
                return [Reply("fields", f"update fields in force lack {missing or ['Symbol']}")]
            self.layout = _layout(tuple(got))  # IQConnect's order rules, not ours
            return [Reply("fields")]
        if name == "SERVER DISCONNECTED":
            self.feed_lost = True
            return [Notice("IQFeed: IQConnect lost its DTN server; trades stop until it is back")]
        if name == "SERVER CONNECTED" and self.feed_lost:
            # watches survive inside IQConnect, but what traded meanwhile never comes: a new
            # connection re-watches and resyncs from the Lookup socket
            self.feed_lost = False
            return [Notice("IQFeed: DTN server back; reconnecting", logging.INFO), Shutdown()]
        if name == "SYMBOL LIMIT REACHED":
            symbol = fields[2] if len(fields) > 2 else ""
            return [Reply(f"watch.{symbol}"), Notice(f"IQFeed: symbol limit reached at {symbol}")]
        return [Other(f"S,{name}")]

    def _update(self, line: str) -> Message:
        fields = line.split(",")
        at = self.layout
        try:
            contents = fields[at["message contents"]]
            if TRADE_CONTENTS.isdisjoint(contents):
                return Other("quote")
            return Trade(fields[1], self._row(fields, contents))
        except (IndexError, ValueError, KeyError) as error:
            return Malformed(f"Q: {type(error).__name__} {error}", line[:200])

    def _row(self, fields: list[str], contents: str) -> EquityRow:
        at = self.layout
        price = float(fields[at["most recent trade"]])
        if not math.isfinite(price):
            raise ValueError("price is not finite")
        size = int(fields[at["most recent trade size"]])
        tick_id = int(fields[at["tickid"]])
        center_text = fields[at["most recent trade market center"]]
        center = int(center_text) if center_text else 0
        if not 0 <= tick_id < _MAX_TICK_ID or not 0 <= center < 1 << CENTER_BITS or size < 0:
            raise ValueError("TickID, market centre or size out of range")
        date, clock = fields[at["most recent trade date"]], fields[at["most recent trade time"]]
        us = self._utc_us(date, clock)
        aggressor_text = fields[at["most recent trade aggressor"]]
        aggressor = AGGRESSOR_CODES.get(int(aggressor_text), 0) if aggressor_text else 0
        extended = "E" in contents
        condition = self._condition(fields[at["most recent trade conditions"]])
        if extended and condition == "@":
            condition = "T"
        return (
            tick_id << CENTER_BITS | center,
            us // 1000,
            price,
            size,
            aggressor,
            us,
            _quote(fields[at["bid"]]),
            _quote(fields[at["ask"]]),
            self.market_centers.get(center, "") if center_text else "",
            condition,
            extended,
        )

    def _condition(self, codes: str) -> str:
        """The first special condition among up to four 2-hex-digit codes, else ``@`` (the
        Lookup client's rule)."""
        for position in range(0, min(len(codes), 8), 2):
            mapped = self.condition_codes.get(codes[position : position + 2])
            if mapped is not None and mapped != "@":
                return mapped
        return "@"

    def _utc_us(self, date: str, clock: str) -> int:
        """``MM/DD/CCYY`` and ``HH:MM:SS[.ffffff]`` (Eastern) as UTC epoch microseconds."""
        if len(date) != 10 or len(clock) < 8 or clock[2] != ":" or clock[5] != ":":
            raise ValueError(f"trade time {date!r} {clock!r}")
        hour = clock[:2]
        base = self._base.get((date, hour))
        if base is None:
            local = dt.datetime(int(date[6:]), int(date[:2]), int(date[3:5]), int(hour))
            offset = _ZONE.utcoffset(local)
            assert offset is not None
            days = local.date().toordinal() - _EPOCH
            base = days * 24 * _US_PER_HOUR + int(hour) * _US_PER_HOUR
            base -= int(offset.total_seconds()) * 1_000_000
            self._base[(date, hour)] = base
        micros = int(clock[9:15].ljust(6, "0")) if len(clock) > 8 else 0
        return base + (int(clock[3:5]) * 60 + int(clock[6:8])) * 1_000_000 + micros


def _layout(names: tuple[str, ...]) -> dict[str, int]:
    """Field name (lower case) -> its index in a ``Q``/``P`` line (after the message type)."""
    return {name.lower(): i + 1 for i, name in enumerate(names)}


def _quote(text: str) -> float:
    value = float(text) if text else 0.0
    return value if value > 0 else math.nan  # 0.0000: no quote, as the Lookup client reads it


def staged_rows(rows: list[EquityRow], origin: int) -> pd.DataFrame:
    """One symbol's rows as a staged segment: ``ts`` index (UTC), sorted by (ts, trade id)."""
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 11
    us = np.fromiter(columns[5], dtype=np.int64, count=n)
    return _frame(
        us,
        {
            "price": np.fromiter(columns[2], dtype=np.float64, count=n),
            "size": np.fromiter(columns[3], dtype=np.int64, count=n),
            "bid": np.fromiter(columns[6], dtype=np.float64, count=n),
            "ask": np.fromiter(columns[7], dtype=np.float64, count=n),
            "trade_id": np.fromiter(columns[0], dtype=np.int64, count=n),
            "exchange": np.array(columns[8], dtype=object),
            "condition": np.array(columns[9], dtype=object),
            "aggressor": np.fromiter(columns[4], dtype=np.int8, count=n),
            "extended_hours": np.fromiter(columns[10], dtype=bool, count=n),
            "origin": np.full(n, origin, dtype=np.int8),
        },
    )


def _frame(us: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    order = np.lexsort((columns["trade_id"], us))  # ArcticDB stages only index-sorted segments
    index = pd.DatetimeIndex((us[order] * 1000).view("datetime64[ns]"), name="ts")
    return pd.DataFrame(
        {name: values[order] for name, values in columns.items()}, index=index.tz_localize("UTC")
    )


def staged_from_ticks(ticks: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Canonical ``equity_ticks`` rows of one symbol (a Lookup fetch) as a staged segment."""
    n = len(ticks)
    return _frame(
        ticks["ts"].astype("int64").to_numpy() // 1000,
        {
            "price": ticks["price"].to_numpy(dtype=np.float64),
            "size": ticks["size"].to_numpy(dtype=np.int64),
            "bid": ticks["bid"].to_numpy(dtype=np.float64),
            "ask": ticks["ask"].to_numpy(dtype=np.float64),
            "trade_id": ticks["trade_id"].to_numpy(dtype=np.int64),
            "exchange": ticks["exchange"].astype(object).fillna("").to_numpy(dtype=object),
            "condition": ticks["condition"].astype(object).fillna("@").to_numpy(dtype=object),
            "aggressor": ticks["aggressor"].to_numpy(dtype=np.int8),
            "extended_hours": ticks["extended_hours"].to_numpy(dtype=bool),
            "origin": np.full(n, origin, dtype=np.int8),
        },
    )


def canonical_ticks(staged: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Staged rows of one symbol as canonical ``equity_ticks`` (the Lookup client's dtypes and
    categories), in staged order; the ``origin`` column is dropped."""
    frame = staged.reset_index()
    frame["symbol"] = pd.Categorical([symbol] * len(frame), [symbol])
    frame["exchange"] = pd.Categorical(frame["exchange"].replace("", None), EQUITY_EXCHANGES)
    frame["condition"] = pd.Categorical(frame["condition"], EQUITY_CONDITIONS)
    return conform(frame, EQUITY_TICKS)
