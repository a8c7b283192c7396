"""What every derived asset stores, column by column: one declaration for the UI and the docs.

A derived asset writes ArcticDB series, one per instrument and kind (``AAPL/1min``,
``AAPL/levels``); reading one back returns a frame indexed by ``ts`` (UTC). Here each asset
names its library, its series families (``{SYMBOL}/{freq}``...) and each family's columns in
the stored order, with dtype, meaning and whether the column may hold nulls (NaN). Meanings are
not written twice: per-day tables (:mod:`.days`) take them from the pure modules' ``COLUMNS``
(which also render the docs' tables), minus ``symbol`` (the series name) and ``date`` (the index
``ts``: the day's New York midnight in UTC); bar columns (:mod:`.bars`) are described there, keyed
by the bar modules' column lists. The Dagster column schema and the column table of each derived
asset's description are built from here (:mod:`vvv_pipeline.defs.assets.column_schema`), and a test
compares every family with what ArcticDB returns after a materialized session. No Dagster here.
"""

from vvv_pipeline.stored_columns.bars import BAR_TABLES
from vvv_pipeline.stored_columns.cross_venue import CROSS_VENUE_TABLE
from vvv_pipeline.stored_columns.days import day_tables
from vvv_pipeline.stored_columns.model import (
    FLOAT,
    INT,
    SeriesFamily,
    StoredTable,
    markdown,
)

STORED_TABLES: dict[str, StoredTable] = {
    t.asset: t for t in (*BAR_TABLES, *day_tables(), CROSS_VENUE_TABLE)
}
"""Derived asset name -> what it stores."""


def stored_table(asset: str) -> StoredTable:
    """What ``asset`` stores; a derived asset missing here is a ``KeyError`` at definition."""
    try:
        return STORED_TABLES[asset]
    except KeyError:
        raise KeyError(
            f"{asset}: no stored columns declared in vvv_pipeline.stored_columns"
        ) from None


__all__ = [
    "FLOAT",
    "INT",
    "STORED_TABLES",
    "SeriesFamily",
    "StoredTable",
    "markdown",
    "stored_table",
]
