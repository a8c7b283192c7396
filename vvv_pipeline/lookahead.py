"""Compute the next item's result while the caller handles the current one: in a thread, or in
a forked process.

A thread shares everything and copies nothing, and suits work that waits: a provider's network
round trips release the GIL, so partition k+1 is fetched while partition k is stored and
recorded. Work that computes (the simulated market's frames, the validation tiers' pandas and
pandera calls) holds the GIL for most of its time, so a thread only interleaves it with the
caller's; a forked process (:func:`vvv_pipeline.forked.stream_forked`) computes it on the other
core, and each result comes back pickled. Several forked processes take the items in turn and
compute as many side by side, each one ahead of the caller. A thread or one process prepares
one item ahead, never more, so at most two partitions are in memory at once (three in the
process case while one is handed over); each further process holds one more.

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
from typing import Literal, TypeVar

from vvv_pipeline.forked import POLL_SECONDS, forked_stream, stream_forked

Item = TypeVar("Item")
Result = TypeVar("Result")

Where = Literal["process", "processes", "thread", "off"]
"""Where the next items are computed: one forked process, several (each taking the items in
turn, each one ahead), a thread, or nowhere ahead (in turn)."""
FORKED = ("process", "processes")


def _children(where: Where, processes: int) -> int:
    """Forked processes ``where`` means: one for ``process``, ``processes`` for ``processes``."""
    return processes if where == "processes" else 1


def ahead(
    items: Sequence[Item],
    compute: Callable[[Item], Result],
    where: Where = "thread",
    processes: int = 2,
) -> Iterator[tuple[Item, Result]]:
    """``(item, compute(item))`` for each item in order, the next ones computed meanwhile
    ``where`` says (``processes``: how many forked processes ``processes`` means); ``off`` (or
    a single item) computes each in turn, in the caller.

    In a process, ``compute`` must be pure (what it changes in its copy of this process is
    lost) and its results and errors must pickle."""
    if where == "off" or len(items) <= 1:
        for item in items:
            yield item, compute(item)
        return
    if where in FORKED:
        yield from stream_forked(compute, items, _children(where, processes))
        return
    yield from _threaded(items, compute, _started(compute, items[0]))


def ahead_of_first(
    items: Sequence[Item],
    compute: Callable[[Item], Result],
    decide: Callable[[Result], Where],
    processes: int = 2,
) -> Iterator[tuple[Item, Result]]:
    """As :func:`ahead`, with the first item computed here and ``decide(first result)`` saying
    where the others are: the second is under way before the first is handed over."""
    if not items:
        return
    first = compute(items[0])
    where = decide(first)
    rest = items[1:]
    if where == "off" or not rest:
        yield items[0], first
        yield from ahead(rest, compute, "off")
    elif where in FORKED:
        with forked_stream(compute, rest, _children(where, processes)) as results:
            yield items[0], first
            yield from results
    else:
        pending = _started(compute, rest[0])
        yield items[0], first
        yield from _threaded(rest, compute, pending)


def _threaded(
    items: Sequence[Item], compute: Callable[[Item], Result], pending: Future[Result]
) -> Iterator[tuple[Item, Result]]:
    """Each item with its result, ``pending`` being the first's, the next started in a thread
    as each one is handed over."""
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
