"""Stable int64 trade ids from a venue's execution-id strings.

The canonical ``trade_id`` is int64 (uniqueness is then one sort, and ids sort as the venue
numbered them where the venue numbers them). Some venues number trades (Bybit spot's
``execId`` is a decimal string); others name them with a UUID (Bybit linear and inverse).
A UUID is folded to 63 bits (its two 64-bit halves XOR-ed, sign bit cleared): the same
execution always gets the same id, in every fetch and every partition, and a UUID whose upper
half is zero keeps its value. Ids are unique in practice, not by construction, so a fetch
that would give two different executions one id is refused rather than stored.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd

from vvv_pipeline.providers.errors import ProviderError

SIGN_CLEAR = (1 << 63) - 1
INT64_MAX = np.iinfo(np.int64).max


def fold_id(text: str) -> int:
    """The non-negative int64 of one execution id: its value if decimal, else a 63-bit fold."""
    if text.isdecimal() and int(text) <= INT64_MAX:
        return int(text)
    try:
        bits = uuid.UUID(text).int
    except ValueError:
        # neither a number nor a UUID: the first 8 bytes of its BLAKE2b digest
        bits = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return ((bits >> 64) ^ bits) & SIGN_CLEAR


def trade_ids(values: pd.Series, provider: str, endpoint: str, symbol: str) -> np.ndarray:
    """int64 ids of the execution-id strings ``values``; raises if two ids collide."""
    texts = values.astype(str).str.strip()
    numeric = texts.str.fullmatch(r"\d{1,18}")
    if numeric.all():
        ids = texts.astype(np.int64).to_numpy()
    else:
        ids = np.fromiter((fold_id(t) for t in texts), dtype=np.int64, count=len(texts))
    distinct_ids, distinct_texts = len(np.unique(ids)), texts.nunique()
    if distinct_ids != distinct_texts:
        raise ProviderError(
            provider,
            endpoint,
            f"{symbol}: {distinct_texts} distinct execution ids map to {distinct_ids} trade ids",
        )
    return ids
