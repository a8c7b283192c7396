"""Where a run's steps execute: in local subprocesses (the default) or on Celery workers.

``VVV_EXECUTOR`` chooses; unset (or ``multiprocess``) keeps Dagster's default multiprocess
executor, ``celery`` sends every step to a Celery worker through Redis:

``VVV_CELERY_BROKER``  broker URL (default ``redis://127.0.0.1:6379/0``).
``VVV_CELERY_BACKEND`` result backend URL (default: the broker's URL).
``VVV_CELERY_QUEUE``   queue the steps go to and the workers listen on (default ``dagster``).
(declared in :class:`vvv_pipeline.settings.Settings`)

Workers must run the same code with the same environment (``VVV_DATA_DIR``,
``VVV_ARCTIC_URI``...) and reach the same Dagster instance (``DAGSTER_HOME``): a step is
rebuilt inside the worker from the run's job pointer and writes its events to that instance.
Start one with the argv of :func:`celery_worker_command` (see ``deploy/celery/README.md``).
Steps hand data over through their stores (ArcticDB, DuckDB), never through worker memory.
"""

from __future__ import annotations

from typing import get_args

import dagster as dg
from dagster_celery import celery_executor

from vvv_pipeline import settings

EXECUTORS: tuple[str, ...] = get_args(settings.ExecutorName)
DEFAULT_BROKER: str = settings.default("celery_broker")
DEFAULT_QUEUE: str = settings.default("celery_queue")
CELERY_APP = "dagster_celery.app"
"""The Celery app module workers load (``celery -A``): it registers Dagster's step task."""


def celery_executor_config(
    broker: str = DEFAULT_BROKER, backend: str | None = None, queue: str = DEFAULT_QUEUE
) -> dict[str, object]:
    """Config of ``dagster_celery.celery_executor``: steps go to ``queue`` on ``broker``.

    The result backend defaults to the broker: Dagster's own default (``rpc://``) needs AMQP.
    """
    if not broker:
        raise ValueError("celery broker URL is empty (set VVV_CELERY_BROKER)")
    if not queue:
        raise ValueError("celery queue name is empty (set VVV_CELERY_QUEUE)")
    return {
        "broker": broker,
        "backend": backend or broker,
        "config_source": {"task_default_queue": queue},
    }


def celery_config_from_env() -> dict[str, object]:
    current = settings.current()
    return celery_executor_config(
        broker=current.celery_broker, backend=current.celery_backend, queue=current.celery_queue
    )


def executor_from_env() -> dg.ExecutorDefinition | None:
    """The executor ``VVV_EXECUTOR`` names; None leaves Dagster's default (multiprocess)."""
    if settings.current().executor == "celery":
        return celery_executor.configured(celery_config_from_env())
    return None


def with_executor_from_env(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with the executor ``VVV_EXECUTOR`` names, unless ``defs`` already sets one."""
    executor = executor_from_env()
    if executor is None or defs.executor is not None:
        return defs
    return dg.Definitions.merge(defs, dg.Definitions(executor=executor))


def celery_worker_command(
    broker: str = DEFAULT_BROKER,
    backend: str | None = None,
    queue: str = DEFAULT_QUEUE,
    name: str = "vvv@%h",
    pool: str = "prefork",
    concurrency: int = 2,
) -> list[str]:
    """argv of a Celery worker serving ``queue``: steps run inside its pool processes.

    ``solo`` runs one step at a time in the worker's own process (handy to trace a step).
    Mingle and gossip are off: workers share nothing but the queue.
    """
    if concurrency < 1:
        raise ValueError(f"celery worker concurrency={concurrency}; expected at least 1")
    return [
        "celery",
        "--app",
        CELERY_APP,
        "--broker",
        broker,
        "--result-backend",
        backend or broker,
        "worker",
        "--queues",
        queue,
        "--hostname",
        name,
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "INFO",
    ]
