"""DuckDB warehouse tables of the small sources: create, append and read canonical rows.

Frames are written by :func:`insert_rows` (by the Dagster IO manager in
:mod:`vvv_pipeline.defs.warehouse_io_manager` and by replay) and read back in their canonical
dtypes. DuckDB stores timestamps with microsecond precision.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.storage.duckdb_connect import transaction

KEPT_PARTITIONS = "kept_previous_partitions"
"""Output metadata: keys of the run's partitions whose stored rows stay as they were (tier 1
rejected their whole fetch; :mod:`vvv_pipeline.defs.assets.kept`). Their windows are not deleted."""


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Asked rather than tried: a failed statement would abort the caller's transaction."""
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found[0][0])


def _typed_prototype(frame: pd.DataFrame) -> pd.DataFrame:
    """No rows, the frame's columns, text (object) columns as strings."""
    empty = frame.iloc[:0]
    text = [name for name in empty.columns if empty[name].dtype == object]
    return empty.astype(dict.fromkeys(text, "string")) if text else empty


def insert_rows(connection: duckdb.DuckDBPyConnection, target: str, frame: pd.DataFrame) -> None:
    """Append ``frame`` to the table ``target`` (``schema.table``), creating it if missing.

    Categories are written as plain strings: DuckDB would turn them into ENUM types that reject
    new values in later partitions. An empty frame is a fact, not a problem: the table is still
    created (the stock handler warns and skips) so later reads find it. Text columns are
    declared as strings: an empty object column would make DuckDB type it NULL, and every later
    partition with text in it would fail to insert (a deployment whose first day had no
    economic release).
    """
    plain = frame.copy(deep=False)
    for name in plain.columns:
        if isinstance(plain[name].dtype, pd.CategoricalDtype):
            plain[name] = plain[name].astype(object)
    schema = target.split(".")[0]
    # DuckDB 2 wants every result consumed before the next statement on a connection.
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}").fetchall()
    connection.register("prototype", _typed_prototype(plain))
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM prototype LIMIT 0"
    ).fetchall()
    _add_missing_columns(connection, target)
    connection.unregister("prototype")
    connection.register("incoming", plain)
    # by name: a migrated table's columns need not be in the frame's order
    connection.execute(f"INSERT INTO {target} BY NAME SELECT * FROM incoming").fetchall()
    connection.unregister("incoming")


LEGACY_DEFAULTS: dict[str, dict[str, str]] = {
    "daily_ohlcv": {"dividend": "0.0", "split_ratio": "1.0", "adj_close": "close"},
}
"""Table -> column -> SQL expression for rows stored before the column existed. A daily bar
written before corporate actions were read carries none: no dividend, no split, and so an
adjusted close equal to its close (re-materialising the partition replaces the assumption)."""


def _columns(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table or registered frame."""
    rows = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {row[0]: row[1] for row in rows}


def _add_missing_columns(connection: duckdb.DuckDBPyConnection, target: str) -> None:
    """Schema evolution: add the prototype's columns an older table lacks, and fill them.

    A column without a legacy default stays NULL in the old rows (a tier-1 rule is what judges
    the new ones). Runs inside the caller's transaction, so a failed write adds nothing.
    """
    have = _columns(connection, target)
    table = target.split(".")[-1]
    defaults = LEGACY_DEFAULTS.get(table, {})
    for name, kind in _columns(connection, "prototype").items():
        if name in have:
            continue
        connection.execute(f'ALTER TABLE {target} ADD COLUMN "{name}" {kind}').fetchall()
        if name in defaults:
            connection.execute(f'UPDATE {target} SET "{name}" = {defaults[name]}').fetchall()


def fill_legacy_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows read from a table not yet migrated, with the legacy defaults' columns added."""
    missing = {k: v for k, v in LEGACY_DEFAULTS.get(table, {}).items() if k not in frame}
    if not missing:
        return frame
    added = {name: frame[expr] if expr in frame else float(expr) for name, expr in missing.items()}
    return frame.assign(**added)


def read_window(
    connection: duckdb.DuckDBPyConnection, table: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Canonical rows of ``sources.{table}`` with ``start <= ts < end`` (none if no table yet).

    Existence is asked first: a failed ``SELECT`` would abort the caller's transaction.
    """
    schema = SOURCE_SCHEMAS[table]
    if not table_exists(connection, "sources", table):
        return schema.empty()
    lo, hi = (pd.Timestamp(t).tz_convert("UTC").isoformat() for t in (start, end))
    frame = connection.execute(
        f"SELECT * FROM sources.{table} WHERE ts >= TIMESTAMPTZ '{lo}' AND ts < TIMESTAMPTZ '{hi}'"
    ).fetchdf()
    if frame.empty:
        return schema.empty()
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return conform(fill_legacy_columns(frame, table), schema).sort_values(
        ["symbol", "ts"], ignore_index=True
    )


def read_source(database: str, table: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """:func:`read_window` on the warehouse file; no rows when the file does not exist yet.

    The file is opened read-write (waiting out another writer's lock): DuckDB refuses a
    read-only connection while this process or another holds the file read-write.
    """
    if not Path(database).exists():
        return SOURCE_SCHEMAS[table].empty()
    with transaction(database) as connection:
        return read_window(connection, table, start, end)
