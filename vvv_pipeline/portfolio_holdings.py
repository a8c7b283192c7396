"""The portfolio valued by ``equity_portfolio``: ``data/holdings.toml``, checked like the universe.

The file holds ``cash`` and, under ``[positions]``, one entry per held equity::

    cash = 25000.0
    [positions]
    AAPL = { quantity = 200, cost_basis = 180.0 }
    SPY = { quantity = -50, cost_basis = 455.0 }

Rules (pydantic, strict types, unknown keys refused; every problem is one line naming the file
and the entry, e.g. ``data/holdings.toml: positions.XYZ 'XYZ': not one of the universe's
equities``):

- a symbol must be one of the universe's equities (its closes are what values it);
- ``quantity`` is the number of shares held *now* (after any split, so the adjusted closes value
  it), a finite number: **negative is a short**, fractional shares are allowed, **zero is
  refused** (a closed position is deleted from the file, not kept at zero);
- ``cost_basis`` is the average price paid per share (received, for a short), finite and > 0;
- ``cash`` is finite and may be negative (a margin loan); it defaults to 0;
- at least one position.

Holdings are a snapshot, not a trade history: every session is valued with the same holdings
(:mod:`vvv_pipeline.analytics.portfolio`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import Field, field_validator

from vvv_pipeline.settings import holdings_path
from vvv_pipeline.universe import (
    EquitySymbol,
    Price,
    StrictModel,
    Universe,
    load_universe,
    validated_toml,
)


class HoldingsError(ValueError):
    """The holdings file is missing, not TOML, or breaks the schema; one line per problem."""


Finite = Annotated[float, Field(allow_inf_nan=False)]


class PositionEntry(StrictModel):
    quantity: Finite
    cost_basis: Price

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("zero shares: delete a closed position (negative is a short)")
        return value


class HoldingsSchema(StrictModel):
    cash: Finite = 0.0
    positions: dict[EquitySymbol, PositionEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Position:
    symbol: str
    quantity: float
    """Shares held now; negative is a short."""
    cost_basis: float
    """Average price per share paid (received, for a short)."""


@dataclass(frozen=True)
class Holdings:
    cash: float
    positions: tuple[Position, ...]
    """In the file's order."""

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(p.symbol for p in self.positions)

    def frame(self) -> pd.DataFrame:
        """The positions as :func:`vvv_pipeline.analytics.portfolio.portfolio_metrics` takes
        them: ``symbol``, ``quantity``, ``cost_basis``."""
        return pd.DataFrame(
            {
                "symbol": list(self.symbols),
                "quantity": [p.quantity for p in self.positions],
                "cost_basis": [p.cost_basis for p in self.positions],
            }
        )


def parse_holdings(
    text: str, origin: str = "<string>", universe: Universe | None = None
) -> Holdings:
    """Parse and validate a holdings TOML document; errors name ``origin`` and the bad entry.

    With ``universe``, every symbol must be one of its equities.
    """
    model = validated_toml(text, origin, HoldingsSchema, HoldingsError)
    if universe is not None:
        unknown = [
            f"{origin}: positions.{symbol} {symbol!r}: not one of the universe's equities "
            f"({', '.join(universe.equities)})"
            for symbol in model.positions
            if symbol not in universe.equities
        ]
        if unknown:
            raise HoldingsError("\n".join(unknown))
    return Holdings(
        cash=float(model.cash),
        positions=tuple(
            Position(symbol, float(entry.quantity), float(entry.cost_basis))
            for symbol, entry in model.positions.items()
        ),
    )


def load_holdings(path: Path | None = None, universe: Universe | None = None) -> Holdings:
    """The holdings file (default ``VVV_HOLDINGS``, else the shipped one), checked against
    ``universe`` (default: the configured universe file)."""
    target = Path(path) if path is not None else holdings_path()
    if not target.is_file():
        raise FileNotFoundError(f"holdings file not found: {target} (set VVV_HOLDINGS)")
    universe = universe if universe is not None else load_universe()
    return parse_holdings(target.read_text(), origin=str(target), universe=universe)
