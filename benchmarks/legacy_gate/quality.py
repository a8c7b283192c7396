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

from vvv_pipeline.validation.quality import (
    JUMP_FLOOR,
    JUMP_K,
    OI_JUMP_FLOOR,
    STALE_MIN_SECONDS,
    minute_volume_spikes,
    robust_jumps,
    spike_rows,
    stale_runs,
)
from vvv_pipeline.validation.results import (
    Collector,
    TierResult,
    codes_and_names,
    runs_frame,
    segments,
    sort_order,
    ts_ns,
)

TIER = 4
JUMP_MAX_ROWS = 0
DARKPOOL_MAX_DEVIATION = 0.02
"""Largest |price / NBBO mid - 1| of a dark-pool print."""
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
