"""Compute the parts of a piece of work side by side in forked processes: both cores, no copies.

Why fork: a forked child starts with the parent's memory as it stands (the run's tick cache,
imported modules, numba's loaded kernels), shared until written, so nothing is pickled or read
again on the way in; only each part's result comes back (its arrays' memory through a
shared-memory file, :mod:`vvv_pipeline.handover`, the rest pickled through a pipe). The parent
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

:func:`stream_forked` is the other shape: one child (or a few, taking the parts in turn)
computes the parts in order and hands each result back as it is done, while the parent handles
the previous one (producers one step ahead).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from vvv_pipeline.handover import hand, receive, shared_folder

Part = TypeVar("Part")
Result = TypeVar("Result")

FORK_AVAILABLE = "fork" in multiprocessing.get_all_start_methods()


def can_fork() -> bool:
    """Whether this process may start forked children: the platform forks, and this process is
    not a daemonic one (a Celery worker's prefork pool process is, and multiprocessing refuses
    children there). Where it may not, everything is computed here, one part after another."""
    return FORK_AVAILABLE and not multiprocessing.current_process().daemon


POLL_SECONDS = 0.1
"""How often a parent waiting for a child's result wakes: an interrupt aimed at it
(``_thread.interrupt_main``, a cancelled run) is only seen between waits."""


class ForkedPartError(RuntimeError):
    """A part computed in a forked child failed (its message names the part)."""


def map_forked(
    function: Callable[[Part], Result], parts: Sequence[Part], workers: int
) -> list[Result]:
    """``[function(part) for part in parts]``, the parts after the first in forked children.

    At most ``workers`` processes run at once (this one included): with more parts than that,
    the parts are computed in rounds. ``workers`` 1, a single part, or a process that cannot
    fork (:func:`can_fork`) computes everything here, one part after another.
    """
    if workers <= 1 or len(parts) <= 1 or not can_fork():
        return [function(part) for part in parts]
    results: list[Result] = []
    for first in range(0, len(parts), workers):
        results += _round(function, parts[first : first + workers])
    return results


def _round(function: Callable[[Part], Result], parts: Sequence[Part]) -> list[Result]:
    with shared_folder() as folder:
        return _round_through(function, parts, folder)


def _round_through(
    function: Callable[[Part], Result], parts: Sequence[Part], folder: Path | None
) -> list[Result]:
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for part in parts[1:]:
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_compute_and_send, args=(function, part, writer, folder))
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


def stream_forked(
    function: Callable[[Part], Result], parts: Sequence[Part], children: int = 1
) -> Iterator[tuple[Part, Result]]:
    """``(part, function(part))`` for each part in order, every result computed in forked
    children while this process handles the ones before it (:func:`forked_stream`, entered on
    the first ``next``)."""
    with forked_stream(function, parts, children) as results:
        yield from results


@contextlib.contextmanager
def forked_stream(
    function: Callable[[Part], Result], parts: Sequence[Part], children: int = 1
) -> Iterator[Iterator[tuple[Part, Result]]]:
    """``children`` forked processes that start computing ``parts`` as the block is entered;
    the block iterates ``(part, function(part))`` in the parts' order.

    The parts are dealt in turn: child ``c`` computes parts ``c``, ``c + children``, ... in
    order, each one ahead of the caller, no more: it computes its next part once the caller has
    taken its previous one. So at most ``children`` results wait for the caller, and with two
    children two parts are computed side by side while the caller handles a third. A part whose
    function raised raises when the caller reaches it, after every earlier part was yielded; its
    child stops there. When the block is left (done, an error, a closed generator around it),
    the children still running are killed. In a process that cannot fork (:func:`can_fork`),
    every part is computed here, one after another, as the block iterates.
    """
    if not can_fork():
        yield ((part, function(part)) for part in parts)
        return
    with shared_folder() as folder, _stream(function, parts, children, folder) as results:
        yield results


@contextlib.contextmanager
def _stream(
    function: Callable[[Part], Result], parts: Sequence[Part], children: int, folder: Path | None
) -> Iterator[Iterator[tuple[Part, Result]]]:
    context = multiprocessing.get_context("fork")
    count = max(1, min(children, len(parts)))
    started: list[tuple[multiprocessing.Process, Connection]] = []
    try:
        for first in range(count):
            here, there = context.Pipe(duplex=True)
            child = context.Process(
                target=_compute_all_and_send,
                args=(function, parts[first::count], there, folder),
            )
            child.daemon = True  # never outlives this process
            child.start()
            there.close()  # the child holds the only other end: EOF when it dies
            started.append((child, here))

        def results() -> Iterator[tuple[Part, Result]]:
            for index, part in enumerate(parts):
                child, here = started[index % count]
                result = _receive(part, child, here)
                if index + count < len(parts):
                    _grant_next(here)
                yield part, result

        yield results()
    finally:
        for child, here in started:
            if child.is_alive():
                child.kill()
            child.join()
            here.close()


def _grant_next(here: Connection) -> None:
    """Let the child compute the next part: this process has taken the previous one."""
    with contextlib.suppress(OSError):  # the child is gone: the next receive says how
        here.send(None)


def _outcome(function: Callable, part: object) -> tuple:
    try:
        return ("ok", function(part))
    except BaseException as error:  # handed to the parent, which raises it
        return ("error", error, traceback.format_exc())


def _send(writer: Connection, outcome: tuple, folder: Path | None) -> None:
    """The outcome to the parent, a result's arrays through shared memory (:mod:`.handover`)."""
    try:
        if outcome[0] == "ok":
            outcome = ("ok", hand(outcome[1], folder))
        writer.send(outcome)
    except Exception as unsent:  # the result or error does not pickle: say so in text
        detail = outcome[2] if outcome[0] == "error" else ""
        writer.send(("text", f"{type(unsent).__name__}: {unsent}\n{detail}"))


def _compute_and_send(
    function: Callable, part: object, writer: Connection, folder: Path | None
) -> None:
    try:
        _send(writer, _outcome(function, part), folder)
    finally:
        writer.close()
        os._exit(0)  # no teardown of the parent's resources in this copy of them


def _compute_all_and_send(
    function: Callable, parts: Sequence, there: Connection, folder: Path | None
) -> None:
    try:
        for index, part in enumerate(parts):
            if index > 0:
                there.recv()  # the parent took the previous result: one part ahead, no more
            outcome = _outcome(function, part)
            _send(there, outcome, folder)
            if outcome[0] != "ok":
                break
    except EOFError:  # the parent closed its end: nothing more is wanted
        pass
    finally:
        there.close()
        os._exit(0)  # no teardown of the parent's resources in this copy of them


def _receive(part: object, child: multiprocessing.Process, reader: Connection) -> object:
    try:
        while not reader.poll(POLL_SECONDS):
            pass
        status, value, *trace = reader.recv()
        if status == "ok":
            value = receive(value)
    except EOFError:
        child.join()
        raise ForkedPartError(
            f"the forked process computing {part!r} exited without a result "
            f"(exit code {child.exitcode}: killed, or out of memory?)"
        ) from None
    except Exception as unreadable:  # it pickled in the child but does not unpickle here
        raise ForkedPartError(
            f"the result of {part!r} from a forked process could not be read: "
            f"{type(unreadable).__name__}: {unreadable}"
        ) from unreadable
    if status == "error":
        value.add_note(f"raised computing {part!r} in a forked process:\n{trace[0]}")
        raise value
    if status == "text":
        raise ForkedPartError(f"computing {part!r} in a forked process failed: {value}")
    return value
