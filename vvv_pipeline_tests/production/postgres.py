"""Throwaway PostgreSQL databases and production Dagster instances on them, for tests.

Each test gets a database of its own (``CREATE DATABASE vvv_test_<random>``, dropped after), so
parallel CI runs on one server never see each other's runs. The instance is built exactly as
production builds it: the shipped ``deploy/production/dagster.yaml`` copied into a temporary
``DAGSTER_HOME``, its connection read from the ``DAGSTER_PG_*`` environment variables.

The server is ``VVV_TEST_PG_HOST``:``VVV_TEST_PG_PORT`` as ``VVV_TEST_PG_USER`` (default
``127.0.0.1:5432`` as ``postgres``, trust auth or ``VVV_TEST_PG_PASSWORD``), administered
through its ``VVV_TEST_PG_ADMIN_DB`` (default ``test``). An unreachable server fails the
test with the address tried: these tests exist to prove the production storage works, so
they never skip. Tests wrap these context managers in their own fixtures.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml

from vvv_pipeline_tests.dagster_internals import InstanceRef

PRODUCTION_YAML = Path(__file__).resolve().parents[2] / "deploy" / "production" / "dagster.yaml"
DATABASE_PREFIX = "vvv_test_"


@dataclass(frozen=True)
class PostgresServer:
    """Where the test server is and who connects to it."""

    host: str
    port: int
    user: str
    password: str
    admin_db: str

    @classmethod
    def from_environment(cls) -> PostgresServer:
        return cls(
            host=os.environ.get("VVV_TEST_PG_HOST", "127.0.0.1"),
            port=int(os.environ.get("VVV_TEST_PG_PORT", "5432")),
            user=os.environ.get("VVV_TEST_PG_USER", "postgres"),
            password=os.environ.get("VVV_TEST_PG_PASSWORD", ""),
            admin_db=os.environ.get("VVV_TEST_PG_ADMIN_DB", "test"),
        )

    def connect(self, database: str | None = None) -> psycopg2.extensions.connection:
        """An autocommit connection to ``database`` (default: the admin database)."""
        connection = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.admin_db,
            connect_timeout=5,
        )
        connection.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
        return connection

    def execute(self, sql: str, database: str | None = None, params: tuple = ()) -> list[tuple]:
        """All rows of one statement against ``database`` (default: the admin database)."""
        # psycopg2's own context manager ends the transaction but keeps the connection open
        with closing(self.connect(database)) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def dagster_env(self, database: str) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables the production yaml reads, pointing at ``database``."""
        return {
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
        }

    def storage_config(self, database: str, *, stock: bool = False) -> dict:
        """The production yaml's ``storage`` section with this server's connection to
        ``database`` in place of its ``DAGSTER_PG_*`` variables; with ``stock``, the same
        connection as dagster-postgres's own ``storage: postgres:`` (its baseline)."""
        storage = yaml.safe_load(PRODUCTION_YAML.read_text())["storage"]
        postgres = storage["custom"]["config"]
        variables = self.dagster_env(database)
        postgres["postgres_db"] = {
            key: variables[value["env"]] if isinstance(value, dict) else value
            for key, value in postgres["postgres_db"].items()
        }
        postgres["postgres_db"]["port"] = int(postgres["postgres_db"]["port"])
        return {"postgres": postgres} if stock else storage


def require_server(server: PostgresServer) -> None:
    """Fail (never skip) with the address tried when the server does not answer."""
    try:
        server.execute("SELECT 1")
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {server.host}:{server.port} (user {server.user!r}, database "
            f"{server.admin_db!r}) is unreachable; the production-instance tests need it "
            f"(set VVV_TEST_PG_HOST/PORT/USER/PASSWORD/ADMIN_DB). Cause: {error}",
            pytrace=False,
        )


@contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """A new, empty database named ``vvv_test_<random>``, dropped on exit."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        # FORCE ends the instance's pooled connections that may still be open
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def production_instance(
    home: Path, server: PostgresServer, database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """The production yaml, copied into ``home`` as DAGSTER_HOME, storing into ``database``.

    The ``DAGSTER_PG_*`` variables are set through ``monkeypatch`` (so they are undone with it)
    before the instance resolves its ``env:`` entries.
    """
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in server.dagster_env(database).items():
        monkeypatch.setenv(name, value)
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        # entering the instance scopes Dagster's process-wide definitions-state storage to this
        # block; left set, later definition loads in the process would reach the dropped database
        with instance:
            yield instance
    finally:
        instance.dispose()
