"""DuckDB warehouse tables of the small sources: create, append and read canonical rows.

Frames are written by :func:`insert_rows` (by the Dagster IO manager in
:mod:`vvv_pipeline.defs.warehouse_io_manager` and by replay) and read back in their canonical
dtypes. DuckDB stores timestamps with microsecond precision.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform

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
    connection.unregister("prototype")
    connection.register("incoming", plain)
    connection.execute(f"INSERT INTO {target} SELECT * FROM incoming").fetchall()
    connection.unregister("incoming")


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
    return conform(frame, schema).sort_values(["symbol", "ts"], ignore_index=True)
