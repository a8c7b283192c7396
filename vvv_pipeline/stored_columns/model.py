"""The shape of a stored-columns declaration: series families of columns, and their tables."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from vvv_pipeline.schemas import UTC_TS, Column, columns_markdown

FLOAT = "float64"
INT = "int64"
BOOL = "bool"
NAIVE_TS = "datetime64[ns]"
DAY_KEYS = ("symbol", "date")
DAY_TS_DOC = "the day's New York midnight in UTC (the series index; `date` of the pure layer)"


@dataclass(frozen=True)
class SeriesFamily:
    """Series ``{instrument}{suffix}`` for each suffix, all with these columns in this order."""

    label: str
    suffixes: tuple[str, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class StoredTable:
    """The ArcticDB series one derived asset writes."""

    asset: str
    library: str
    crypto: bool
    """Instruments are the universe's crypto pairs (else its equities)."""
    families: tuple[SeriesFamily, ...]
    series_names: tuple[str, ...] = ()
    """Names the asset gives its series itself instead of one per instrument (the portfolio's
    ``portfolio``, ``portfolio/positions``); empty: the families are per instrument."""

    def columns(self) -> tuple[Column, ...]:
        """Every column once, in first-seen order: the union of the families.

        A column whose dtype differs between families lists each (``int64 | float64``); one that
        is not in every family names those it is in, so the flat list stays true.
        """
        seen: dict[str, list[tuple[SeriesFamily, Column]]] = {}
        for family in self.families:
            for column in family.columns:
                seen.setdefault(column.name, []).append((family, column))
        merged = []
        for name, found in seen.items():
            dtypes = list(dict.fromkeys(column.dtype for _, column in found))
            doc = found[0][1].doc
            if len(found) < len(self.families):
                labels = ", ".join(f"`{family.label}`" for family, _ in found)
                doc = f"{labels} only: {doc}"
            nullable = any(column.nullable for _, column in found)
            merged.append(Column(name, " | ".join(dtypes), doc, nullable))
        return tuple(merged)

    def markdown(self) -> str:
        """Where the series live and their columns, as the description's table."""
        series = ", ".join(f"`{family.label}`" for family in self.families)
        return f"Stored in ArcticDB `{self.library}`, series {series}:\n\n" + markdown(
            self.columns()
        )


def markdown(columns: Sequence[Column]) -> str:
    """A column table (column, dtype, nulls, meaning)."""
    return columns_markdown(columns)


def instrument(crypto: bool) -> str:
    """The series-name placeholder of an asset's instruments."""
    return "{PAIR}" if crypto else "{SYMBOL}"


def size_dtype(crypto: bool) -> str:
    """Traded size: int64 shares for equities, float64 base units for crypto."""
    return FLOAT if crypto else INT


def day_columns(
    docs: Mapping[str, str],
    dtypes: Mapping[str, str] | None = None,
    nullable: Collection[str] = (),
    keep: Collection[str] = (),
) -> tuple[Column, ...]:
    """Per-(symbol, day) rows as stored: ``ts`` first, ``symbol`` and ``date`` gone (unless
    named in ``keep``: a series holding several symbols' rows keeps its ``symbol``).

    Columns are float64 unless ``dtypes`` says otherwise; names in ``dtypes`` or ``nullable``
    that are not in ``docs`` raise, so a renamed column cannot leave a stale declaration.
    """
    dtypes = dict(dtypes or {})
    unknown = (set(dtypes) | set(nullable)) - set(docs)
    if unknown:
        raise ValueError(f"declared columns not in the table: {sorted(unknown)}")
    columns = [Column("ts", UTC_TS, DAY_TS_DOC)]
    columns += [
        Column(name, dtypes.get(name, FLOAT), doc, name in nullable)
        for name, doc in docs.items()
        if name not in DAY_KEYS or name in keep
    ]
    return tuple(columns)


def listed_columns(
    names: Sequence[str],
    docs: Mapping[str, str],
    dtypes: Mapping[str, str],
    nullable: Collection[str] = (),
) -> tuple[Column, ...]:
    """Columns of a bar-like frame (``symbol`` dropped), meanings from ``docs`` (all required)."""
    return tuple(
        Column(name, dtypes.get(name, FLOAT), docs[name], name in nullable)
        for name in names
        if name != "symbol"
    )
