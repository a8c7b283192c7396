"""The instrument universe shipped in ``data/universe.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vvv_pipeline.settings import universe_path

ASSET_CLASSES = ("equity", "fx", "commodity")
FREQUENCIES = ("daily", "monthly")


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


def parse_universe(text: str, origin: str = "<string>") -> Universe:
    """Parse and validate a universe TOML document; errors name ``origin`` and the bad entry."""
    raw = tomllib.loads(text)
    try:
        equities = tuple(raw["equities"]["symbols"])
        crypto = tuple(raw["crypto"]["symbols"])
        economic = dict(raw["economic"]["series"])
        daily = dict(raw["daily_ohlcv"]["instruments"])
    except KeyError as missing:
        raise ValueError(f"{origin}: missing required key {missing}") from None
    for name, values in (("equities.symbols", equities), ("crypto.symbols", crypto)):
        if not values:
            raise ValueError(f"{origin}: {name} is empty")
        if len(set(values)) != len(values):
            raise ValueError(f"{origin}: {name} lists a symbol twice")
    for series, freq in economic.items():
        if freq not in FREQUENCIES:
            raise ValueError(f"{origin}: economic series {series} has frequency {freq!r}")
    for instrument, asset_class in daily.items():
        if asset_class not in ASSET_CLASSES:
            raise ValueError(f"{origin}: daily_ohlcv {instrument} has asset class {asset_class!r}")
    prices = {**raw["equities"].get("start_price", {}), **raw["crypto"].get("start_price", {})}
    return Universe(equities, crypto, economic, daily, {k: float(v) for k, v in prices.items()})


@lru_cache(maxsize=8)
def load_universe(path: Path | None = None) -> Universe:
    target = Path(path) if path is not None else universe_path()
    if not target.is_file():
        raise FileNotFoundError(f"universe file not found: {target} (set VVV_UNIVERSE)")
    return parse_universe(target.read_text(), origin=str(target))
