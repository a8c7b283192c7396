"""How range runs split their partitions into chunks: by count, and by rows for tick readers."""

from vvv_pipeline.storage.chunking import CHUNK_PARTITIONS, chunks, chunks_by_rows

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
