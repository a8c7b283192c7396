"""Compute the parts of a piece of work side by side in forked processes: both cores, no copies.

Why fork: a forked child starts with the parent's memory as it stands (the run's tick cache,
imported modules, numba's loaded kernels), shared until written, so nothing is pickled or read
again on the way in; only each part's result comes back, pickled through a pipe. The parent
computes the first part itself while one child per other part computes the rest, then collects
the children's results in order. ArcticDB reads work in a forked child (its thread pools are
re-created after a fork); a child leaves with ``os._exit``, so none of the parent's resources
(open stores, the Dagster instance) are torn down twice.

What runs in a child must be pure: what it changes in its copy of the parent's objects (a
cache filled, a dict updated) is lost when it exits; only the returned value counts. A child
that raises hands its error back and the parent raises that same error, with a note naming the
part and the child's traceback (:class:`ForkedPartError` with the text when it does not
pickle); a child that dies without answering (killed, out of memory) makes the parent raise
:class:`ForkedPartError`, naming the part and the child's exit code. If the parent's own part
raises (a cancelled run included), the children are killed before the error leaves.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

Part = TypeVar("Part")
Result = TypeVar("Result")

FORK_AVAILABLE = "fork" in multiprocessing.get_all_start_methods()


class ForkedPartError(RuntimeError):
    """A part computed in a forked child failed (its message names the part)."""


def map_forked(
    function: Callable[[Part], Result], parts: Sequence[Part], workers: int
) -> list[Result]:
    """``[function(part) for part in parts]``, the parts after the first in forked children.

    At most ``workers`` processes run at once (this one included): with more parts than that,
    the parts are computed in rounds. ``workers`` 1, a single part, or a platform without fork
    computes everything here, one part after another.
    """
    if workers <= 1 or len(parts) <= 1 or not FORK_AVAILABLE:
        return [function(part) for part in parts]
    results: list[Result] = []
    for first in range(0, len(parts), workers):
        results += _round(function, parts[first : first + workers])
    return results


def _round(function: Callable[[Part], Result], parts: Sequence[Part]) -> list[Result]:
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for part in parts[1:]:
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_compute_and_send, args=(function, part, writer))
            child.daemon = True  # never outlives this process
            child.start()
            writer.close()  # the child holds the only write end: EOF when it dies
            children.append((part, child, reader))
        results = [function(parts[0])]
        for part, child, reader in children:
            results.append(_receive(part, child, reader))
        return results
    finally:
        for _part, child, reader in children:
            if child.is_alive():
                child.kill()
            child.join()
            reader.close()


def _compute_and_send(function: Callable, part: object, writer: Connection) -> None:
    try:
        outcome: tuple = ("ok", function(part))
    except BaseException as error:  # handed to the parent, which raises it
        outcome = ("error", error, traceback.format_exc())
    try:
        try:
            writer.send(outcome)
        except Exception as unsent:  # the result or error does not pickle: say so in text
            detail = outcome[2] if outcome[0] == "error" else ""
            writer.send(("text", f"{type(unsent).__name__}: {unsent}\n{detail}"))
    finally:
        writer.close()
        os._exit(0)  # no teardown of the parent's resources in this copy of them


def _receive(part: object, child: multiprocessing.Process, reader: Connection) -> object:
    try:
        status, value, *trace = reader.recv()
    except EOFError:
        child.join()
        raise ForkedPartError(
            f"the forked process computing {part!r} exited without a result "
            f"(exit code {child.exitcode}: killed, or out of memory?)"
        ) from None
    if status == "error":
        value.add_note(f"raised computing {part!r} in a forked process:\n{trace[0]}")
        raise value
    if status == "text":
        raise ForkedPartError(f"computing {part!r} in a forked process failed: {value}")
    return value
