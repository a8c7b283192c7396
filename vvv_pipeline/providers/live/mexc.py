"""MEXC perpetual contracts (public market data) -> ``crypto_trades`` and ``crypto_open_interest``.

Wire format, from MEXC's contract API v1 documentation (``mexcdevelop.github.io/apidocs/
contract_v1_en``, mirrored as ``mexc.com/api-docs/futures/market-endpoints``: "Get Ticker
(Contract Market Data)", "Get Contract Info", "Get contract transaction data", "Error code")
and the field names used by widely used clients (pymexc ``futures.HTTP.deals/ticker/detail``):

- **Envelope**: ``{"success": true, "code": 0, "data": ...}``; a failure is
  ``{"success": false, "code": <n>, "message": "..."}``, usually inside HTTP 200. Codes: 0 ok,
  510 excessive request frequency, 500 internal error, 501 system busy, 9999 public abnormal
  (all retried here), 600 parameter error, 1001 contract does not exist, 1002 contract not
  activated (never retried). Public market endpoints allow 20 requests per 2 seconds per IP
  (contract info: 1 per 5 seconds); the client keeps below that.
- **Symbols** name contracts with an underscore (``BTC_USDT``); the canonical symbol keeps the
  universe's spelling (``BTCUSDT``).
- ``GET /api/v1/contract/detail?symbol=`` gives ``contractSize``: base units per contract
  (0.0001 BTC for ``BTC_USDT``). Sizes and open interest on the wire count **contracts**, so
  every amount is multiplied by it (read once per symbol and kept).
- ``GET /api/v1/contract/deals/{symbol}?limit=`` is a snapshot of the latest deals, newest
  first, ``limit`` at most 100, no time filter and no paging. Each deal is
  ``{"p": price, "v": contracts, "T": 1 buy | 2 sell (the taker side), "O": open flag,
  "M": self-trade flag, "t": epoch ms}`` with JSON numbers. A window is served only when the
  snapshot reaches back past its start or holds fewer deals than asked (then it is every deal
  there is); otherwise it is refused rather than returned as a complete partition. Deals
  carry no id: ``trade_id`` is a stable 63-bit fold of ``t|p|v|T|n`` (``n`` numbers identical
  deals within the snapshot, oldest first; :mod:`.trade_ids`).
- ``GET /api/v1/contract/ticker?symbol=`` gives the current state: ``holdVol`` (open interest
  in contracts), ``fairPrice`` (the mark price), ``timestamp`` (ms). MEXC publishes no
  open-interest history, so a window is served only if the ticker's instant falls inside it,
  as one sample (open interest = ``holdVol`` x ``contractSize``, value = that x
  ``fairPrice``); any other window is refused. :attr:`MexcClient.oi_cadence_seconds` is
  therefore the cadence a caller polling the ticker would get (its ``poll_seconds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import requests

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, RetryableError, SchemaDriftError
from vvv_pipeline.providers.live.drift import parse_numbers as decimals
from vvv_pipeline.providers.live.drift import records_frame, require
from vvv_pipeline.providers.live.http import HttpClient, OverHttp
from vvv_pipeline.providers.live.trade_ids import trade_ids
from vvv_pipeline.providers.live.venue_frames import fetch_per_symbol, refuse_partial_snapshot

PROVIDER = "mexc"
DEALS = "/api/v1/contract/deals"
TICKER = "/api/v1/contract/ticker"
DETAIL = "/api/v1/contract/detail"
DEALS_CAP = 100
"""Largest ``limit`` of the deals snapshot."""
RETRYABLE_CODES = {
    510: "excessive frequency of requests",
    500: "internal error",
    501: "system busy",
    9999: "public abnormal",
}
DEAL_FIELDS = ("p", "v", "T", "t", "O", "M")
TICKER_FIELDS = ("symbol", "holdVol", "fairPrice", "timestamp")
SIDES = {1: 1, 2: -1}
"""``T`` (the taker side: 1 buy, 2 sell) -> aggressor."""
QUOTES = ("USDT", "USDC", "USD")


def contract_symbol(symbol: str) -> str:
    """MEXC's contract name of a universe pair: ``BTCUSDT`` -> ``BTC_USDT`` (as is if it has
    an underscore already)."""
    if "_" in symbol:
        return symbol
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}_{quote}"
    raise ValueError(f"{PROVIDER}: cannot name the contract of {symbol!r} (quote not in {QUOTES})")


def check_envelope(response: requests.Response) -> None:
    """Raise for ``success: false`` / a non-zero ``code`` (the retryable ones retry)."""
    try:
        body = response.json()
    except ValueError:
        return  # not JSON (a proxy's 5xx page, a truncated body): the status rules decide
    if not isinstance(body, dict) or "code" not in body:
        return
    code = body.get("code")
    if body.get("success") is not False and code in (0, "0"):
        return
    endpoint = response.request.path_url.split("?")[0] if response.request else "?"
    message = f"code {code}: {body.get('message', body.get('msg', ''))}"
    if _as_int(code) in RETRYABLE_CODES:
        raise RetryableError(PROVIDER, endpoint, message)
    raise ProviderError(PROVIDER, endpoint, message)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MexcClient(OverHttp):
    """Perpetual-contract deals (a snapshot) and open interest (the current ticker)."""

    name = PROVIDER

    def __init__(
        self,
        base_url: str = "https://contract.mexc.com",
        *,
        requests_per_second: float = 8.0,
        trade_limit: int = DEALS_CAP,
        poll_seconds: int = 5,
        **http_options: Any,
    ) -> None:
        """``http_options`` go to :class:`HttpClient` (timeout, attempts, backoff, time budget).

        ``requests_per_second`` defaults below the published 20 per 2 seconds.
        """
        if not 1 <= trade_limit <= DEALS_CAP:
            raise ValueError(f"{PROVIDER}: deals limit must be in 1..{DEALS_CAP}")
        if poll_seconds < 1:
            raise ValueError(f"{PROVIDER}: poll_seconds must be >= 1")
        self.http = HttpClient(
            PROVIDER,
            base_url,
            requests_per_second=requests_per_second,
            **http_options,
            check=check_envelope,
        )
        self.trade_limit, self.poll_seconds = trade_limit, poll_seconds
        self._contract_sizes: dict[str, float] = {}

    @property
    def oi_cadence_seconds(self) -> int:
        """Seconds between two ticker polls (MEXC keeps no open-interest history)."""
        return self.poll_seconds

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        readers = {
            Source.CRYPTO_TRADES: self._trades,
            Source.CRYPTO_OPEN_INTEREST: self._open_interest,
        }
        return fetch_per_symbol(PROVIDER, readers, source, start, end, symbols)

    def _data(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        body = self.http.get_json(endpoint, params)
        self.http.stats.pages += 1
        return require(body, "data", PROVIDER, endpoint)

    def contract_size(self, symbol: str) -> float:
        """Base units per contract of ``symbol`` (read once from the contract info)."""
        contract = contract_symbol(symbol)
        if contract not in self._contract_sizes:
            data = self._data(DETAIL, {"symbol": contract})
            entries = data if isinstance(data, list) else [data]
            mine = [e for e in entries if isinstance(e, dict) and e.get("symbol") == contract]
            if not mine:
                raise ProviderError(PROVIDER, DETAIL, f"{contract}: no contract info served")
            size = decimals(
                pd.Series([require(mine[0], "contractSize", PROVIDER, DETAIL)]),
                "contractSize",
                PROVIDER,
                DETAIL,
            )[0]
            if not size > 0:
                raise SchemaDriftError(PROVIDER, DETAIL, "contractSize", f"{contract}: {size!r}")
            self._contract_sizes[contract] = float(size)
        return self._contract_sizes[contract]

    def _trades(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        contract = contract_symbol(symbol)
        endpoint = f"{DEALS}/{contract}"
        rows = self._data(endpoint, {"limit": self.trade_limit})
        wire = records_frame(rows, DEAL_FIELDS[:4], DEAL_FIELDS, PROVIDER, endpoint)
        if wire.empty:
            return pd.DataFrame()
        stamp = decimals(wire["t"], "t", PROVIDER, endpoint).astype(np.int64)
        ts = pd.to_datetime(stamp, unit="ms", utc=True)
        refuse_partial_snapshot(
            PROVIDER,
            endpoint,
            f"{symbol}: the deals snapshot",
            ts,
            self.trade_limit,
            lo,
            "MEXC serves no older deals",
        )
        side = pd.Series(decimals(wire["T"], "T", PROVIDER, endpoint)).map(SIDES)
        if side.isna().any():
            bad = wire["T"][side.isna().to_numpy()].iloc[0]
            raise ProviderError(PROVIDER, endpoint, f"{symbol}: field 'T' holds {bad!r}")
        price = decimals(wire["p"], "p", PROVIDER, endpoint)
        contracts = decimals(wire["v"], "v", PROVIDER, endpoint)
        return pd.DataFrame(
            {
                "ts": ts,
                "symbol": symbol,
                "price": price,
                "size": contracts * self.contract_size(symbol),
                "trade_id": trade_ids(_deal_keys(wire), PROVIDER, endpoint, symbol),
                "aggressor": side.to_numpy().astype(np.int8),
                "venue": PROVIDER,
            }
        )

    def _open_interest(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        contract = contract_symbol(symbol)
        data = self._data(TICKER, {"symbol": contract})
        if isinstance(data, list):  # without a symbol the ticker lists every contract
            data = next(
                (d for d in data if isinstance(d, dict) and d.get("symbol") == contract), None
            )
        wire = records_frame(
            [data] if data is not None else [], TICKER_FIELDS[1:], TICKER_FIELDS, PROVIDER, TICKER
        )
        if wire.empty:
            raise ProviderError(PROVIDER, TICKER, f"{contract}: no ticker served")
        stamp = int(decimals(wire["timestamp"], "timestamp", PROVIDER, TICKER)[0])
        at = pd.Timestamp(stamp, unit="ms", tz="UTC")
        if not lo <= at < hi:
            raise ProviderError(
                PROVIDER,
                TICKER,
                f"{symbol}: MEXC publishes open interest only as the current ticker (at {at}); "
                f"the window [{lo}, {hi}) cannot be served",
            )
        oi = decimals(wire["holdVol"], "holdVol", PROVIDER, TICKER) * self.contract_size(symbol)
        mark = decimals(wire["fairPrice"], "fairPrice", PROVIDER, TICKER)
        return pd.DataFrame(
            {
                "ts": [at],
                "symbol": symbol,
                "open_interest": oi,
                "open_interest_value": oi * mark,
                "mark_price": mark,
                "venue": PROVIDER,
            }
        )


def _deal_keys(wire: pd.DataFrame) -> pd.Series:
    """Text naming each deal: ``t|p|v|T|n``, ``n`` counting identical deals oldest first (the
    wire is newest first, so counting runs over the reversed rows)."""
    base = (
        wire["t"].astype(str)
        + "|"
        + wire["p"].astype(str)
        + "|"
        + wire["v"].astype(str)
        + "|"
        + wire["T"].astype(str)
    )
    occurrence = base.iloc[::-1].groupby(base.iloc[::-1]).cumcount().iloc[::-1]
    return base + "|" + occurrence.astype(str)
