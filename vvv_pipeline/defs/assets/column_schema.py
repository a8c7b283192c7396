"""``dagster/column_schema`` of every asset, from the declarations its description comes from.

The UI's Columns section, column search and column lineage read the ``dagster/column_schema``
definition metadata; a markdown table in a description is invisible to them. Each schema here is
built from the same declaration as that asset's description table: the canonical source schemas
(:mod:`vvv_pipeline.schemas`, with the tier-1 rules as constraints), the derived assets' stored
series (:mod:`vvv_pipeline.stored_columns`) and, for the reports, the tables they show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from vvv_pipeline.defs.automation.gaps import gaps_summary
from vvv_pipeline.schemas import SOURCE_SCHEMAS, Column
from vvv_pipeline.stored_columns import INT, stored_table
from vvv_pipeline.validation.rules import RULES, SourceRules

COLUMN_SCHEMA = "dagster/column_schema"


def table_schema(
    columns: Sequence[Column], other: Mapping[str, list[str]] | None = None
) -> dg.TableSchema:
    """The Dagster schema of ``columns``; ``other`` adds constraints in words per column."""
    other = other or {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.dtype,
                description=c.doc,
                constraints=dg.TableColumnConstraints(
                    nullable=c.nullable, unique=False, other=other.get(c.name, [])
                ),
            )
            for c in columns
        ]
    )


def rule_constraints(rules: SourceRules) -> dict[str, list[str]]:
    """The tier-1 rules of a source as per-column constraints (what the blocking check holds)."""
    found: dict[str, list[str]] = {"ts": ["tz-aware UTC, inside the partition window"]}
    found["symbol"] = ["in the universe"]
    for name in rules.positive:
        found.setdefault(name, []).append("finite and > 0")
    for name in rules.non_negative:
        found.setdefault(name, []).append("finite and >= 0")
    for name in rules.finite_or_nan:
        found.setdefault(name, []).append("finite where present")
    for name, (lo, hi) in rules.ranges.items():
        found.setdefault(name, []).append(f"in [{lo}, {hi}]")
    for name, values in rules.enums.items():
        found.setdefault(name, []).append("one of " + ", ".join(map(str, values)))
    if rules.unique_id is not None:
        found.setdefault(rules.unique_id, []).append("unique per symbol within a partition")
    if rules.quotes is not None:
        bid, ask = rules.quotes
        for name in rules.quotes:
            found.setdefault(name, []).append(f"0 <= {bid} <= {ask} where both are present")
    if rules.ohlc:
        for name in ("open", "high", "low", "close"):
            found.setdefault(name, []).append("low <= open, close <= high")
    if rules.occ:
        found.setdefault("option_symbol", []).append(
            "OCC symbol matching strike, expiry and option_type"
        )
    return found


def source_column_schema(source: str) -> dg.TableSchema:
    """A source's canonical columns, dtypes and nullability, its tier-1 rules as constraints."""
    return table_schema(SOURCE_SCHEMAS[source].columns, rule_constraints(RULES[source]))


def stored_column_schema(asset: str) -> dg.TableSchema:
    """The columns a derived asset stores (every series family, see ``StoredTable.columns``)."""
    return table_schema(stored_table(asset).columns())


def described(asset: str, description: str) -> str:
    """A derived asset's description followed by its stored-column table."""
    return f"{description}\n\n{stored_table(asset).markdown()}"


def report_signal_columns() -> tuple[Column, ...]:
    """The signal table of a daily report page: the equity signals as shown, strongest first.

    Open interest has no component for equities, so the page leaves that column out.
    """
    stored = {c.name: c for c in stored_table("equity_signals").columns()}
    shown = ["direction", "score", "confidence", "conflicts"]
    shown += [name for name in stored if name.startswith("component_") and name != "component_oi"]
    symbol = Column("symbol", "object", "equity symbol")
    return (symbol, *(_on_page(stored[name]) for name in shown))


def _on_page(column: Column) -> Column:
    """A column as the page shows it: a missing value is an em dash."""
    if not column.nullable:
        return column
    return Column(column.name, column.dtype, f"{column.doc} (shown as an em dash)", True)


COVERAGE_DOCS = {
    "asset": "source asset",
    "expected": "partitions expected in the days covered",
    "materialized": "partitions stored",
    "missing": "partitions never stored",
    "failed_tier1": "partitions stored whose latest tier-1 check failed",
}


def coverage_columns() -> tuple[Column, ...]:
    """The coverage report's counts table (the ``summary`` metadata), one row per source."""
    names = list(gaps_summary([]).columns)
    return tuple(
        Column(name, "object" if name == "asset" else INT, COVERAGE_DOCS[name]) for name in names
    )


def stored_asset_metadata(asset: str, library: str) -> dict[str, dg.MetadataValue]:
    """A derived asset's definition metadata: its column schema (declared for ``library``)."""
    declared = stored_table(asset).library
    if declared != library:
        raise ValueError(f"{asset} writes {library} but its columns are declared for {declared}")
    return {COLUMN_SCHEMA: dg.MetadataValue.table_schema(stored_column_schema(asset))}
