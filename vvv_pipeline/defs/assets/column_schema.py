"""``dagster/column_schema`` of every asset, from the declarations its description comes from.

The UI's Columns section, column search and column lineage read the ``dagster/column_schema``
definition metadata; a markdown table in a description is invisible to them. Each schema here is
built from the same declaration as that asset's description table: the derived assets' stored
series (:mod:`vvv_pipeline.stored_columns`) and, for the reports, the tables they show. The
sources' schemas come from their pandera contracts (:mod:`.source_types`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from vvv_pipeline.defs.automation.gaps import gaps_summary
from vvv_pipeline.schemas import Column
from vvv_pipeline.stored_columns import INT, stored_table

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


def stored_column_schema(asset: str) -> dg.TableSchema:
    """The columns a derived asset stores (every series family, see ``StoredTable.columns``)."""
    return table_schema(stored_table(asset).columns())


def described(asset: str, description: str) -> str:
    """A derived asset's description followed by its stored-column table."""
    return f"{description}\n\n{stored_table(asset).markdown()}"


def report_signal_columns(kind: str = "equity") -> tuple[Column, ...]:
    """The signal table of a daily report page (``kind`` equity or crypto): the signals as
    shown, strongest first.

    A component that does not apply to the kind (open interest for equities, options flow and
    news for crypto) has no value on any row, so the page leaves that column out.
    """
    stored = {c.name: c for c in stored_table(f"{kind}_signals").columns()}
    absent = "component_oi" if kind == "equity" else "component_flow"
    shown = ["direction", "score", "confidence", "conflicts"]
    shown += [name for name in stored if name.startswith("component_") and name != absent]
    shown += ["rule", "reason"]
    symbol = Column("symbol", "object", f"{'equity symbol' if kind == 'equity' else 'crypto pair'}")
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
