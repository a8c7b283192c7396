"""One way to open the project's DuckDB files: retried while another process holds the lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster._utils.backoff import backoff

LOCK_RETRIES = 12
"""Attempts to open a DuckDB file another process is writing (exponential backoff, ~7 min)."""


def connect(database: str, config: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return backoff(
        fn=duckdb.connect,
        retry_on=(RuntimeError, duckdb.IOException),
        kwargs={"database": database, "read_only": False, "config": config or {}},
        max_retries=LOCK_RETRIES,
    )


@contextmanager
def transaction(
    database: str, config: dict[str, str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection inside one transaction (UTC session time zone); always closed."""
    connection = connect(database, config)
    try:
        connection.execute("SET TimeZone = 'UTC'").fetchall()
        connection.begin()
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        connection.close()
