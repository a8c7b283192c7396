"""A terminate request for a run this process executes in its main thread (``vvv-pipeline run``).

Dagster stops a run worker with an interrupt (SIGINT) that its handler raises inside the step.
An interrupt that lands inside ArcticDB's native batch write is lost there, and a range run
spends much of its time in such writes, so the interrupt alone could take a minute to stop one.
The command's follower thread therefore also sets this flag, and the partition loops of the
source and derived assets check it between partitions: the run stops at the next partition,
with the same interruption Dagster raises (the step fails as interrupted, the run is canceled).
"""

from __future__ import annotations

import threading

from vvv_pipeline.defs.dagster_internals import DagsterExecutionInterruptedError

_requested = threading.Event()


def request_stop() -> None:
    """Ask the run executing in this process to stop at its next partition."""
    _requested.set()


def forget_request() -> None:
    """Before a run starts: an earlier run's request must not stop it."""
    _requested.clear()


def stop_if_requested() -> None:
    """Between partitions: raise Dagster's interruption once a stop was requested."""
    if _requested.is_set():
        raise DagsterExecutionInterruptedError()
