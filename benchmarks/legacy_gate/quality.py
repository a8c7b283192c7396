"""Tier 4 (WARN): statistical quality of prices, quotes and sizes, as pure vectorized functions.

:func:`check_quality` takes one partition's frame and its source and returns a
:class:`~vvv_pipeline.validation.results.TierResult`. Rows are taken per symbol in time order (the
canonical (symbol, ts) sort; an unsorted frame is sorted stably first, and samples point back
at the original rows). Per-symbol statistics loop over symbols (a handful), never over rows.

Kinds (threshold constants below; every count is of rows unless said otherwise):

* ``price_jump``: log returns ``r`` between consecutive rows of a symbol with
  ``|r - median(r)| > max(JUMP_K * 1.4826 * MAD(r), JUMP_FLOOR)`` (MAD = median absolute
  deviation, 1.4826 makes it a standard deviation under normality). The flagged row is the one
  the jump lands on. ``price_spike`` counts isolated spikes: a jump immediately followed by a
  jump of the opposite sign (the row between them is the spike); a spike is two jumps.
  Price column: ``price`` (equity, crypto trades), ``mark_price`` (open interest).
* ``open_interest_jump`` (open interest): the same rule on ``open_interest`` with the floor
  :data:`OI_JUMP_FLOOR` (real OI moves in 3-8 % steps when large players act; a defect is
  larger).
* ``price_outside_quote`` (equity ticks): price below the bid or above the ask.
* ``nbbo_deviation`` (dark-pool prints): ``|price / NBBO mid - 1| > DARKPOOL_MAX_DEVIATION``
  (blocks are negotiated near the lit price, within fractions of a percent).
* ``stale_price``: runs of identical consecutive rows (equity: price, bid and ask; crypto:
  price; open interest: mark price and open interest) of a symbol that otherwise moves. The
  shortest flagged run adapts to the symbol's own repeat rate ``p`` (share of consecutive
  equal pairs): ``L = max(STALE_MIN_RUN, 1 + ceil(log(STALE_FALSE_ALARM / n) / log p))`` so
  that a run that long happens by chance with probability about :data:`STALE_FALSE_ALARM` in
  the partition, and the run must last at least :data:`STALE_MIN_SECONDS`; a symbol that
  never moves (``p`` = 1) is not judged. Counted as runs; each
  run is also a row of ``runs`` (``start``/``end`` = first/last frozen row's ts, ``length``
  = rows).
* ``crossed_quote`` / ``locked_quote`` (equity ticks, dark-pool prints): rows with bid > ask
  and bid == ask; judged as RATES over quoted rows (``crossed_rate``, ``locked_rate``).
* ``volume_spike`` (equity ticks, crypto trades): minutes whose traded volume exceeds
  :data:`VOLUME_SPIKE_RATIO` times the symbol's median minute (minutes with trades). Counted as
  minutes.
* ``duplicate_print``: a row equal to the previous row of the same symbol on ts, price and
  size (open interest: ts, mark price, open interest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.validation.results import (
    MINUTE_NS,
    Collector,
    TierResult,
    codes_and_names,
    runs_frame,
    segments,
    sort_order,
    true_runs,
    ts_ns,
)

TIER = 4
MAD_TO_SD = 1.4826
JUMP_K = 40.0
"""Robust z (in MAD-standard deviations) beyond which a log return is a jump."""
JUMP_FLOOR = 0.05
"""Smallest |log return| ever called a jump (5 %): tick-to-tick moves are far smaller."""
OI_JUMP_FLOOR = 0.15
"""Smallest |log change| of open interest called a jump (real steps are 3-8 %)."""
JUMP_MAX_ROWS = 0
DARKPOOL_MAX_DEVIATION = 0.02
"""Largest |price / NBBO mid - 1| of a dark-pool print."""
STALE_MIN_RUN = 10
"""Shortest run of identical rows ever flagged as stale."""
STALE_FALSE_ALARM = 1e-5
"""Chance of a run that long per symbol-partition under the symbol's own repeat rate."""
STALE_MIN_SECONDS = 30
"""A stale run must also last this long: bursts of same-price prints within seconds are
normal (the simulated crypto tape at default density has them); a frozen feed is not."""
STALE_MAX_RUNS = 0
CROSSED_MAX_RATE = 0.001
"""Largest share of quoted rows with bid > ask."""
LOCKED_MAX_RATE = 0.01
"""Largest share of quoted rows with bid == ask."""
VOLUME_SPIKE_RATIO = {"equity_ticks": 1_000.0, "crypto_trades": 10_000.0}
"""A minute is a volume spike when its volume exceeds this multiple of the symbol's median
minute. Clean simulated data peaks at 16x for equities at default density (116x in sparse
test sessions of 2,000 trades) and at about 3,000x for crypto, whose whale trades are part of
the model (48 hours at 300, 3,000 and 20,000 trades per hour); a unit error of 1e6 on one
small trade scored 22,700x."""
VOLUME_SPIKE_MAX_MINUTES = 0
DUPLICATE_MAX_ROWS = 0

PRICE = {"equity_ticks": "price", "crypto_trades": "price", "crypto_open_interest": "mark_price"}
STALE = {
    "equity_ticks": ("price", "bid", "ask"),
    "crypto_trades": ("price",),
    "crypto_open_interest": ("mark_price", "open_interest"),
}
QUOTES = {"equity_ticks": ("bid", "ask"), "darkpool_prints": ("nbbo_bid", "nbbo_ask")}
VOLUME = {"equity_ticks": "size", "crypto_trades": "size"}
DUPLICATE = {
    "equity_ticks": ("price", "size"),
    "crypto_trades": ("price", "size"),
    "darkpool_prints": ("price", "size"),
    "crypto_open_interest": ("mark_price", "open_interest"),
}
QUALITY_SOURCES = ("equity_ticks", "crypto_trades", "crypto_open_interest", "darkpool_prints")


def robust_jumps(
    values: np.ndarray, starts: np.ndarray, stops: np.ndarray, k: float, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """(jump mask over rows, signed return over rows) for one series, per symbol segment.

    ``mask[i]`` is True when the log return from row ``i - 1`` to row ``i`` (same symbol) is a
    jump: ``|r - median| > max(k * 1.4826 * MAD, floor)``. Non-positive or NaN values give NaN
    returns, which never jump (tier 1 reports them).
    """
    n = len(values)
    mask = np.zeros(n, dtype=bool)
    ret = np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        logv = np.log(np.where(values > 0, values, np.nan))
    for lo, hi in zip(starts, stops, strict=True):
        if hi - lo < 3:
            continue
        r = np.diff(logv[lo:hi])
        finite = np.isfinite(r)
        if not finite.any():
            continue
        rf = r[finite]
        med = float(np.median(rf))
        mad = float(np.median(np.abs(rf - med)))
        threshold = max(k * MAD_TO_SD * mad, floor)
        with np.errstate(invalid="ignore"):
            mask[lo + 1 : hi] = np.abs(r - med) > threshold
        ret[lo + 1 : hi] = r - med
    return mask, ret


def spike_rows(jump: np.ndarray, ret: np.ndarray) -> np.ndarray:
    """Rows that are isolated spikes: a jump into them and an opposite jump out of them."""
    if len(jump) < 2:
        return np.zeros(0, dtype=np.int64)
    into, out_of = jump[:-1], jump[1:]
    opposite = np.sign(ret[:-1]) * np.sign(ret[1:]) < 0
    return np.flatnonzero(into & out_of & opposite)


def stale_runs(
    columns: list[np.ndarray], codes: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first row, rows, min run used) of stale runs; see ``stale_price`` in the module doc."""
    n = len(codes)
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    same = codes[1:] == codes[:-1]
    for col in columns:
        same &= col[1:] == col[:-1]
    # per symbol: repeat rate and the adaptive shortest run
    pair_seg = np.repeat(np.arange(len(starts)), np.maximum(stops - starts - 1, 0))
    within = np.ones(n - 1, dtype=bool)
    within[stops[:-1] - 1] = False  # the pair across a symbol boundary
    repeats = np.bincount(pair_seg, weights=same[within], minlength=len(starts))
    pairs = np.maximum(stops - starts - 1, 1)
    p = repeats / pairs
    rows = stops - starts
    with np.errstate(divide="ignore", invalid="ignore"):
        need = 1 + np.ceil(np.log(STALE_FALSE_ALARM / rows) / np.log(p))
    need = np.where((p > 0) & np.isfinite(need), need, STALE_MIN_RUN)
    need = np.maximum(need, STALE_MIN_RUN).astype(np.int64)
    need = np.where(p >= 1, np.iinfo(np.int64).max, need)  # never moves: not judged
    first, length = true_runs(same)
    run_rows = length + 1  # k equal pairs are k + 1 identical rows
    seg = np.searchsorted(starts, first, side="right") - 1
    keep = run_rows >= need[seg]
    return first[keep], run_rows[keep], need


def minute_volume_spikes(
    t: np.ndarray,
    codes: np.ndarray,
    size: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    max_ratio: float,
) -> tuple[np.ndarray, float]:
    """(first row of each spike minute, largest ratio to the median minute) over sorted rows."""
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    minute = t // MINUTE_NS
    new = np.ones(n, dtype=bool)
    new[1:] = (minute[1:] != minute[:-1]) | (codes[1:] != codes[:-1])
    first = np.flatnonzero(new)
    volume = np.add.reduceat(np.nan_to_num(size.astype(np.float64)), first)
    seg = np.searchsorted(starts, first, side="right") - 1
    ratio = np.zeros(len(first))
    bounds = np.searchsorted(seg, np.arange(len(starts) + 1))
    for s in range(len(starts)):
        lo, hi = bounds[s], bounds[s + 1]
        if hi - lo < 10:
            continue
        median = float(np.median(volume[lo:hi]))
        if median > 0:
            ratio[lo:hi] = volume[lo:hi] / median
    spike = ratio > max_ratio
    return first[spike], float(ratio.max())


def check_quality(frame: pd.DataFrame, source: str) -> TierResult:
    """Tier-4 statistical quality of one partition; see the module doc."""
    source = str(source)
    out = Collector(frame)
    n = len(frame)
    if source not in QUALITY_SOURCES or n == 0:
        return out.result(TIER, source, with_runs=True)
    t = ts_ns(frame)
    if t is None:
        out.add("ts_not_utc", n, np.arange(1), failed=True)
        return out.result(TIER, source, with_runs=True)
    codes, names = codes_and_names(frame)
    order = sort_order(codes, t)
    if order is not None:
        codes, t = codes[order], t[order]

    def col(name: str) -> np.ndarray:
        values = frame[name].to_numpy()
        return values if order is None else values[order]

    def rows(sorted_rows: np.ndarray) -> np.ndarray:
        return sorted_rows if order is None else order[sorted_rows]

    starts, stops = segments(codes)

    if source in PRICE:
        price = col(PRICE[source]).astype(np.float64)
        jump, ret = robust_jumps(price, starts, stops, JUMP_K, JUMP_FLOOR)
        n_jump = int(np.count_nonzero(jump))
        out.add("price_jump", n_jump, rows(np.flatnonzero(jump)), n_jump > JUMP_MAX_ROWS)
        spikes = spike_rows(jump, ret)
        out.add("price_spike", len(spikes), rows(spikes), len(spikes) > JUMP_MAX_ROWS)

    if source == "crypto_open_interest":
        oi = col("open_interest").astype(np.float64)
        jump, _ = robust_jumps(oi, starts, stops, JUMP_K, OI_JUMP_FLOOR)
        n_jump = int(np.count_nonzero(jump))
        out.add("open_interest_jump", n_jump, rows(np.flatnonzero(jump)), n_jump > JUMP_MAX_ROWS)

    if source in QUOTES:
        bid, ask = (col(c).astype(np.float64) for c in QUOTES[source])
        quoted = np.isfinite(bid) & np.isfinite(ask)
        n_quoted = int(np.count_nonzero(quoted))
        crossed = quoted & (bid > ask)
        locked = quoted & (bid == ask)
        for kind, mask, limit in (
            ("crossed_quote", crossed, CROSSED_MAX_RATE),
            ("locked_quote", locked, LOCKED_MAX_RATE),
        ):
            count = int(np.count_nonzero(mask))
            rate = count / n_quoted if n_quoted else 0.0
            out.metrics[kind.replace("_quote", "_rate")] = rate
            out.add(kind, count, rows(np.flatnonzero(mask)), rate > limit)
        price = col("price").astype(np.float64)
        if source == "equity_ticks":
            outside = quoted & (bid <= ask) & ((price < bid - 1e-9) | (price > ask + 1e-9))
            count = int(np.count_nonzero(outside))
            out.add("price_outside_quote", count, rows(np.flatnonzero(outside)), count > 0)
        else:
            mid = (bid + ask) / 2.0
            with np.errstate(divide="ignore", invalid="ignore"):
                deviation = np.abs(price / mid - 1.0)
            far = quoted & (mid > 0) & (deviation > DARKPOOL_MAX_DEVIATION)
            count = int(np.count_nonzero(far))
            out.add("nbbo_deviation", count, rows(np.flatnonzero(far)), count > 0)

    if source in STALE:
        first, length, need = stale_runs([col(c) for c in STALE[source]], codes, starts, stops)
        lasting = t[first + length - 1] - t[first] >= STALE_MIN_SECONDS * 1_000_000_000
        first, length = first[lasting], length[lasting]
        out.add("stale_price", len(first), rows(first), len(first) > STALE_MAX_RUNS)
        last = first + length - 1
        out.runs.append(runs_frame("stale_price", names[codes[first]], t[first], t[last], length))
        judged = need[need < np.iinfo(np.int64).max]
        if len(judged):
            out.metrics["stale_min_run"] = float(judged.min())

    if source in VOLUME:
        max_ratio = VOLUME_SPIKE_RATIO[source]
        spike_first, ratio_max = minute_volume_spikes(
            t, codes, col(VOLUME[source]), starts, stops, max_ratio
        )
        count = len(spike_first)
        out.add("volume_spike", count, rows(spike_first), count > VOLUME_SPIKE_MAX_MINUTES)
        out.metrics["volume_ratio_max"] = ratio_max

    if source in DUPLICATE:
        dup = (codes[1:] == codes[:-1]) & (t[1:] == t[:-1])
        for name in DUPLICATE[source]:
            values = col(name)
            dup &= values[1:] == values[:-1]
        dup_rows = np.flatnonzero(dup) + 1
        out.add(
            "duplicate_print", len(dup_rows), rows(dup_rows), len(dup_rows) > DUPLICATE_MAX_ROWS
        )

    return out.result(TIER, source, with_runs=source in STALE)
