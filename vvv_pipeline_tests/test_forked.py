"""Parts of a computation in forked processes: results in order, the parent's memory shared,
failures raised naming the part, no child left behind; and one child streaming every part's
result in order (``stream_forked``)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import numpy as np
import pytest

from vvv_pipeline.forked import ForkedPartError, map_forked, stream_forked


def _pid_and_square(part: int) -> tuple[int, int]:
    return os.getpid(), part * part


def test_results_come_back_in_order_the_later_parts_from_other_processes():
    results = map_forked(_pid_and_square, [1, 2, 3, 4, 5], workers=2)
    assert [square for _pid, square in results] == [1, 4, 9, 16, 25]
    pids = [pid for pid, _square in results]
    # rounds of two: the first part of each round here, the second in a child
    assert pids[0] == pids[2] == pids[4] == os.getpid()
    assert os.getpid() not in (pids[1], pids[3]) and pids[1] != pids[3]


def test_a_child_reads_the_parents_memory_as_it_stood_and_only_its_result_counts():
    table = np.arange(1_000_000, dtype=np.int64)  # made after import: the child sees it by fork
    touched: list[int] = []

    def total(bounds: tuple[int, int]) -> int:
        touched.append(bounds[0])
        return int(table[bounds[0] : bounds[1]].sum())

    got = map_forked(total, [(0, 500_000), (500_000, 1_000_000)], workers=2)
    assert got == [int(table[:500_000].sum()), int(table[500_000:].sum())]
    assert sum(got) == 999_999 * 1_000_000 // 2
    assert touched == [0]  # the child's append happened in its own copy


def test_one_worker_or_one_part_computes_here():
    assert {pid for pid, _ in map_forked(_pid_and_square, [1, 2, 3], workers=1)} == {os.getpid()}
    assert map_forked(_pid_and_square, [7], workers=2) == [(os.getpid(), 49)]
    assert map_forked(_pid_and_square, [], workers=2) == []


def _fails_on_three(part: int) -> int:
    if part == 3:
        raise ValueError("no threes")
    return part


def test_an_error_in_a_child_is_raised_here_as_itself_with_the_part_noted():
    with pytest.raises(ValueError, match="no threes") as raised:
        map_forked(_fails_on_three, [1, 3], workers=2)
    (note,) = raised.value.__notes__
    assert note.startswith("raised computing 3 in a forked process:")
    assert "_fails_on_three" in note  # the child's traceback


class _Unpicklable(Exception):
    def __init__(self, handle) -> None:
        super().__init__("holds a lock")
        self.handle = handle

    def __reduce__(self):
        raise TypeError("cannot pickle a lock")


def _fails_unpicklably(part: int) -> int:
    if part == 2:
        raise _Unpicklable(object())
    return part


def test_an_error_that_cannot_travel_is_reported_in_text():
    travelled = r"(?s)computing 2 .*cannot pickle a lock.*holds a lock"
    with pytest.raises(ForkedPartError, match=travelled):
        map_forked(_fails_unpicklably, [1, 2], workers=2)


def _dies_on_two(part: int) -> int:
    if part == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return part


def test_a_child_killed_before_answering_is_an_error_naming_the_part_and_signal():
    with pytest.raises(ForkedPartError, match=r"computing 2 exited without a result .*-9"):
        map_forked(_dies_on_two, [1, 2], workers=2)


def test_when_the_parents_part_fails_the_children_are_killed(tmp_path):
    pid_file = tmp_path / "child.pid"

    def part(index: int) -> int:
        if index == 0:
            while not pid_file.exists():  # the child has started
                time.sleep(0.01)
            raise KeyboardInterrupt  # a cancelled run interrupts the parent's own part
        written = pid_file.with_suffix(".tmp")  # renamed whole: never seen empty by the parent
        written.write_text(str(os.getpid()))
        written.rename(pid_file)
        time.sleep(60)
        return index

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        map_forked(part, [0, 1], workers=2)
    assert time.perf_counter() - started < 10  # not the child's 60 s
    child = int(pid_file.read_text())
    assert child != os.getpid()
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process any more
        os.kill(child, 0)


@pytest.mark.parametrize("children", [1, 2])
def test_children_take_the_parts_in_turn_each_one_ahead_and_hand_them_back_in_order(
    children, tmp_path
):
    done = tmp_path / "done"

    def part(index: int) -> tuple[int, int]:
        (done / str(index)).write_text("")
        return os.getpid(), index * index

    done.mkdir()
    ahead = [str(n) for n in range(2, 2 + children)]  # each child's next part
    seen = []
    for index, (pid, square) in stream_forked(part, [1, 2, 3, 4, 5, 6], children=children):
        if index == 1:
            # the caller holds part 1: each child computes its next part meanwhile, no further
            deadline = time.perf_counter() + 10
            while not all((done / n).exists() for n in ahead) and time.perf_counter() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
            assert all((done / n).exists() for n in ahead)
            assert not (done / str(2 + children)).exists()
        seen.append((index, square, pid))
    assert [(i, square) for i, square, _pid in seen] == [(i, i * i) for i in range(1, 7)]
    pids = [pid for _i, _s, pid in seen]
    for child in range(children):  # dealt in turn: parts child+1, child+1+children, ...
        assert set(pids[child::children]) == {pids[child]}
    assert len({*pids, os.getpid()}) == children + 1


def test_with_two_children_an_error_is_raised_at_its_part_and_both_children_end():
    seen = []
    with pytest.raises(ValueError, match="no threes"):
        for index, value in stream_forked(_fails_on_three, [1, 2, 3, 4, 5], children=2):
            seen.append((index, value))
    assert seen == [(1, 1), (2, 2)]
    children = multiprocessing.active_children()
    assert children == [], children  # killed or ended, and reaped


def test_a_streamed_error_is_raised_at_its_part_after_the_earlier_ones_and_ends_the_child():
    seen = []
    with pytest.raises(ValueError, match="no threes") as raised:
        for index, value in stream_forked(_fails_on_three, [1, 2, 3, 4]):
            seen.append((index, value))
    assert seen == [(1, 1), (2, 2)]
    assert raised.value.__notes__[0].startswith("raised computing 3 in a forked process:")


def test_a_streamed_result_that_cannot_travel_or_a_killed_child_names_the_part():
    with pytest.raises(ForkedPartError, match=r"(?s)computing 2 .*cannot pickle a lock"):
        list(stream_forked(_fails_unpicklably, [1, 2, 3]))
    with pytest.raises(ForkedPartError, match=r"computing 2 exited without a result .*-9"):
        list(stream_forked(_dies_on_two, [1, 2, 3]))


class _Unreadable:
    """Pickles in the child but cannot be rebuilt here."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise RuntimeError("not here")


def test_a_streamed_result_that_does_not_unpickle_here_names_the_part():
    with pytest.raises(ForkedPartError, match=r"result of 1 .*could not be read.*not here"):
        list(stream_forked(lambda part: _Unreadable(), [1]))


def test_a_caller_that_stops_early_leaves_no_child(tmp_path):
    pid_file = tmp_path / "child.pid"

    def part(index: int) -> int:
        if index == 2:
            written = pid_file.with_suffix(".tmp")
            written.write_text(str(os.getpid()))
            written.rename(pid_file)
            time.sleep(60)
        return index

    started = time.perf_counter()
    stream = stream_forked(part, [1, 2, 3])
    assert next(stream) == (1, 1)
    while not pid_file.exists():  # the child is inside part 2
        time.sleep(0.01)
    stream.close()  # the caller stops (an error, a stop request)
    assert time.perf_counter() - started < 10  # not the child's 60 s
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def _inside_a_daemonic_process(results) -> None:
    try:
        results.put(
            (
                map_forked(_pid_and_square, [1, 2, 3], workers=2),
                list(stream_forked(_pid_and_square, [4, 5])),
                os.getpid(),
            )
        )
    except BaseException as error:  # reported to the test, which fails naming it
        results.put(repr(error))


def test_a_daemonic_process_computes_every_part_itself():
    """A Celery worker's prefork pool process is daemonic, and multiprocessing refuses it
    children: the parts are computed there, one after another, instead of failing the step."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_inside_a_daemonic_process, args=(results,), daemon=True)
    worker.start()
    got = results.get(timeout=30)
    worker.join(30)
    assert not isinstance(got, str), got
    mapped, streamed, pid = got
    assert mapped == [(pid, 1), (pid, 4), (pid, 9)]
    assert streamed == [(4, (pid, 16)), (5, (pid, 25))]
