"""Numba hot loop of tick imbalance bars (see :mod:`vvv_pipeline.bars.imbalance` for the rule).

Sequential by nature: each bar's threshold depends on the bars before it (the EWMAs), so this is
one pass per symbol block with the state in locals, stored back per symbol for the carry.
"""

from __future__ import annotations

from numba import njit

FLOAT_FIELDS = (
    "threshold",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "dollar_volume",
    "buy_volume",
    "sell_volume",
    "imbalance",
    "expected_ticks",
    "expected_imbalance",
)
"""Float state/output columns; the last two are the EWMAs (in output: the values in force when
the bar opened, which set its ``threshold``)."""
INT_FIELDS = ("code", "ts_open", "ts", "trade_count", "active")


@njit(cache=True)
def imbalance_bars(
    ts, codes, price, size, signs, sf, si, min_ticks, max_ticks, alpha, min_imb,
    seen, i0, resume, out_f, out_i,
):  # fmt: skip
    """Tick imbalance bars; returns ``(status, stop, written)`` like ``threshold_bars``.

    At a bar's open: ``threshold = E[T] * max(|E[b]|, min_imb[c])`` (a floor per code). Each
    trade adds its sign to ``imbalance``; the bar closes on the first trade with
    ``|imbalance| >= threshold``. Then
    ``E[T] <- clip(alpha * T + (1 - alpha) * E[T], min_ticks[c], max_ticks[c])`` and
    ``E[b] <- alpha * imbalance / T + (1 - alpha) * E[b]``.
    """
    n = len(ts)
    cap = out_f.shape[0]
    rank = seen.max() + 1
    k = 0
    cur = -1
    prev = 0
    thr = o = h = lo = cl = vol = dol = buy = sell = theta = e_t = e_b = 0.0
    ts_open = ts_last = cnt = active = 0
    status = 0
    stop = n
    for i in range(i0, n):
        c = codes[i]
        t = ts[i]
        if c != cur:
            if cur >= 0:
                sf[cur, 0], sf[cur, 1], sf[cur, 2], sf[cur, 3], sf[cur, 4] = thr, o, h, lo, cl
                sf[cur, 5], sf[cur, 6], sf[cur, 7], sf[cur, 8] = vol, dol, buy, sell
                sf[cur, 9], sf[cur, 10], sf[cur, 11] = theta, e_t, e_b
                si[cur, 1], si[cur, 2], si[cur, 3], si[cur, 4] = ts_open, ts_last, cnt, active
            if seen[c] != 0 and not (resume and i == i0):
                return -2, i, k
            if seen[c] == 0:
                seen[c] = rank
                rank += 1
            cur = c
            thr, o, h, lo, cl = sf[c, 0], sf[c, 1], sf[c, 2], sf[c, 3], sf[c, 4]
            vol, dol, buy, sell = sf[c, 5], sf[c, 6], sf[c, 7], sf[c, 8]
            theta, e_t, e_b = sf[c, 9], sf[c, 10], sf[c, 11]
            ts_open, ts_last, cnt, active = si[c, 1], si[c, 2], si[c, 3], si[c, 4]
            prev = t
        if t < prev:
            return -1, i, k
        prev = t
        if k == cap:
            status, stop = 1, i
            break
        p = price[i]
        s = float(size[i])
        g = signs[i]
        if not active:
            active = 1
            thr = e_t * max(abs(e_b), min_imb[c])
            o = h = lo = p
            vol = dol = buy = sell = theta = 0.0
            cnt = 0
            ts_open = t
        h = max(h, p)
        lo = min(lo, p)
        cl = p
        vol += s
        dol += p * s
        cnt += 1
        ts_last = t
        buy += s if g > 0 else 0.0
        sell += s if g < 0 else 0.0
        theta += g
        if abs(theta) < thr:
            continue
        out_f[k, 0], out_f[k, 1], out_f[k, 2], out_f[k, 3], out_f[k, 4] = thr, o, h, lo, cl
        out_f[k, 5], out_f[k, 6], out_f[k, 7], out_f[k, 8] = vol, dol, buy, sell
        out_f[k, 9], out_f[k, 10], out_f[k, 11] = theta, e_t, e_b
        out_i[k, 0], out_i[k, 1], out_i[k, 2], out_i[k, 3], out_i[k, 4] = c, ts_open, t, cnt, 1
        k += 1
        active = 0
        e_t = min(max(alpha * cnt + (1.0 - alpha) * e_t, min_ticks[c]), max_ticks[c])
        e_b = alpha * theta / cnt + (1.0 - alpha) * e_b
    if cur >= 0:
        sf[cur, 0], sf[cur, 1], sf[cur, 2], sf[cur, 3], sf[cur, 4] = thr, o, h, lo, cl
        sf[cur, 5], sf[cur, 6], sf[cur, 7], sf[cur, 8] = vol, dol, buy, sell
        sf[cur, 9], sf[cur, 10], sf[cur, 11] = theta, e_t, e_b
        si[cur, 1], si[cur, 2], si[cur, 3], si[cur, 4] = ts_open, ts_last, cnt, active
    return status, stop, k
