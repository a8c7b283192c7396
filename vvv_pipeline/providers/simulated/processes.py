"""Vectorized stochastic building blocks shared by every generator.

Nothing here loops per sample: an AR(1) recursion is solved in closed form over blocks, a
bridge pins a noise path to two anchors with one broadcast, sorted uniforms come from
normalized exponential spacings (no sort), and the U-shaped intraday intensity is inverted
analytically (a depressed cubic) rather than by search.
"""

from __future__ import annotations

import math

import numpy as np


def ar1(eps: np.ndarray, phi: float, x0: float = 0.0) -> np.ndarray:
    """``x[t] = phi * x[t-1] + eps[t]`` with ``x[-1] = x0``, without a per-sample loop.

    Inside a block, ``x[k] = phi**k * (x0 + cumsum(eps[j] * phi**-j))``. Blocks are sized so
    ``phi**-k`` stays below ``2**40`` (no overflow, relative error ~1e-13); the loop is over
    blocks, which is one block for the slow mean reversion used here.
    """
    eps = np.asarray(eps, dtype=np.float64)
    if phi == 1.0:
        return x0 + np.cumsum(eps)
    if not 0.0 < phi < 1.0:
        raise ValueError(f"ar1 needs 0 < phi <= 1, got {phi}")
    n = len(eps)
    out = np.empty(n)
    block = max(1, int(40 * math.log(2) / -math.log(phi)))
    level = x0
    for lo in range(0, n, block):
        chunk = eps[lo : lo + block]
        powers = phi ** np.arange(1, len(chunk) + 1, dtype=np.float64)
        seg = powers * (level + np.cumsum(chunk / powers))
        out[lo : lo + len(chunk)] = seg
        level = seg[-1]
    return out


def half_life_phi(half_life: float) -> float:
    """AR(1) coefficient whose deviations halve after ``half_life`` steps (inf -> 1)."""
    return 1.0 if math.isinf(half_life) else 2.0 ** (-1.0 / half_life)


def bridge(start: float, end: float, noise: np.ndarray) -> np.ndarray:
    """Pin ``noise`` (``noise[0] == 0``) so the result runs from ``start`` to ``end``.

    ``start + (end - start) s + noise - s * noise[-1]`` with ``s`` from 0 to 1: the anchors
    decide the level at both ends, the noise decides the shape in between.
    """
    s = np.linspace(0.0, 1.0, len(noise))
    return start + (end - start) * s + noise - s * noise[-1]


def sorted_uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` sorted uniforms on (0, 1) in O(n): normalized cumulative exponential spacings."""
    if n == 0:
        return np.empty(0)
    spacings = np.cumsum(rng.standard_exponential(n + 1))
    return spacings[:-1] / spacings[-1]


def ushape_quantile(q: np.ndarray, k: float) -> np.ndarray:
    """Inverse CDF on [0, 1] of the density ``(1 + k (2u - 1)**2) / (1 + k/3)``.

    With ``v = 2u - 1`` the CDF equation becomes ``v**3 + (3/k) v + r = 0`` with
    ``r = (3 + k)(1 - 2q)/k``; its single real root comes from Cardano's formula. ``k`` is the
    edge-to-middle intensity ratio minus one (k = 3: the open and close are 4x as busy).
    """
    q = np.asarray(q, dtype=np.float64)
    if k <= 0:
        return q.copy()
    p = 3.0 / k
    r = (3.0 + k) * (1.0 - 2.0 * q) / k
    disc = np.sqrt(r * r / 4.0 + p**3 / 27.0)
    v = np.cbrt(-r / 2.0 + disc) + np.cbrt(-r / 2.0 - disc)
    return np.clip((v + 1.0) / 2.0, 0.0, 1.0)


def ushape_density(u: np.ndarray, k: float) -> np.ndarray:
    """The normalized U-shaped density (mean 1 over [0, 1]) used for intensity and volatility."""
    return (1.0 + k * (2.0 * np.asarray(u) - 1.0) ** 2) / (1.0 + k / 3.0)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, Abramowitz-Stegun 7.1.26 (abs. error < 1.5e-7), numpy only."""
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    coefficients = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
    poly = np.zeros_like(t)
    for c in coefficients:
        poly = (poly + c) * t
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """Values spread evenly in log between ``lo`` and ``hi`` (a scale-free size distribution)."""
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))
