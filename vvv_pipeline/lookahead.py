"""Compute the next item's result in a thread while the caller handles the current one.

Why a thread: fetching a partition (a provider's network round trips, or the simulated market's
numpy work) and validating it release the GIL for much of their time, as do ArcticDB's write
and SQLite's statements, so preparing partition k+1 while partition k is stored and recorded
uses the second core without copying or pickling anything. One item is prepared ahead, never
more, so at most two partitions are in memory at once.

Order and errors are those of a plain loop: results come back in the items' order, and an item
whose computation raised raises when the caller reaches it, after every earlier item was
handled. If the caller stops early (an error, a stop request, a closed generator), the item in
preparation is abandoned: its thread finishes it and drops it, and nothing waits for it, not
even the interpreter's exit (a daemon thread: a cancelled run's process does not linger for a
fetch in its retries).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, TimeoutError
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

POLL_SECONDS = 0.1
"""How often a caller waiting for the next result wakes: an interrupt aimed at the waiting
thread (``_thread.interrupt_main``) is only seen between waits."""


def ahead(
    items: Sequence[Item], compute: Callable[[Item], Result], enabled: bool = True
) -> Iterator[tuple[Item, Result]]:
    """``(item, compute(item))`` for each item in order, the next one computed in a thread
    meanwhile; ``enabled`` False (or a single item) computes each in turn, in the caller."""
    if not enabled or len(items) <= 1:
        for item in items:
            yield item, compute(item)
        return
    pending = _started(compute, items[0])
    for index, item in enumerate(items):
        result = _wait(pending)
        if index + 1 < len(items):
            pending = _started(compute, items[index + 1])
        yield item, result


def _started(compute: Callable[[Item], Result], item: Item) -> Future[Result]:
    future: Future[Result] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(compute(item))
        except BaseException as error:  # handed to the caller, raised where it reaches the item
            future.set_exception(error)

    threading.Thread(target=run, name="lookahead", daemon=True).start()
    return future


def _wait(future: Future[Result]) -> Result:
    while True:
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            continue
