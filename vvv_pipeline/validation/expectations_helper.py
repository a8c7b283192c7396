"""Tier 4's great-expectations suites run in a helper process that imports GX meanwhile.

Importing ``great_expectations`` costs about 3.5 s of CPU. ``vvv-pipeline run`` executes its runs
in its own process, so it used to import GX there before the first run (beside the definitions,
while the code server started): the longest item before the first job. With
:func:`expectations_helper`, a forked helper process imports GX on the other core while the
command opens the instance and the code server starts; each suite is then run there
(:func:`run_expectations` as it is, same files written in the GX folder) and its result comes
back through a pipe. The sample (at most 200,000 rows) goes over pickled, a few milliseconds.

Where no helper is open (a run worker under ``dagster dev``, a test, a platform that cannot
fork) or the helper is gone (killed), the suite runs in the calling process, as before. One
suite runs at a time; a wait for the helper can be interrupted (a cancelled run).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import traceback
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

import pandas as pd

from vvv_pipeline.validation.expectations import (
    ExpectationsRun,
    import_great_expectations,
    run_expectations,
)

POLL_SECONDS = 0.1
"""How often a caller waiting for the helper wakes (to see an interrupt, or the helper gone)."""


class HelperGone(RuntimeError):
    """The helper process ended without answering."""


class ExpectationsHelper:
    """A forked process that imports GX, then runs the suites it is sent, one at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._here, there = context.Pipe(duplex=True)
        self._process = context.Process(target=_serve, args=(there, self._here), name="gx-helper")
        self._process.daemon = True  # never outlives the command
        self._process.start()
        there.close()
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self._process.is_alive()

    def run(
        self,
        frame: pd.DataFrame,
        source: str,
        label: str,
        docs_root: Path,
        symbols: Sequence[str] | None,
    ) -> ExpectationsRun:
        """:func:`run_expectations` in the helper; its error raised here as the helper's."""
        with self._lock:
            try:
                self._here.send((frame, source, label, str(docs_root), symbols))
                while not self._here.poll(POLL_SECONDS):
                    if not self._process.is_alive():
                        raise HelperGone(f"exit code {self._process.exitcode}")
                status, value, *trace = self._here.recv()
            except (EOFError, OSError) as gone:
                raise HelperGone(str(gone)) from gone
        if status == "error":
            value.add_note(f"raised in the great-expectations helper process:\n{trace[0]}")
            raise value
        return value

    def close(self) -> None:
        self._here.close()  # the helper reads EOF and leaves
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve(there: Connection, here: Connection) -> None:
    here.close()  # this copy of the caller's end: with it open, the caller's close is no EOF
    try:
        import_great_expectations()
        while True:
            try:
                frame, source, label, docs_root, symbols = there.recv()
            except EOFError:
                break
            try:
                outcome: tuple = (
                    "ok",
                    run_expectations(frame, source, label, Path(docs_root), symbols=symbols),
                )
            except BaseException as error:  # handed to the caller, which raises it
                outcome = ("error", error, traceback.format_exc())
            there.send(outcome)
    finally:
        there.close()
        os._exit(0)  # no teardown of the command's resources in this copy of them


_OPEN: list[ExpectationsHelper] = []


@contextlib.contextmanager
def expectations_helper(enabled: bool = True) -> Iterator[ExpectationsHelper | None]:
    """A helper process for the block's suites (None when not ``enabled`` or where this process
    cannot fork); :func:`expect` uses it while the block lasts."""
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if not enabled or not can_fork or multiprocessing.current_process().daemon:
        yield None
        return
    helper = ExpectationsHelper()
    _OPEN.append(helper)
    try:
        yield helper
    finally:
        _OPEN.remove(helper)
        helper.close()


def expect(
    frame: pd.DataFrame,
    source: str,
    label: str,
    docs_root: Path,
    symbols: Sequence[str] | None = None,
) -> ExpectationsRun:
    """:func:`run_expectations` in the open helper, or here when there is none (or it is gone)."""
    helper = _OPEN[-1] if _OPEN else None
    if helper is not None and helper.alive():
        with contextlib.suppress(HelperGone):
            return helper.run(frame, source, label, docs_root, symbols)
    return run_expectations(frame, source, label, docs_root, symbols=symbols)


def helper_open() -> bool:
    """Whether a helper serves this process's suites (then nothing here needs to import GX)."""
    return bool(_OPEN) and _OPEN[-1].alive()
