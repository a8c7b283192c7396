"""How range runs split their partitions into chunks: by count, and by rows for tick readers."""

from vvv_pipeline.storage.chunking import CHUNK_PARTITIONS, balanced_parts, chunks, chunks_by_rows

KEYS = [f"2025-11-{day:02d}" for day in range(3, 8)]


def test_chunks_by_count_keep_order_and_cover_every_key_once():
    assert chunks(KEYS, 2) == [KEYS[0:2], KEYS[2:4], KEYS[4:5]]
    assert chunks(KEYS) == [KEYS]
    assert chunks([]) == []


def test_a_chunk_closes_before_its_rows_would_pass_the_budget():
    rows = dict(zip(KEYS, [4, 3, 3, 9, 1], strict=True))
    # 4+3 = 7 <= 10, +3 = 10 <= 10, +9 > 10 -> close; 9+1 = 10 <= 10
    assert chunks_by_rows(KEYS, rows, budget=10) == [KEYS[0:3], KEYS[3:5]]
    assert chunks_by_rows(KEYS, rows, budget=9) == [KEYS[0:2], KEYS[2:3], KEYS[3:4], KEYS[4:5]]


def test_a_partition_above_the_budget_is_a_chunk_of_its_own_never_split():
    rows = dict(zip(KEYS, [2, 50, 2, 2, 50], strict=True))
    assert chunks_by_rows(KEYS, rows, budget=10) == [KEYS[0:1], KEYS[1:2], KEYS[2:4], KEYS[4:5]]


def test_the_partition_cap_still_holds_and_unknown_keys_are_empty():
    many = [f"k{i:03d}" for i in range(2 * CHUNK_PARTITIONS + 1)]
    assert [len(c) for c in chunks_by_rows(many, {}, budget=1)] == [CHUNK_PARTITIONS] * 2 + [1]
    assert chunks_by_rows(KEYS, {}, budget=1, most=3) == [KEYS[0:3], KEYS[3:5]]
    assert chunks_by_rows([], {}, budget=1) == []


def test_parts_for_several_processes_split_the_rows_evenly_in_order():
    rows = dict(zip(KEYS, [10, 10, 10, 10, 10], strict=True))
    # the first part closes once it holds half the 50 rows (30 >= 25)
    assert balanced_parts(KEYS, 2, rows) == [KEYS[0:3], KEYS[3:5]]
    # a heavy first key is a part of its own; the rest go to the second part
    heavy = dict(zip(KEYS, [100, 1, 1, 1, 1], strict=True))
    assert balanced_parts(KEYS, 2, heavy) == [KEYS[0:1], KEYS[1:5]]
    # a heavy last key: the first part takes keys until its half (or until one key is left)
    last = dict(zip(KEYS, [1, 1, 1, 1, 100], strict=True))
    assert balanced_parts(KEYS, 2, last) == [KEYS[0:4], KEYS[4:5]]
    # by count without rows; never more parts than keys; none for no keys
    assert balanced_parts(KEYS, 3) == [KEYS[0:2], KEYS[2:4], KEYS[4:5]]
    assert balanced_parts(KEYS[:2], 4) == [KEYS[0:1], KEYS[1:2]]
    assert balanced_parts(KEYS, 1) == [KEYS]
    assert balanced_parts([], 2) == []
    # keys without rows (all empty) fall back to equal counts
    assert balanced_parts(KEYS[:4], 2, {}) == [KEYS[0:2], KEYS[2:4]]
