"""IQFeed (DTN) tick history over the Lookup socket -> ``equity_ticks``.

IQFeed is a plain-text TCP protocol spoken by IQConnect on localhost (port 9100): the client
sets protocol 6.2, sends one ``HTT`` request per symbol and US-Eastern day, and reads lines
until ``!ENDMSG!``. Replies are parsed as a block (pandas), never line by line in Python.

Wire -> canonical columns:

- ``ts``: the Eastern timestamp (microseconds) converted to UTC; the wire carries no
  nanoseconds, so ``ts`` is the event time floored to the microsecond.
- ``price``/``size``/``bid``/``ask``: Last, LastSize, Bid, Ask; a ``0.0000`` quote is missing
  (NaN), as the reference says.
- ``trade_id``: ``TickID << 8 | TradeMarketCenter``. Recorded replies show TickID counting
  per market centre (one day of one symbol repeats TickID 597 at six centres), so TickID alone
  is not unique; with the centre (DTN ids stay below 256) in the low byte it is, and the ids
  still sort by TickID.
- ``exchange``: the numeric TradeMarketCenter (a DTN listed-market id) through
  ``market_centers`` (id -> canonical code); an id outside the table is a missing value, left
  for validation to flag.
- ``condition``: the first of up to four 2-hex-digit TradeConditions that maps to a special
  condition through ``condition_codes``, else ``@``; an extended-hours basis (``E``) without
  another code gives ``T``.
- ``aggressor``: TradeAggressor 1 -> 1, 2 -> -1, anything else (0 unknown, 3 neither) -> 0.
- ``extended_hours``: BasisForLast is ``E``.

Both id tables come from DTN's lists (:mod:`.iqfeed_tables`): the first fetch asks the running
IQConnect for them (``SLM``, ``STC``) and maps what it answers over the published defaults;
tables passed as ``market_centers``/``condition_codes`` are used as given instead.
"""

from __future__ import annotations

import io
import itertools
import re
import socket
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.http import FetchStats
from vvv_pipeline.providers.live.iqfeed_tables import (
    DEFAULT_CONDITION_CODES,
    DEFAULT_MARKET_CENTERS,
    condition_table,
    market_center_table,
    parse_lookup_reply,
)
from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES, EQUITY_TICKS, conform

PROVIDER = "iqfeed"
PROTOCOL = "6.2"
EASTERN = "America/New_York"
WIRE_TIME = "%Y-%m-%d %H:%M:%S.%f"
NO_DATA = "!NO_DATA!"
TERMINATOR = "!ENDMSG!"
TICK_FIELDS = (
    "kind", "time", "last", "size", "total_volume", "bid", "ask", "tick_id",
    "basis", "market_center", "conditions", "aggressor", "day_code",
)  # fmt: skip
CENTER_BITS = 8
"""Low bits of ``trade_id`` holding the market centre; the TickID sits above them."""
AGGRESSOR_CODES = {1: 1, 2: -1}
SYSTEM_LINE = re.compile(r"(?m)^S,.*\n?")
ERROR_LINE = re.compile(r"(?m)^E,([^,\n]*)")
STRAY_LINE = re.compile(r"(?m)^(?!LH,).+$")
TICK_ROW = re.compile(r"(?m)^LH(?:,[^,\n]*){11},[^,\n]+,?$")
"""An ``LH`` row: 12 fields after the id, DayCode never empty, the trailing comma optional."""


def eastern_chunks(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[str, str]]:
    """``HTT`` (begin, end) pairs covering [start, end) one Eastern day at a time.

    HTT bounds are inclusive at second resolution, so each chunk ends at the last whole
    second before its exclusive end; the client clips to [start, end) afterwards.
    """
    lo, hi = start.tz_convert(EASTERN), end.tz_convert(EASTERN)
    cuts = pd.date_range(lo.normalize() + pd.Timedelta(days=1), hi, freq="D", tz=EASTERN)
    edges = [lo, *[c for c in cuts if lo < c < hi], hi]
    out = []
    for a, b in itertools.pairwise(edges):
        last = (b - pd.Timedelta(microseconds=1)).floor("s")
        out.append((a.floor("s").strftime("%Y%m%d %H%M%S"), last.strftime("%Y%m%d %H%M%S")))
    return out


def parse_tick_reply(
    text: str,
    symbol: str,
    request_id: str | None = None,
    market_centers: Mapping[int, str] = DEFAULT_MARKET_CENTERS,
    condition_codes: Mapping[str, str] = DEFAULT_CONDITION_CODES,
) -> pd.DataFrame:
    """The ticks of one ``HTT`` reply (protocol 6.2) as a canonical frame in wire order.

    ``E,!NO_DATA!`` is an empty frame; any other ``E,`` line raises :class:`ProviderError`
    naming the symbol and the message; a line that does not parse raises too, and a reply
    whose every row has another layout raises :class:`SchemaDriftError`. The checks are
    regular expressions over the whole reply, so no Python code runs per line.
    """
    endpoint = f"HTT {symbol}"

    def fail(message: str) -> ProviderError:
        return ProviderError(PROVIDER, endpoint, f"{symbol}: {message}")

    body = "\n" + text.replace("\r\n", "\n").strip("\n")
    if "\nS," in body:
        body = SYSTEM_LINE.sub("", body)
    lines = body.count("\n")
    if request_id is not None:
        prefix = f"\n{request_id},"
        if body.count(prefix) != lines:
            foreign = re.search(rf"(?m)^(?!{re.escape(prefix[1:])}).+$", body)
            raise fail(f"reply line without id: {foreign.group() if foreign else ''!r}")
        body = body.replace(prefix, "\n")
    body, _, last = body.rpartition("\n")
    if last.rstrip(",") != TERMINATOR:
        raise fail(f"reply does not end with {TERMINATOR}")
    error = ERROR_LINE.search(body) if "\nE," in body else None
    if error:
        if error.group(1) == NO_DATA:
            return EQUITY_TICKS.empty()
        raise fail(error.group(1))
    rows = lines - 1
    if body.count("\nLH,") != rows:
        stray = STRAY_LINE.search(body)
        raise fail(f"malformed reply line {stray.group() if stray else ''!r}")
    body = body[1:]
    if body.count(",") not in (rows * len(TICK_FIELDS), rows * (len(TICK_FIELDS) - 1)):
        _check_row_layout(body, rows, symbol, endpoint)
    return _tick_frame(body, symbol, fail, market_centers, condition_codes)


def _check_row_layout(body: str, rows: int, symbol: str, endpoint: str) -> None:
    """Raise unless every row has the 6.2 layout (the slow path, run only on a doubt)."""
    fitting = len(TICK_ROW.findall(body))
    if fitting == rows:
        return
    counts = {line.removesuffix(",").count(",") for line in body.split("\n", 50)[:50]}
    if fitting == 0 and len(counts) == 1:
        layout = f"{counts.pop() + 1} fields, expected {len(TICK_FIELDS)}"
        raise SchemaDriftError(PROVIDER, endpoint, "tick row", f"{symbol}: rows have {layout}")
    raise ProviderError(PROVIDER, endpoint, f"{symbol}: {rows - fitting} malformed tick line(s)")


def _tick_frame(
    body: str,
    symbol: str,
    fail: Callable[[str], ProviderError],
    market_centers: Mapping[int, str],
    condition_codes: Mapping[str, str],
) -> pd.DataFrame:
    try:
        wire = pd.read_csv(
            io.StringIO(body),
            header=None,
            names=[*TICK_FIELDS, "trailing"],
            usecols=list(TICK_FIELDS),
            dtype={"last": "float64", "size": "int64", "bid": "float64", "ask": "float64"}
            | {"tick_id": "int64", "time": str, "basis": str, "conditions": str},
            keep_default_na=False,
            na_values={"market_center": [""], "aggressor": [""]},
            float_precision="round_trip",
        )
        ts = pd.to_datetime(wire["time"], format=WIRE_TIME).dt.tz_localize(EASTERN)
        centers = pd.to_numeric(wire["market_center"])
        trade_id = _trade_ids(wire["tick_id"].to_numpy(), centers.to_numpy())
        aggressor = pd.to_numeric(wire["aggressor"]).map(AGGRESSOR_CODES).fillna(0)
    except (ValueError, TypeError) as exc:
        raise fail(f"malformed tick data ({exc})") from None
    extended = (wire["basis"] == "E").to_numpy()
    condition = _conditions(wire["conditions"], condition_codes)
    condition = np.where(extended & (condition == "@"), "T", condition)
    frame = pd.DataFrame(
        {
            "ts": ts.dt.tz_convert("UTC"),
            "symbol": symbol,
            "price": wire["last"],
            "size": wire["size"],
            "bid": wire["bid"].where(wire["bid"] > 0),
            "ask": wire["ask"].where(wire["ask"] > 0),
            "trade_id": trade_id,
            "exchange": pd.Categorical(centers.map(market_centers), EQUITY_EXCHANGES),
            "condition": pd.Categorical(condition, EQUITY_CONDITIONS),
            "aggressor": aggressor.astype(np.int8),
            "extended_hours": extended,
        }
    )
    return conform(frame, EQUITY_TICKS)


def _trade_ids(tick_ids: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``tick_id << 8 | center`` (a missing centre counts as 0); ValueError when either
    does not fit its bits."""
    center = np.nan_to_num(centers.astype(np.float64), nan=0.0).astype(np.int64)
    limit = 1 << (63 - CENTER_BITS)
    if len(tick_ids) and (tick_ids.min() < 0 or tick_ids.max() >= limit):
        raise ValueError(f"a TickID outside 0..2**{63 - CENTER_BITS}")
    if len(center) and (center.min() < 0 or center.max() >= 1 << CENTER_BITS):
        raise ValueError(f"a market centre outside 0..{(1 << CENTER_BITS) - 1}")
    return (tick_ids.astype(np.int64) << CENTER_BITS) | center


def _conditions(codes: pd.Series, table: Mapping[str, str]) -> np.ndarray:
    """The first special condition among up to four 2-character codes, else ``@``."""
    out = np.full(len(codes), "@", dtype=object)
    coded = (codes != "").to_numpy()
    present = codes[coded]
    picked = np.full(len(present), "@", dtype=object)
    for position in (6, 4, 2, 0):  # last to first, so the first special code wins
        mapped = present.str.slice(position, position + 2).map(table).to_numpy()
        special = pd.notna(mapped) & (mapped != "@")
        picked = np.where(special, mapped, picked)
    out[coded] = picked
    return out


def finish_ticks(
    pieces: list[pd.DataFrame], symbols: Sequence[str], lo: pd.Timestamp, hi: pd.Timestamp
) -> pd.DataFrame:
    """Canonical ``equity_ticks`` pieces as one frame: rows in ``[lo, hi)`` by (symbol, ts,
    trade id), the symbols' categories as given (what a fetch returns, and a session finalized
    from the stream)."""
    # empty chunks (a quiet hour, a catch-up with nothing new) would only decide dtypes
    pieces = [piece for piece in pieces if len(piece)]
    frame = pd.concat(pieces, ignore_index=True) if pieces else EQUITY_TICKS.empty()
    ts = frame["ts"]
    frame = frame[(ts >= lo) & (ts < hi)]
    frame = frame.sort_values(["symbol", "ts", "trade_id"], kind="stable")
    frame = frame.astype({"symbol": str, "exchange": object, "condition": object})
    out = conform(frame, EQUITY_TICKS)
    categories = (sorted(set(symbols)), EQUITY_EXCHANGES, EQUITY_CONDITIONS)
    for column, values in zip(("symbol", "exchange", "condition"), categories, strict=True):
        out[column] = out[column].cat.set_categories(list(values))
    return out


class IQFeedClient:
    """Tick history from an IQConnect Lookup socket (one socket per fetch, one request at a time).

    Each fetch negotiates the protocol, then requests every symbol one Eastern day at a time.
    A reset, timeout or early close of the socket reconnects and repeats the request, up to
    ``max_attempts`` in all; after that the fetch raises and returns nothing.
    ``stats.requests`` counts HTT requests, ``stats.pages`` complete replies, ``stats.bytes``
    bytes read, ``stats.retries`` repeated requests.
    """

    name = PROVIDER
    sources: tuple[Source, ...] = (Source.EQUITY_TICKS,)

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9100,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
        use_request_id: bool = True,
        client_name: str = "vvv-pipeline",
        datapoints_per_send: int = 500,
        market_centers: Mapping[int, str] | None = None,
        condition_codes: Mapping[str, str] | None = None,
        lookup_tables: bool | None = None,
    ) -> None:
        """``lookup_tables`` (default: when no table is passed) asks IQConnect for DTN's lists."""
        self.host, self.port = host, port
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.max_attempts = max(1, max_attempts)
        self.use_request_id, self.client_name = use_request_id, client_name
        self.datapoints_per_send = datapoints_per_send
        self.market_centers = dict(market_centers or DEFAULT_MARKET_CENTERS)
        self.condition_codes = dict(condition_codes or DEFAULT_CONDITION_CODES)
        given = market_centers is not None or condition_codes is not None
        self.lookup_tables = not given if lookup_tables is None else lookup_tables
        self.tables_from_server = False
        self.stats = FetchStats()
        self._requests = 0

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        if Source(source) != Source.EQUITY_TICKS:
            raise ValueError(f"{PROVIDER}: source {source!r} is not served (only equity_ticks)")
        lo, hi = _utc(start), _utc(end)
        if hi <= lo or not symbols:
            return EQUITY_TICKS.empty()
        chunks = eastern_chunks(lo, hi)
        pieces: list[pd.DataFrame] = []
        session = _Session(self)
        try:
            if self.lookup_tables and not self.tables_from_server:
                self.refresh_tables(session)
            for symbol in dict.fromkeys(symbols):
                for begin, last in chunks:
                    pieces.append(session.ticks(symbol, begin, last))
        finally:
            session.close()
        return finish_ticks(pieces, symbols, lo, hi)

    def refresh_tables(self, session: _Session | None = None) -> None:
        """Rebuild both id tables from IQConnect's ``SLM`` and ``STC`` answers.

        What the answers map replaces the defaults entry by entry; an empty or failed answer
        leaves the table as it was (the next fetch asks again).
        """
        own = session is None
        session = session or _Session(self)
        try:
            listed = parse_lookup_reply(session.lookup("SLM"))
            conditions = parse_lookup_reply(session.lookup("STC"))
        finally:
            if own:
                session.close()
        centers, codes = market_center_table(listed), condition_table(conditions)
        self.market_centers = {**self.market_centers, **centers}
        self.condition_codes = {**self.condition_codes, **codes}
        self.tables_from_server = bool(centers and codes)

    def _next_request_id(self) -> str | None:
        self._requests += 1
        return f"vvv{self._requests}" if self.use_request_id else None


class _Session:
    """One Lookup socket with the protocol negotiated; reconnects on transport failures."""

    def __init__(self, client: IQFeedClient) -> None:
        self.client = client
        self.sock: socket.socket | None = None
        self.buffer = bytearray()

    def ticks(self, symbol: str, begin: str, last: str) -> pd.DataFrame:
        client = self.client
        request_id = client._next_request_id()
        fields = [symbol, begin, last, "", "", "", "1", request_id or ""]
        command = "HTT," + ",".join([*fields, str(client.datapoints_per_send)])
        text = self._request(command, request_id, f"HTT {symbol}", symbol)
        client.stats.pages += 1
        return parse_tick_reply(
            text, symbol, request_id, client.market_centers, client.condition_codes
        )

    def lookup(self, name: str) -> str:
        """The raw reply to a list lookup (``SLM``, ``STC``); not counted as a tick request."""
        request_id = self.client._next_request_id()
        return self._request(f"{name},{request_id or ''}", request_id, name, name, count=False)

    def _request(
        self, command: str, request_id: str | None, endpoint: str, what: str, count: bool = True
    ) -> str:
        client = self.client
        for attempt in range(1, client.max_attempts + 1):
            try:
                self._connect()
                client.stats.requests += count
                self._send(command)
                return self._read_reply(request_id)
            except (OSError, EOFError) as exc:
                self.close()
                if attempt == client.max_attempts:
                    reason = f"{what}: {type(exc).__name__} after {attempt} attempt(s)"
                    raise ProviderError(PROVIDER, endpoint, reason) from None
                client.stats.retries += 1
        raise AssertionError("unreachable: the loop returns or raises")

    def _connect(self) -> None:
        if self.sock is not None:
            return
        client = self.client
        address = (client.host, client.port)
        self.sock = socket.create_connection(address, timeout=client.connect_timeout)
        self.sock.settimeout(client.read_timeout)
        self.buffer.clear()
        self._send(f"S,SET PROTOCOL,{PROTOCOL}")
        line = self._read_line_starting(b"S,CURRENT PROTOCOL,")
        answered = line.decode("latin-1").rstrip(",").split(",")[2]
        if answered != PROTOCOL:
            self.close()
            raise ProviderError(
                PROVIDER, "S,SET PROTOCOL", f"server speaks protocol {answered}, need {PROTOCOL}"
            )
        self._send(f"S,SET CLIENT NAME,{client.client_name}")

    def _send(self, line: str) -> None:
        assert self.sock is not None
        self.sock.sendall(line.encode("latin-1") + b"\r\n")

    def _receive(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("connection closed before the reply ended")
        self.client.stats.bytes += len(chunk)
        self.buffer += chunk

    def _read_line_starting(self, prefix: bytes) -> bytes:
        while True:
            while b"\n" not in self.buffer:
                self._receive()
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer[:] = rest
            if line.startswith(prefix):
                return line.rstrip(b"\r")

    def _read_reply(self, request_id: str | None) -> str:
        """Bytes up to the terminator line; anything after it stays buffered."""
        terminator = (f"{request_id}," if request_id else "").encode() + TERMINATOR.encode()
        pattern = re.compile(rb"(?:^|\n)" + re.escape(terminator) + rb",*\r?\n")
        scanned = 0
        while (found := pattern.search(self.buffer, max(0, scanned - len(terminator) - 4))) is None:
            scanned = len(self.buffer)
            self._receive()
        text = self.buffer[: found.end()].decode("latin-1")
        del self.buffer[: found.end()]
        return text

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
