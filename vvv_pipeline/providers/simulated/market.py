"""The simulated market: the project's default :class:`MarketDataProvider`.

``fetch`` cuts the window into generation units (:mod:`.units`), generates each (symbol, unit)
whole from its own random streams, clips it to the window, applies the configured faults
(:mod:`.faults`) and assembles one canonical frame sorted by (symbol, ts). Because units are
generated whole and independently, the rows of a session do not depend on the window they
were fetched in, on the other symbols requested, or on the order of calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import units as U
from vvv_pipeline.providers.simulated.config import FaultError, SimulationConfig
from vvv_pipeline.providers.simulated.crypto import crypto_trades
from vvv_pipeline.providers.simulated.daily import daily_bar
from vvv_pipeline.providers.simulated.darkpool import darkpool_prints
from vvv_pipeline.providers.simulated.economic import economic_release
from vvv_pipeline.providers.simulated.equity import equity_ticks
from vvv_pipeline.providers.simulated.faults import UNKNOWN_SYMBOL, UnitContext, apply_faults
from vvv_pipeline.providers.simulated.news import news_day
from vvv_pipeline.providers.simulated.open_interest import SAMPLE_S, open_interest
from vvv_pipeline.providers.simulated.options import options_flow
from vvv_pipeline.providers.simulated.paths import equity_path_series
from vvv_pipeline.providers.simulated.venues import VENUES, venue_open_interest
from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.universe import Universe, load_universe

DEFAULT_CONFIG = SimulationConfig()
EQUITY_SOURCES = (Source.EQUITY_TICKS, Source.DARKPOOL_PRINTS, Source.OPTIONS_FLOW)
CRYPTO_SOURCES = (Source.CRYPTO_TRADES, Source.CRYPTO_OPEN_INTEREST)
Columns = dict[str, np.ndarray | pd.Categorical]
"""A generated unit as columns (``ts`` int64 UTC ns), before it joins the partition's frame."""


def parse_source(source: Source | str) -> Source:
    try:
        return Source(source)
    except ValueError:
        valid = [s.value for s in Source]
        raise ValueError(f"unknown source {source!r}; expected one of {valid}") from None


def as_utc(instant: pd.Timestamp | str) -> pd.Timestamp:
    """A tz-aware UTC timestamp (naive input is read as UTC)."""
    stamp = pd.Timestamp(instant)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _is_sorted(codes: np.ndarray, ts: np.ndarray) -> bool:
    step = np.diff(codes.astype(np.int64))
    return bool(np.all((step > 0) | ((step == 0) & (np.diff(ts) >= 0))))


class SimulatedMarket:
    """A deterministic market over the universe: every source, every window, any machine."""

    name = "simulated"
    oi_cadence_seconds = SAMPLE_S
    """Open interest is simulated on a 5-second grid (tier 3 expects every sample)."""

    def __init__(
        self, config: SimulationConfig = DEFAULT_CONFIG, universe: Universe | None = None
    ) -> None:
        self.config = config
        self.universe = universe if universe is not None else load_universe()
        for fault in config.faults:
            known = self.known_symbols(fault.source)
            if fault.symbol is not None and fault.symbol not in known:
                # a fault no unit matches would inject nothing and pass unnoticed
                raise FaultError(
                    f"fault {fault.kind!r} on {fault.source}: unknown symbol {fault.symbol!r} "
                    f"(this source knows {list(known)})"
                )

    def known_symbols(self, source: Source | str) -> tuple[str, ...]:
        """The symbols ``source`` has in this market's universe."""
        src = parse_source(source)
        if src in CRYPTO_SOURCES:
            return self.universe.crypto
        if src == Source.DAILY_OHLCV:
            return tuple(self.universe.daily_ohlcv)
        if src == Source.ECONOMIC_SERIES:
            return tuple(self.universe.economic)
        return self.universe.equities

    def intraday_path(self, symbol: str, session: str) -> pd.Series:
        """The equity's true price every second of ``[open, close)`` of a session (UTC index).

        The first value is the day's open anchor, the last its close anchor; ticks, dark-pool
        prints and option alerts all sample this path.
        """
        if symbol not in self.universe.equities:
            raise ValueError(f"intraday_path: {symbol!r} is not an equity of the universe")
        day = pd.Timestamp(session).strftime("%Y-%m-%d")
        start = self.universe.start_price(symbol)
        return equity_path_series(self.config.seed, symbol, day, start)

    def fetch(
        self,
        source: Source | str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
    ) -> pd.DataFrame:
        """Rows of ``source`` for ``symbols`` with ``start <= ts < end``, canonical schema.

        Sorted by (symbol, ts) with a RangeIndex. Configured faults may deliberately break these
        promises (that is their point); everything else holds.
        """
        src = parse_source(source)
        schema = SOURCE_SCHEMAS[src.value]
        wanted = self._check_symbols(src, [symbols] if isinstance(symbols, str) else symbols)
        lo, hi = as_utc(start), as_utc(end)
        if hi <= lo or not wanted:
            return schema.empty()
        faults = [f for f in self.config.faults if f.source == src.value]
        unknown = any(f.kind == "unknown_symbol" for f in faults)
        table = sorted(set(wanted) | ({UNKNOWN_SYMBOL} if unknown else set()))
        codes = {symbol: i for i, symbol in enumerate(table)}
        pieces: list[pd.DataFrame] | list[Columns] = []
        naive = False
        for symbol, unit, piece in self._generate(src, sorted(wanted), lo, hi):
            if isinstance(piece, dict) and not faults:  # columns: stacked once in _assemble
                piece = _clipped(piece, lo.value, hi.value)
                piece["_sym"] = np.full(len(piece["ts"]), codes[symbol], dtype=np.int16)
                if len(piece["ts"]):
                    pieces.append(piece)
                continue
            frame = pd.DataFrame(piece) if isinstance(piece, dict) else piece
            frame["_sym"] = np.full(len(frame), codes[symbol], dtype=np.int16)
            ts = frame["ts"].to_numpy()
            if len(ts) and (ts.min() < lo.value or ts.max() >= hi.value):
                frame = frame[(ts >= lo.value) & (ts < hi.value)]
            if faults:
                ctx = UnitContext(
                    self.config.seed,
                    src.value,
                    symbol,
                    unit,
                    (lo.value, hi.value),
                    codes.get(UNKNOWN_SYMBOL, -1),
                )
                frame, hit = apply_faults(frame, faults, ctx)
                naive = naive or hit
            if len(frame):
                pieces.append(frame)
        return _assemble(pieces, src, table, naive)

    def venue_open_interest(
        self,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        venues: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Each venue's 5-second open interest and mark price (:mod:`.venues`), ``start <= ts <
        end``: the ``crypto_open_interest`` columns, one row per (symbol, ts, venue), in that
        order. Binance's rows are the ``crypto_open_interest`` source's own; faults do not
        apply (they target the sources)."""
        names = list(VENUES) if venues is None else list(dict.fromkeys(venues))
        unknown = [v for v in names if v not in VENUES]
        if unknown:
            raise ValueError(f"unknown venues {unknown}; expected some of {list(VENUES)}")
        wanted = self._check_symbols(Source.CRYPTO_OPEN_INTEREST, list(symbols))
        lo, hi = as_utc(start), as_utc(end)
        schema = SOURCE_SCHEMAS[Source.CRYPTO_OPEN_INTEREST.value]
        if hi <= lo or not wanted or not names:
            return schema.empty()
        symbols_sorted = sorted(wanted)
        pieces: list[Columns] = []
        symbol_codes, venue_codes = [], []
        for s_code, symbol in enumerate(symbols_sorted):
            price = self.universe.start_price(symbol)
            for unit in self._units(Source.CRYPTO_OPEN_INTEREST, lo, hi):
                reference = open_interest(self.config.seed, symbol, unit.index, price)
                for v_code, venue in enumerate(names):
                    piece = venue_open_interest(
                        self.config.seed, symbol, unit.index, price, venue, reference
                    )
                    piece = _clipped(
                        {k: v for k, v in piece.items() if k != "venue"}, lo.value, hi.value
                    )
                    pieces.append(piece)
                    symbol_codes.append(np.full(len(piece["ts"]), s_code, dtype=np.int32))
                    venue_codes.append(np.full(len(piece["ts"]), v_code, dtype=np.int8))
        columns = _stacked(pieces)
        by_symbol, by_venue = np.concatenate(symbol_codes), np.concatenate(venue_codes)
        # (symbol, ts, venue) is unique: one lexsort of integer keys orders the rows
        order = np.lexsort((by_venue, columns["ts"], by_symbol))
        frame = pd.DataFrame({name: values[order] for name, values in columns.items()})
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(), utc=True)
        frame["symbol"] = pd.Categorical.from_codes(by_symbol[order], symbols_sorted)
        frame["venue"] = pd.Categorical.from_codes(by_venue[order], names)
        out = conform(frame.reset_index(drop=True), schema)
        out["symbol"] = out["symbol"].astype(pd.CategoricalDtype(sorted(wanted)))
        out["venue"] = out["venue"].astype(pd.CategoricalDtype(names))
        return out

    def _check_symbols(self, src: Source, symbols: Sequence[str]) -> list[str]:
        known = self.known_symbols(src)
        for symbol in symbols:
            if symbol not in known:
                raise ValueError(
                    f"{src.value}: unknown symbol {symbol!r} (this source knows {list(known)})"
                )
        return list(dict.fromkeys(symbols))

    def _units(self, src: Source, lo: pd.Timestamp, hi: pd.Timestamp) -> list[U.Unit]:
        if src in EQUITY_SOURCES:
            return U.session_units(lo, hi)
        if src in CRYPTO_SOURCES:
            return U.hour_units(lo, hi)
        if src == Source.DAILY_OHLCV:
            return U.bar_units(lo, hi)
        return U.day_units(lo, hi)

    def _generate(
        self, src: Source, symbols: list[str], lo: pd.Timestamp, hi: pd.Timestamp
    ) -> Iterator[tuple[str, U.Unit, pd.DataFrame | Columns]]:
        """(symbol, unit, frame or columns) in symbol-then-time order; ``ts`` as int64 UTC ns.

        The tick-scale sources (equity ticks, crypto trades, open interest) give columns."""
        units = self._units(src, lo, hi)
        cfg, universe = self.config, self.universe
        if src == Source.NEWS_HEADLINES:
            days = [news_day(cfg.seed, universe.equities, unit) for unit in units]
            for symbol in symbols:
                for unit, day in zip(units, days, strict=True):
                    mine = day["symbol"].to_numpy() == symbol
                    yield symbol, unit, day.loc[mine].drop(columns="symbol").reset_index(drop=True)
            return
        for symbol in symbols:
            start = universe.start_price(symbol)
            for unit in units:
                if src == Source.EQUITY_TICKS:
                    frame = equity_ticks(cfg.seed, symbol, unit.key, cfg.ticks_per_session, start)
                elif src == Source.DARKPOOL_PRINTS:
                    frame = darkpool_prints(cfg.seed, symbol, unit.key, unit.index, start)
                elif src == Source.OPTIONS_FLOW:
                    frame = options_flow(cfg.seed, symbol, unit.key, start)
                elif src == Source.CRYPTO_TRADES:
                    trades = cfg.crypto_trades_per_hour
                    frame = crypto_trades(cfg.seed, symbol, unit.index, trades, start)
                elif src == Source.CRYPTO_OPEN_INTEREST:
                    frame = open_interest(cfg.seed, symbol, unit.index, start)
                elif src == Source.DAILY_OHLCV:
                    frame = daily_bar(cfg.seed, universe, symbol, unit, cfg.ticks_per_session)
                else:
                    frequency = universe.economic[symbol]
                    release = economic_release(cfg.seed, symbol, frequency, unit)
                    if release is None:
                        continue
                    frame = release
                yield symbol, unit, frame


def _clipped(columns: Columns, lo: int, hi: int) -> Columns:
    """The rows with ``lo <= ts < hi`` (the columns themselves when all are)."""
    ts = columns["ts"]
    if not len(ts) or (ts.min() >= lo and ts.max() < hi):
        return columns
    keep = (ts >= lo) & (ts < hi)
    return {name: values[keep] for name, values in columns.items()}


def _stacked(pieces: list[Columns]) -> Columns:
    """The pieces' columns end to end: each column built once, no frame per piece."""
    columns: Columns = {}
    for name, first in pieces[0].items():
        parts = [piece[name] for piece in pieces]
        if isinstance(first, pd.Categorical):
            same = first.categories
            if all(p.categories.equals(same) and p.ordered == first.ordered for p in parts):
                codes = np.concatenate([part.codes for part in parts])
                columns[name] = pd.Categorical.from_codes(codes, dtype=first.dtype, validate=False)
            else:
                series = pd.concat([pd.Series(part) for part in parts], ignore_index=True)
                columns[name] = series.array  # type: ignore[assignment]
        else:
            columns[name] = np.concatenate(parts)
    return columns


def _assemble(
    pieces: list[pd.DataFrame] | list[Columns], src: Source, table: list[str], naive: bool
) -> pd.DataFrame:
    """One canonical frame from per-unit pieces (frames or columns), sorted by (symbol, ts)."""
    schema = SOURCE_SCHEMAS[src.value]
    if not pieces:
        return schema.empty()
    if isinstance(pieces[0], dict):
        columns = _stacked(pieces)  # type: ignore[arg-type]
        codes, ts = columns.pop("_sym"), columns.pop("ts")
        if not _is_sorted(codes, ts):
            order = np.lexsort((ts, codes))
            columns = {name: values[order] for name, values in columns.items()}
            codes, ts = codes[order], ts[order]
        frame = pd.DataFrame(columns, copy=False)  # built here, dropped after: no copy
    else:
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        codes, ts = frame["_sym"].to_numpy(), frame["ts"].to_numpy()
        if not _is_sorted(codes, ts):
            order = np.lexsort((ts, codes))
            frame = frame.take(order)
            codes, ts = codes[order], ts[order]
        frame = frame.drop(columns=["_sym", "ts"])
    symbol = pd.Categorical.from_codes(codes, categories=table, validate=False)
    if UNKNOWN_SYMBOL in table and not np.any(codes == table.index(UNKNOWN_SYMBOL)):
        symbol = symbol.remove_categories([UNKNOWN_SYMBOL])
    frame["symbol"] = symbol
    frame["ts"] = pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC")
    out = conform(frame, schema, copy=False)
    if naive:
        out["ts"] = pd.Series(ts.view("datetime64[ns]"), index=out.index)
    return out
