"""The instrument universe shipped in ``data/universe.toml``, validated against a schema.

The file decides which symbols every source collects and the names their rows are stored
under, so a loose value does damage quietly: a bare string ``symbols = "SPY"`` would become the
tickers S, P and Y; a symbol named ``_unlisted`` would share the ingest bucket of rows outside the
universe and lose its rows while the run succeeds; a negative start price would fail deep in the
simulator with ``math domain error``. The schema below (pydantic, strict types, unknown keys
refused) rejects all of these when the file is read, and every problem is reported on one line
that names the file and the entry, e.g. ``data/universe.toml: equities.symbols[3] 'BRK/B': ...``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from vvv_pipeline.settings import universe_path

AssetClass = Literal["equity", "fx", "commodity"]
Frequency = Literal["daily", "monthly"]
ASSET_CLASSES: tuple[str, ...] = get_args(AssetClass)
FREQUENCIES: tuple[str, ...] = get_args(Frequency)
RESERVED_PREFIX = "_"
"""Names starting with it are the pipeline's own buckets (e.g. ``_unlisted``), never symbols."""
CRYPTO_QUOTES = ("USDT", "USDC", "FDUSD", "USD", "BTC", "ETH", "EUR")
PATTERNS = {
    "equity symbol": (r"[A-Z][A-Z0-9.\-]{0,9}", "1-10 of A-Z 0-9 . -, starting with a letter"),
    "crypto pair": (
        rf"[A-Z0-9]{{2,10}}(?:{'|'.join(CRYPTO_QUOTES)})",
        f"Binance-style BASEQUOTE in A-Z 0-9, quote one of {', '.join(CRYPTO_QUOTES)}",
    ),
    "FRED series id": (r"[A-Z0-9][A-Z0-9_]{0,29}", "1-30 of A-Z 0-9 _"),
    "Yahoo symbol": (r"\^?[A-Z0-9][A-Z0-9.\-=]{0,14}", "e.g. SPY, EURUSD=X, GC=F, ^GSPC"),
}


class UniverseError(ValueError):
    """The universe file is missing, not TOML, or breaks the schema; one line per problem."""


def _not_reserved(value: object) -> object:
    if isinstance(value, str) and value.startswith(RESERVED_PREFIX):
        raise ValueError(f"names starting with {RESERVED_PREFIX!r} are reserved for the pipeline")
    return value


def _name(kind: str) -> Any:
    pattern, rule = PATTERNS[kind]

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"not a valid {kind} ({rule})")
        return value

    return Annotated[str, BeforeValidator(_not_reserved), AfterValidator(check)]


EquitySymbol = _name("equity symbol")
CryptoPair = _name("crypto pair")
FredSeries = _name("FRED series id")
YahooSymbol = _name("Yahoo symbol")
Price = Annotated[float, Field(gt=0, allow_inf_nan=False)]


M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """A section of a project TOML file: strict types, unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Instruments(StrictModel):
    """A list of symbols and their optional simulated start prices (checked by subclasses)."""

    @model_validator(mode="after")
    def _consistent(self) -> _Instruments:
        symbols: list[str] = getattr(self, "symbols")  # noqa: B009
        for i, symbol in enumerate(symbols):
            if symbol in symbols[:i]:
                raise ValueError(f"symbols[{i}] {symbol!r}: listed twice")
        for symbol in getattr(self, "start_price"):  # noqa: B009
            if symbol not in symbols:
                raise ValueError(f"start_price.{symbol} {symbol!r}: not one of the symbols")
        return self


class EquitySection(_Instruments):
    symbols: list[EquitySymbol] = Field(min_length=1)
    start_price: dict[EquitySymbol, Price] = Field(default_factory=dict)


class CryptoSection(_Instruments):
    symbols: list[CryptoPair] = Field(min_length=1)
    start_price: dict[CryptoPair, Price] = Field(default_factory=dict)


class EconomicSection(StrictModel):
    series: dict[FredSeries, Frequency] = Field(min_length=1)


class DailyOhlcvSection(StrictModel):
    instruments: dict[YahooSymbol, AssetClass] = Field(min_length=1)


class UniverseSchema(StrictModel):
    """The whole file; a symbol cannot be both an equity and a crypto pair (shared stores)."""

    equities: EquitySection
    crypto: CryptoSection
    economic: EconomicSection
    daily_ohlcv: DailyOhlcvSection

    @model_validator(mode="after")
    def _disjoint(self) -> UniverseSchema:
        for i, pair in enumerate(self.crypto.symbols):
            if pair in self.equities.symbols:
                raise ValueError(f"crypto.symbols[{i}] {pair!r}: also in equities.symbols")
        return self


@dataclass(frozen=True)
class Universe:
    equities: tuple[str, ...]
    crypto: tuple[str, ...]
    economic: dict[str, str]
    """FRED series id -> publication frequency (``daily`` or ``monthly``)."""
    daily_ohlcv: dict[str, str]
    """Daily-bar instrument -> asset class (``equity``, ``fx`` or ``commodity``)."""
    start_prices: dict[str, float]

    def start_price(self, symbol: str) -> float:
        return self.start_prices.get(symbol, 100.0)


def _where(loc: tuple[str | int, ...]) -> str:
    """A pydantic error location as a TOML path: ``equities.symbols[3]``, ``a."GC=F"``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            name = part if re.fullmatch(r"[A-Za-z0-9_\-]+", part) else f'"{part}"'
            path += f".{name}" if path else name
    return path


def _problems(error: ValidationError, origin: str) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        where = _where(item["loc"])
        message = str(item.get("ctx", {}).get("error", item["msg"]))
        if item["type"] == "missing":
            lines.append(f"{origin}: {where}: missing")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{origin}: {where}: unknown key")
        elif isinstance(item["input"], dict):  # a section-level rule names its own entry
            lines.append(f"{origin}: {where + '.' if where else ''}{message}")
        else:
            lines.append(f"{origin}: {where} {item['input']!r}: {message}")
    return lines


def validated_toml(text: str, origin: str, schema: type[M], error: type[Exception]) -> M:
    """``text`` parsed as TOML and validated by ``schema``; ``error`` raised with one line per
    problem, each naming ``origin`` and the entry at fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as decode_error:
        raise error(f"{origin}: not valid TOML: {decode_error}") from None
    try:
        return schema.model_validate(raw)
    except ValidationError as invalid:
        raise error("\n".join(_problems(invalid, origin))) from None


def parse_universe(text: str, origin: str = "<string>") -> Universe:
    """Parse and validate a universe TOML document; errors name ``origin`` and the bad entry."""
    model = validated_toml(text, origin, UniverseSchema, UniverseError)
    return Universe(
        equities=tuple(model.equities.symbols),
        crypto=tuple(model.crypto.symbols),
        economic=dict(model.economic.series),
        daily_ohlcv=dict(model.daily_ohlcv.instruments),
        start_prices={**model.equities.start_price, **model.crypto.start_price},
    )


@lru_cache(maxsize=8)
def load_universe(path: Path | None = None) -> Universe:
    target = Path(path) if path is not None else universe_path()
    if not target.is_file():
        raise FileNotFoundError(f"universe file not found: {target} (set VVV_UNIVERSE)")
    return parse_universe(target.read_text(), origin=str(target))
