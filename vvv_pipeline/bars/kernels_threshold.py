"""Numba hot loop shared by volume, dollar and tick bars: exact splitting at the threshold.

One kernel, parameterised by the measure (``mode`` 0 volume, 1 dollar, 2 ticks), because the three
bar types differ only in what a trade contributes towards the threshold: its size, its price x
size, or 1. A trade that crosses a bar boundary is split (as nautilus_trader does): the part that
fills the bar closes it and the rest opens the next bar, so every completed bar holds exactly
its target. Sums run in float64; integer sizes stay exact (float64 holds integers to 2**53).

Per-symbol state lives in two arrays indexed by symbol code, one row per symbol, laid out like
an output row; the kernel loads a symbol's row into locals at the start of its block and stores
it back at the end (or when its output buffers are full, see ``chunks``), so a caller can
persist it (the carry) and resume in the next partition.
"""

from __future__ import annotations

from numba import njit

FLOAT_FIELDS = (
    "threshold",
    "filled",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "dollar_volume",
    "buy_volume",
    "sell_volume",
)
"""Columns of the float state/output arrays, in order."""
INT_FIELDS = ("code", "ts_open", "ts", "trade_count", "active")
"""Columns of the int64 state/output arrays: ``ts`` is the last contributing trade's time;
``active`` is 1 while a bar is open (in state) or 1 for a completed bar (in output)."""


@njit(cache=True)
def threshold_bars(
    ts, codes, price, size, signs, mode, thresholds, sf, si, seen, i0, resume, out_f, out_i
):
    """Split trades into bars of exactly ``thresholds[code]``; returns (status, stop, written).

    ``sf``/``si`` (n_codes x len(FLOAT_FIELDS) / len(INT_FIELDS)) are the per-symbol state, read
    and updated in place. Output rows are completed bars in row order. A trade that fits in the
    open bar takes the short path; only a trade that closes a bar enters the splitting loop.
    """
    n = len(ts)
    cap = out_f.shape[0]
    rank = seen.max() + 1
    k = 0
    cur = -1
    prev = 0
    target = filled = o = h = lo = cl = vol = dol = buy = sell = 0.0
    ts_open = ts_last = cnt = active = 0
    status = 0
    stop = n
    for i in range(i0, n):
        c = codes[i]
        t = ts[i]
        if c != cur:
            if cur >= 0:
                sf[cur, 0], sf[cur, 1], sf[cur, 2], sf[cur, 3], sf[cur, 4] = (
                    target,
                    filled,
                    o,
                    h,
                    lo,
                )
                sf[cur, 5], sf[cur, 6], sf[cur, 7], sf[cur, 8], sf[cur, 9] = cl, vol, dol, buy, sell
                si[cur, 1], si[cur, 2], si[cur, 3], si[cur, 4] = ts_open, ts_last, cnt, active
            if seen[c] != 0 and not (resume and i == i0):
                return -2, i, k
            if not thresholds[c] > 0.0:
                return -3, i, k
            if seen[c] == 0:
                seen[c] = rank
                rank += 1
            cur = c
            target, filled, o, h, lo = sf[c, 0], sf[c, 1], sf[c, 2], sf[c, 3], sf[c, 4]
            cl, vol, dol, buy, sell = sf[c, 5], sf[c, 6], sf[c, 7], sf[c, 8], sf[c, 9]
            ts_open, ts_last, cnt, active = si[c, 1], si[c, 2], si[c, 3], si[c, 4]
            prev = t
        if t < prev:
            return -1, i, k
        prev = t
        p = price[i]
        s = float(size[i])
        g = signs[i]
        rem = s if mode == 0 else (p * s if mode == 1 else 1.0)
        if active and rem < target - filled:
            h = max(h, p)
            lo = min(lo, p)
            cl = p
            vol += s
            dol += p * s
            cnt += 1
            ts_last = t
            buy += s if g > 0 else 0.0
            sell += s if g < 0 else 0.0
            filled += rem
            continue
        if k + 2 + rem / thresholds[c] > cap:
            status, stop = 1, i
            break
        s_rem = s
        while True:
            if not active:
                active = 1
                target = thresholds[c]
                filled = vol = dol = buy = sell = 0.0
                o = h = lo = p
                cnt = 0
                ts_open = t
            gap = target - filled
            closing = rem >= gap
            take = gap if closing else rem
            if not closing or rem == gap or mode == 2:
                part = s_rem
            elif mode == 0:
                part = take
            else:
                part = take / p
            h = max(h, p)
            lo = min(lo, p)
            cl = p
            vol += part
            dol += take if mode == 1 else p * part
            cnt += 1
            ts_last = t
            buy += part if g > 0 else 0.0
            sell += part if g < 0 else 0.0
            filled = target if closing else filled + take
            rem -= take
            s_rem -= part
            if not closing:
                break
            out_f[k, 0], out_f[k, 1], out_f[k, 2], out_f[k, 3], out_f[k, 4] = (
                target,
                filled,
                o,
                h,
                lo,
            )
            out_f[k, 5], out_f[k, 6], out_f[k, 7], out_f[k, 8], out_f[k, 9] = (
                cl,
                vol,
                dol,
                buy,
                sell,
            )
            out_i[k, 0], out_i[k, 1], out_i[k, 2], out_i[k, 3], out_i[k, 4] = c, ts_open, t, cnt, 1
            k += 1
            active = 0
            if rem <= 0.0:
                break
    if cur >= 0:
        sf[cur, 0], sf[cur, 1], sf[cur, 2], sf[cur, 3], sf[cur, 4] = target, filled, o, h, lo
        sf[cur, 5], sf[cur, 6], sf[cur, 7], sf[cur, 8], sf[cur, 9] = cl, vol, dol, buy, sell
        si[cur, 1], si[cur, 2], si[cur, 3], si[cur, 4] = ts_open, ts_last, cnt, active
    return status, stop, k
