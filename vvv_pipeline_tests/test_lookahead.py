"""The next item prepared in a thread or a forked process: order, errors at their item, no wait
on early stops."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from vvv_pipeline.lookahead import ahead, ahead_of_first


def test_results_come_in_order_and_the_next_is_prepared_meanwhile():
    started: list[int] = []
    second_started = threading.Event()

    def compute(item: int) -> int:
        started.append(item)
        if item == 2:
            second_started.set()
        return item * 10

    seen = []
    for item, result in ahead([1, 2, 3, 4], compute):
        if item == 1:
            # the caller still holds item 1: item 2 is computed in the thread meanwhile
            assert second_started.wait(5)
        seen.append((item, result))
    assert seen == [(1, 10), (2, 20), (3, 30), (4, 40)]
    assert started == [1, 2, 3, 4]


def test_off_or_single_items_are_computed_in_the_caller_one_after_the_other():
    callers = []

    def compute(item: int) -> int:
        callers.append(threading.get_ident())
        return -item

    assert list(ahead([1, 2, 3], compute, "off")) == [(1, -1), (2, -2), (3, -3)]
    assert list(ahead([7], compute)) == [(7, -7)]
    assert list(ahead([8], compute, "process")) == [(8, -8)]
    assert set(callers) == {threading.get_ident()}


def test_in_a_process_the_items_are_computed_in_order_in_one_other_process():
    def compute(item: int) -> tuple[int, int]:
        return os.getpid(), item * 10

    seen = list(ahead([1, 2, 3], compute, "process"))
    assert [(item, result) for item, (_pid, result) in seen] == [(1, 10), (2, 20), (3, 30)]
    pids = {pid for _item, (pid, _result) in seen}
    assert len(pids) == 1 and os.getpid() not in pids


def test_an_error_is_raised_at_its_item_after_every_earlier_one_was_handled():
    handled = []

    def compute(item: int) -> int:
        if item == 3:
            raise ValueError(f"item {item} is broken")
        return item

    with pytest.raises(ValueError, match="item 3 is broken"):
        for item, _ in ahead([1, 2, 3, 4], compute):
            handled.append(item)
    assert handled == [1, 2]


def test_stopping_early_does_not_wait_for_the_item_in_preparation():
    release = threading.Event()

    def compute(item: int) -> int:
        if item == 2:
            release.wait(30)  # a slow fetch
        return item

    began = time.perf_counter()
    with pytest.raises(RuntimeError, match="stop"):
        for item, _ in ahead([1, 2, 3], compute):
            assert item == 1
            raise RuntimeError("stop requested")
    assert time.perf_counter() - began < 5
    release.set()


@pytest.fixture
def python_handles_sigint():
    """``interrupt_main`` raises KeyboardInterrupt only while Python's own SIGINT handler is
    installed; a process started with SIGINT ignored (a background job of a shell without job
    control) keeps it ignored, and the interrupt would do nothing. The command's runs are
    interrupted under Dagster's handler, which it installs for each run."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_reaches_a_caller_waiting_for_the_next_item(python_handles_sigint):
    release = threading.Event()

    def compute(item: int) -> int:
        if item == 2:
            release.wait(30)
        return item

    threading.Timer(0.3, _thread.interrupt_main).start()
    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        for _ in ahead([1, 2], compute):
            pass
    assert time.perf_counter() - began < 5
    release.set()


def test_an_interrupt_reaches_a_caller_waiting_for_a_forked_item_and_the_child_is_killed(
    tmp_path, python_handles_sigint
):
    pid_file = tmp_path / "child.pid"

    def compute(item: int) -> int:
        if item == 2:
            written = pid_file.with_suffix(".tmp")
            written.write_text(str(os.getpid()))
            written.rename(pid_file)
            time.sleep(60)  # a partition that takes long to prepare
        return item

    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        for _ in ahead([1, 2], compute, "process"):
            while not pid_file.exists():  # the child is inside item 2
                time.sleep(0.01)
            # a cancelled run, as in the command: it lands while the caller waits for item 2
            threading.Timer(0.2, _thread.interrupt_main).start()
    assert time.perf_counter() - began < 10  # not the child's 60 s
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(pid_file.read_text()), 0)


def test_the_process_exits_without_waiting_for_an_abandoned_item():
    """A cancelled run's process must not linger while a fetch it no longer wants retries."""
    script = (
        "import threading, time\n"
        "from vvv_pipeline.lookahead import ahead\n"
        "started = threading.Event()\n"
        "def compute(item):\n"
        "    if item == 2:\n"
        "        started.set()\n"
        "        time.sleep(60)  # a fetch in its retries\n"
        "    return item\n"
        "for item, _ in ahead([1, 2], compute):\n"
        "    assert started.wait(10)\n"
        "    break\n"
    )
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], timeout=30, check=False)
    assert done.returncode == 0
    assert time.perf_counter() - began < 10


@pytest.mark.parametrize("where", ["thread", "process", "processes", "off"])
def test_the_first_item_is_computed_here_and_decides_where_the_rest_are(where, tmp_path):
    decided: list[int] = []

    def compute(item: int) -> tuple[int, int]:
        (tmp_path / str(item)).write_text("")
        return os.getpid(), item * 10

    def decide(first: tuple[int, int]) -> str:
        decided.append(first[1])
        return where

    seen = []
    for item, (pid, result) in ahead_of_first([1, 2, 3], compute, decide):
        if item == 1 and where != "off":
            # the second is under way before the first is handed back
            deadline = time.perf_counter() + 10
            while not (tmp_path / "2").exists() and time.perf_counter() < deadline:
                time.sleep(0.01)
            assert (tmp_path / "2").exists()
        seen.append((item, result, pid))
    assert [(item, result) for item, result, _pid in seen] == [(1, 10), (2, 20), (3, 30)]
    assert decided == [10]  # once, from the first result
    assert seen[0][2] == os.getpid()  # the first is computed here
    others = {pid for _item, _result, pid in seen[1:]}
    assert (os.getpid() in others) == (where not in ("process", "processes"))
    assert len(others) == (2 if where == "processes" else 1)  # two children took 2 and 3
    assert list(ahead_of_first([], compute, decide)) == []


def test_stopping_after_the_first_item_kills_the_forked_rest(tmp_path):
    pid_file = tmp_path / "child.pid"

    def compute(item: int) -> int:
        if item == 2:
            written = pid_file.with_suffix(".tmp")
            written.write_text(str(os.getpid()))
            written.rename(pid_file)
            time.sleep(60)
        return item

    stream = ahead_of_first([1, 2, 3], compute, lambda _first: "process")
    assert next(stream) == (1, 1)
    while not pid_file.exists():  # the child is inside item 2 while the caller holds item 1
        time.sleep(0.01)
    stream.close()  # the caller stops there (a stop request, an error)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
