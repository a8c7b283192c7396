"""Numba hot loops for trade signing and time bars (``@njit(cache=True)``).

Why numba: a bar is a run of consecutive rows, so OHLCV, VWAP, counts and signed volume are one
sequential pass; numpy needs several passes and pandas ``resample`` sorts and hashes. The first
call compiles (about a second); ``cache=True`` stores the machine code beside this module so
later processes load it. Kernels take plain arrays, never frames, and signal ordering errors
with a negative status (see ``chunks.ERRORS``) instead of raising inside numba.

Output buffers are preallocated by the caller from a guess; a kernel that fills them stops
*between* bars and returns the row to resume from (status 1), with all per-symbol state in
arrays, so the caller grows the buffers and calls again (``chunks.run_chunked``). Stopping only
between bars keeps resumption trivial, and keeps array reassignment (whose reference counting
costs more than the loop body) out of the hot loop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INT64_MAX = np.int64(np.iinfo(np.int64).max)


@njit(cache=True, inline="always")
def tick_step(p, lp, lt):
    """Tick rule step: +1 above the last price, -1 below, else the last sign (branchless)."""
    d = np.int8(p > lp) - np.int8(p < lp)
    return d if d != 0 else lt


@njit(cache=True)
def sign_trades(price, aggressor, codes, last_price, last_tick):
    """Trade signs: the aggressor where known (non-zero), else the tick rule.

    A symbol's first trade with no earlier price (``last_price`` NaN) has tick sign 0 (unknown).
    ``last_price`` and ``last_tick`` hold per-code state, read at a symbol's first row and
    updated in place, so a caller can carry them from one partition to the next.
    """
    n = len(price)
    signs = np.empty(n, dtype=np.int8)
    has_aggressor = len(aggressor) > 0
    cur = -1
    lp = np.nan
    lt = np.int8(0)
    for i in range(n):
        c = codes[i]
        if c != cur:
            if cur >= 0:
                last_price[cur] = lp
                last_tick[cur] = lt
            cur = c
            lp = last_price[c]
            lt = last_tick[c]
        p = price[i]
        lt = tick_step(p, lp, lt)
        lp = p
        a = aggressor[i] if has_aggressor else np.int8(0)
        signs[i] = a if a != 0 else lt
    if cur >= 0:
        last_price[cur] = lp
        last_tick[cur] = lt
    return signs


@njit(cache=True)
def time_bars_kernel(
    ts, codes, price, size, aggressor, win_open, win_close, width, shift,
    last_price, last_tick, seen, i0, resume, out_f, out_v, out_i,
):  # fmt: skip
    """One pass from rows to time bars; returns ``(status, stop_row, n_bars_written)``.

    A bin is ``[start, end)`` on ``t = ts - shift`` (``shift=1`` makes it ``(start, end]`` on
    ``ts``). Without windows ``start = floor(t / width) * width`` (aligned to the UTC epoch).
    With windows (sorted, disjoint ``[open, close)``) rows outside every window are dropped,
    ``start = open + floor((t - open) / width) * width`` (a session's first bar starts at its
    open) and the end is clipped at the close. Only the bin's end is compared per row; the
    division placing a bin runs once per bin. Signs (aggressor, else tick rule) are computed
    for every row, inside a window or not, so the tick rule sees the tape as it printed.
    Rows: ``out_f`` open, high, low, close, sum(price*size); ``out_v`` (dtype of ``size``)
    volume, buy, sell; ``out_i`` code, bin start, bin end, trade count.
    """
    n = len(ts)
    n_win = len(win_open)
    cap = out_f.shape[0]
    has_aggressor = len(aggressor) > 0
    zero = size[:0].sum()
    rank = seen.max() + 1
    k = 0
    cur = -1
    prev = hi = start = 0
    inside = False
    lp = np.nan
    lt = np.int8(0)
    o = h = lo = cl = pv = 0.0
    v = bv = sv = zero
    cnt = 0
    status = 0
    stop = n
    for i in range(i0, n):
        t = ts[i] - shift
        c = codes[i]
        new_block = c != cur
        if not new_block:
            if t < prev:
                return -1, i, k
            prev = t
        if new_block or t >= hi:
            if inside:
                out_f[k, 0], out_f[k, 1], out_f[k, 2], out_f[k, 3], out_f[k, 4] = o, h, lo, cl, pv
                out_v[k, 0], out_v[k, 1], out_v[k, 2] = v, bv, sv
                out_i[k, 0], out_i[k, 1], out_i[k, 2], out_i[k, 3] = cur, start, hi, cnt
                k += 1
            if new_block:
                if cur >= 0:
                    last_price[cur], last_tick[cur] = lp, lt
                if seen[c] != 0 and not (resume and i == i0):
                    return -2, i, k
                if seen[c] == 0:
                    seen[c] = rank
                    rank += 1
                cur = c
                lp, lt, prev = last_price[c], last_tick[c], t
            if n_win == 0:
                start = (t // width) * width
                hi = start + width
                inside = True
            else:
                j = np.searchsorted(win_close, t, side="right")
                inside = j < n_win and t >= win_open[j]
                if j == n_win:
                    hi = INT64_MAX
                elif t < win_open[j]:
                    hi = win_open[j]
                else:
                    w0 = win_open[j]
                    start = w0 + ((t - w0) // width) * width
                    hi = start + width if width < win_close[j] - start else win_close[j]
            if inside:
                if k == cap:
                    inside = False
                    status, stop = 1, i
                    break
                p = price[i]
                o = h = lo = p
                pv = 0.0
                v = bv = sv = zero
                cnt = 0
        p = price[i]
        lt = tick_step(p, lp, lt)
        lp = p
        a = aggressor[i] if has_aggressor else np.int8(0)
        g = a if a != 0 else lt
        if inside:
            s = size[i]
            h = max(h, p)
            lo = min(lo, p)
            cl = p
            v += s
            pv += p * s
            cnt += 1
            bv += s if g > 0 else zero
            sv += s if g < 0 else zero
    if inside:
        out_f[k, 0], out_f[k, 1], out_f[k, 2], out_f[k, 3], out_f[k, 4] = o, h, lo, cl, pv
        out_v[k, 0], out_v[k, 1], out_v[k, 2] = v, bv, sv
        out_i[k, 0], out_i[k, 1], out_i[k, 2], out_i[k, 3] = cur, start, hi, cnt
        k += 1
    if cur >= 0:
        last_price[cur], last_tick[cur] = lp, lt
    return status, stop, k
