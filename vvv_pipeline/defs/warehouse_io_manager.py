"""DuckDB warehouse for the small sources, through dagster-duckdb's pandas IO manager.

Adjustments to the stock IO manager, all about correctness:

* The stock partition filter formats the window as naive wall time, which DuckDB reads in the
  session time zone, so a New York day would be cut at UTC midnight. Here the window's bounds
  carry their UTC offset.
* The stock manager deletes a partition's rows and inserts the new ones in separate statements;
  here both run in one transaction, so a failed insert leaves the previous rows in place.
* A partition whose whole fetch tier 1 rejected keeps its previous rows: the output names it
  (:data:`KEPT_PARTITIONS`) and its window is left out of the delete.

Frames are written by :func:`vvv_pipeline.storage.warehouse_tables.insert_rows` and read back in
their canonical dtypes. DuckDB admits one writing process
at a time; :mod:`vvv_pipeline.storage.duckdb_connect` waits out another writer's lock and fails
anything else at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb.io_manager import DuckDbClient, DuckDBIOManager
from dagster_duckdb_pandas import DuckDBPandasTypeHandler

from vvv_pipeline.defs.dagster_internals import (
    DbIOManager,
    DbTypeHandler,
    TableMetadataSet,
    TablePartitionDimension,
    TableSlice,
)
from vvv_pipeline.schemas import SOURCE_SCHEMAS, UTC_TS, conform
from vvv_pipeline.storage.duckdb_connect import transaction
from vvv_pipeline.storage.warehouse_tables import (
    KEPT_PARTITIONS,
    fill_legacy_columns,
    insert_rows,
    table_exists,
)


def _config(context) -> dict[str, str]:
    return {"custom_user_agent": "dagster", **context.resource_config.get("connection_config", {})}


def _between(column: str, window: dg.TimeWindow) -> str:
    start = pd.Timestamp(window.start).tz_convert("UTC").isoformat()
    end = pd.Timestamp(window.end).tz_convert("UTC").isoformat()
    return f"{column} >= TIMESTAMPTZ '{start}' AND {column} < TIMESTAMPTZ '{end}'"


def _window_clause(dimension: TablePartitionDimension) -> str:
    window = dimension.partitions
    if not isinstance(window, dg.TimeWindow):
        raise TypeError(f"only time-window partitions are supported, got {window!r}")
    return _between(dimension.partition_expr, window)


def _where(table_slice: TableSlice) -> str:
    return " AND ".join(_window_clause(d) for d in table_slice.partition_dimensions)


def kept_keys(context) -> list[str]:
    """The partition keys an output asks to keep (:data:`KEPT_PARTITIONS`), none if unset."""
    value = (context.output_metadata or {}).get(KEPT_PARTITIONS)
    value = getattr(value, "value", value)  # a MetadataValue, or the raw list
    return [str(key) for key in value or []]


def _sparing_kept(context, table_slice: TableSlice) -> str:
    """`` AND NOT (...)`` over the kept partitions' windows, or nothing."""
    keys = kept_keys(context)
    if not keys or not table_slice.partition_dimensions:
        return ""
    column = table_slice.partition_dimensions[0].partition_expr
    partitions_def = context.asset_partitions_def
    spans = [_between(column, partitions_def.time_window_for_partition_key(k)) for k in keys]
    return " AND NOT (" + " OR ".join(f"({span})" for span in spans) + ")"


class TransactionalDuckDbClient(DuckDbClient):
    @staticmethod
    def delete_table_slice(context, table_slice: TableSlice, connection) -> None:
        target = f"{table_slice.schema}.{table_slice.table}"
        statement = f"DELETE FROM {target}"
        if table_slice.partition_dimensions:
            statement += f" WHERE {_where(table_slice)}{_sparing_kept(context, table_slice)}"
        if table_exists(connection, table_slice.schema, table_slice.table):
            connection.execute(statement).fetchall()

    @staticmethod
    def ensure_schema_exists(context, table_slice: TableSlice, connection) -> None:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {table_slice.schema}").fetchall()

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = ", ".join(table_slice.columns) if table_slice.columns else "*"
        statement = f"SELECT {columns} FROM {table_slice.schema}.{table_slice.table}"
        if table_slice.partition_dimensions:
            statement += f" WHERE {_where(table_slice)}"
        return statement

    @staticmethod
    @contextmanager
    def connect(context, table_slice) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction per output; the connection is closed whatever happens."""
        with transaction(context.resource_config["database"], _config(context)) as connection:
            yield connection


class CanonicalPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(self, context, table_slice: TableSlice, obj: pd.DataFrame, connection):
        insert_rows(connection, f"{table_slice.schema}.{table_slice.table}", obj)
        context.add_output_metadata(
            {
                **TableMetadataSet(partition_row_count=len(obj), storage_kind="duckdb"),
                "dataframe_columns": dg.MetadataValue.table_schema(
                    dg.TableSchema(
                        columns=[
                            dg.TableColumn(name=str(name), type=str(dtype))
                            for name, dtype in obj.dtypes.items()
                        ]
                    )
                ),
            }
        )

    def load_input(self, context, table_slice: TableSlice, connection) -> pd.DataFrame:
        # The stock handler hard-codes the stock (naive wall-time) partition filter.
        schema = SOURCE_SCHEMAS.get(table_slice.table)
        if table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return schema.empty() if schema is not None else pd.DataFrame()
        statement = TransactionalDuckDbClient.get_select_statement(table_slice)
        try:
            frame = connection.execute(statement).fetchdf()
        except duckdb.CatalogException:
            # never materialized: a downstream asset sees no rows, not a crash
            if schema is None:
                raise
            return schema.empty()
        if schema is None:
            return frame
        if frame.empty:
            return schema.empty()
        for column in schema.columns:
            if column.dtype == UTC_TS and column.name in frame:
                frame[column.name] = pd.to_datetime(frame[column.name], utc=True)
        frame = fill_legacy_columns(frame, table_slice.table)  # a table written before a column
        return conform(frame, schema).sort_values(["symbol", "ts"], ignore_index=True)


class WarehouseIOManager(DuckDBIOManager):
    """dagster-duckdb's pandas IO manager with offset-aware, transactional partition writes."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [CanonicalPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame

    def create_io_manager(self, context) -> DbIOManager:
        return DbIOManager(
            db_client=TransactionalDuckDbClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="WarehouseIOManager",
        )
