"""Stable random streams: every generated unit owns its own, derived from a name.

Python's ``hash()`` is salted per process, so it cannot seed anything that must regenerate
identically tomorrow or on another machine. Instead a unit's name (``seed|source|symbol|unit``)
is hashed with BLAKE2b and the digest words feed a ``numpy.random.SeedSequence``. Two units
never share a stream, and a unit's stream never depends on which other units were generated
before it, so any partition can be rebuilt alone, in any order.
"""

from __future__ import annotations

import hashlib

import numpy as np

_HEX = np.array([f"{i:02x}" for i in range(256)], dtype=object)


def stable_words(*parts: object) -> list[int]:
    """Four 32-bit words from a BLAKE2b digest of the parts joined with ``|``."""
    text = "|".join(str(p) for p in parts).encode()
    digest = hashlib.blake2b(text, digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def stable_int(*parts: object) -> int:
    """A non-negative 63-bit integer that names the parts (same on every machine)."""
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


def seed_sequence(*parts: object) -> np.random.SeedSequence:
    return np.random.SeedSequence(stable_words(*parts))


def rng_for(*parts: object) -> np.random.Generator:
    """The random generator named by ``parts`` (e.g. seed, source, symbol, unit)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(*parts)))


def streams(count: int, *parts: object) -> list[np.random.Generator]:
    """``count`` independent generators under one name.

    Separate streams per concern (times, prices, sizes, codes) let a consumer that needs only
    some of them (daily bars need times, prices and sizes) skip the rest and still reproduce
    exactly the same values.
    """
    children = seed_sequence(*parts).spawn(count)
    return [np.random.Generator(np.random.PCG64(child)) for child in children]


def hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """``n`` random lowercase hex strings of ``2 * nbytes`` characters (object array)."""
    table = _HEX[rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)]
    out = np.full(n, "", dtype=object)
    for column in range(nbytes):
        out = out + table[:, column]
    return out


def uuid_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` version-4-shaped UUID strings drawn from ``rng`` (deterministic, not random.uuid4)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    table = _HEX[raw]
    out = np.full(n, "", dtype=object)
    for column in range(16):
        if column in (4, 6, 8, 10):
            out = out + "-"
        out = out + table[:, column]
    return out
