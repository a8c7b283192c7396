"""Pandera gate benchmark: the tiers through their pandera schemas, side by side with the old
numpy gate, pandera's built-in checks and plain pandas, and pandera's own overhead apart.

Run from the repository root:

    python benchmarks/bench_pandera.py                       # 10 x 1M ticks; 1M-trade session
    python benchmarks/bench_pandera.py --ticks 1000000 --session-ticks 200000 --repeats 3  # smoke

Tier 1, on ``--ticks`` synthetic canonical equity ticks (``bench_tier1.ticks``):

* ``check_tier1`` (the product): the source's tier-1 pandera schema, generated from the rule
  table, validated lazily; its registered checks' bodies are the numpy kernels.
* the old numpy gate (``legacy_gate/structure.py``: the hand-written engine the schemas
  replaced, kept here as the baseline only).
* pandera's built-in checks on the same rules (``gt``, ``isin``, ``in_range``, ``unique=``).
* plain pandas masks with ``duplicated()`` (``bench_tier1.pandas_masks``).
* the split of the product's time: pandera alone (the same schema with every check replaced by
  one returning ``True``: column lookup, dtype and null checks, check dispatch; no coercion) and
  the kernels alone (each check's bound function called directly on its column or frame).

Tiers 2 to 4, on one heavy simulated SPY session with a 20-minute gap, 5 price spikes and a stale
run (``bench_tiers_234.heavy_frame``): the product (``check_alignment``, ``check_continuity``,
``check_quality``) against the old gate's functions, and the same pandera/kernel split.

A defect-heavy frame (``--ticks`` / 10 rows, 3 of every 4 failing tier 1) shows what pandera's
failure cases cost when a feed goes wrong. Before anything is timed, every pair must agree: the
product and the old gate flag the same rows rule by rule on a frame with injected defects (and
count the same on the defect-heavy one), and tiers 2 to 4 give the same counts, failed kinds
and runs. Each figure is the median wall time of ``--repeats`` calls in one process.
Targets: tier 1 <= 0.5 s on 10M ticks, each of tiers 2 to 4 <= 0.2 s on the heavy session.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_tier1 import DAY, check_agreement, pandas_masks, ticks  # beside this script
from bench_tiers_234 import heavy_frame
from legacy_gate import alignment as old_t2
from legacy_gate import continuity as old_t3
from legacy_gate import quality as old_t4
from legacy_gate import structure as old_t1
from timing import median_time

from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES
from vvv_pipeline.validation import check_alignment, check_continuity, check_quality, check_tier1
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.contract import schema_for


def builtin_schema(universe: list[str]) -> pa.DataFrameSchema:
    """Tier 1's equity rules in pandera's own vocabulary (the ~1.7 s the issue quotes)."""
    lo, hi = DAY
    finite = pa.Check.lt(np.inf)
    return pa.DataFrameSchema(
        {
            "ts": pa.Column(
                pd.DatetimeTZDtype("ns", "UTC"), pa.Check.in_range(lo, hi, True, False)
            ),
            "symbol": pa.Column("category", pa.Check.isin(universe)),
            "price": pa.Column("float64", [pa.Check.gt(0), finite]),
            "size": pa.Column("int64", pa.Check.gt(0)),
            "bid": pa.Column("float64", [pa.Check.ge(0), finite], nullable=True),
            "ask": pa.Column("float64", [pa.Check.ge(0), finite], nullable=True),
            "trade_id": pa.Column("int64"),
            "exchange": pa.Column("category", pa.Check.isin(EQUITY_EXCHANGES)),
            "condition": pa.Column("category", pa.Check.isin(EQUITY_CONDITIONS)),
            "aggressor": pa.Column("int8", pa.Check.isin([-1, 0, 1])),
            "extended_hours": pa.Column("bool"),
        },
        checks=pa.Check(lambda df: df["bid"].isna() | df["ask"].isna() | (df["bid"] <= df["ask"])),
        unique=["symbol", "trade_id"],
    )


def pandera_only(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """The same schema with every check returning True at once: what pandera itself costs."""

    def stub(check: pa.Check) -> pa.Check:
        return pa.Check(lambda _obj: True, error=check.error, ignore_na=False)

    columns = {
        name: pa.Column(c.dtype, [stub(k) for k in c.checks], nullable=c.nullable)
        for name, c in schema.columns.items()
    }
    return pa.DataFrameSchema(columns, checks=[stub(k) for k in schema.checks], coerce=False)


def kernels_only(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> None:
    """Each check's bound function on its column or on the frame: the rule kernels' time."""
    for name, column in schema.columns.items():
        for check in column.checks:
            check._check_fn(frame[name])
    for check in schema.checks:
        check._check_fn(frame)


def split(
    label: str,
    make: Callable[[], pa.DataFrameSchema],
    frame: pd.DataFrame,
    repeats: int,
    product: float,
) -> tuple[float, float]:
    """Print pandera alone, the kernels alone, and the rest of the product's time (building the
    partition's schema, pandera's failure cases and their reading into rows per rule)."""
    stubbed = pandera_only(make())
    overhead = median_time(lambda: stubbed.validate(frame, inplace=True), repeats)
    # a fresh schema (and binding) per call: nothing memoised from the call before
    kernels = median_time(lambda: kernels_only(make(), frame), repeats)
    rest = product - overhead - kernels
    print(
        f"  {label} split: pandera alone {overhead:.4f} s, kernels alone {kernels:.4f} s, "
        f"rest {rest:.4f} s"
    )
    return overhead, kernels


def same_tier(ours, theirs) -> None:
    assert ours.counts == theirs.counts, (ours.counts, theirs.counts)
    assert ours.failed == theirs.failed and ours.passed == theirs.passed
    assert sorted(ours.samples.index) == sorted(theirs.samples.index)
    if theirs.runs is not None:
        pd.testing.assert_frame_equal(ours.runs, theirs.runs)


def tier1(n: int, symbols: int, repeats: int) -> None:
    build = time.perf_counter()
    frame = ticks(n, symbols)
    universe = [f"SYM{i:02d}" for i in range(symbols)]
    print(f"tier 1: built {len(frame):,} ticks in {time.perf_counter() - build:.2f} s")
    dirty = check_agreement(frame, universe)  # the product equals plain pandas, rule by rule
    old = old_t1.check_tier1(dirty, "equity_ticks", DAY, universe).failures
    new = check_tier1(dirty, "equity_ticks", DAY, universe).failures
    assert list(old) == list(new) and all(np.array_equal(old[k], new[k]) for k in old)
    assert check_tier1(frame, "equity_ticks", DAY, universe).passed
    builtin_schema(universe).validate(frame, inplace=True)

    def ours() -> object:
        return check_tier1(frame, "equity_ticks", DAY, universe)

    rows = [
        ("check_tier1 (pandera schema, numpy kernels)", ours),
        (
            "old numpy gate (baseline)",
            lambda: old_t1.check_tier1(frame, "equity_ticks", DAY, universe),
        ),
        ("pandera built-in checks", lambda: builtin_schema(universe).validate(frame, inplace=True)),
        ("plain pandas masks + duplicated()", lambda: pandas_masks(frame, DAY, universe)),
    ]
    print(f"  rows: {len(frame):,} ({symbols} symbols), clean, median of {repeats}")
    times = {name: median_time(fn, repeats) for name, fn in rows}
    product = times[rows[0][0]]
    for name, seconds in times.items():
        print(f"  {name:<46} {seconds:.3f} s  ({seconds / product:.2f}x the product)")
    split(
        "tier 1",
        lambda: schema_for("equity_ticks", 1, Binding.of(DAY, universe)),
        frame,
        repeats,
        product,
    )
    dirty_ours = median_time(lambda: check_tier1(dirty, "equity_ticks", DAY, universe), repeats)
    dirty_old = median_time(
        lambda: old_t1.check_tier1(dirty, "equity_ticks", DAY, universe), repeats
    )
    print(f"  with 5 bad rows: check_tier1 {dirty_ours:.3f} s, old gate {dirty_old:.3f} s")


def many_defects(n: int, symbols: int, repeats: int) -> None:
    """A feed gone wrong: every second id repeats the one before, every fourth price is < 0.
    Pandera then lists 3 of every 4 rows as failure cases; the old gate only built masks."""
    frame = ticks(n, symbols)
    universe = [f"SYM{i:02d}" for i in range(symbols)]
    ids = frame["trade_id"].to_numpy(copy=True)
    ids[1::2] = ids[0::2][: len(ids[1::2])]
    price = frame["price"].to_numpy(copy=True)
    price[::4] = -1.0
    frame = frame.assign(trade_id=ids, price=price)
    old = old_t1.check_tier1(frame, "equity_ticks", DAY, universe)
    new = check_tier1(frame, "equity_ticks", DAY, universe)
    assert old.counts() == new.counts(), (old.counts(), new.counts())
    ours = median_time(lambda: check_tier1(frame, "equity_ticks", DAY, universe), repeats)
    theirs = median_time(lambda: old_t1.check_tier1(frame, "equity_ticks", DAY, universe), repeats)
    bad = int(new.bad_rows().sum())
    print(f"tier 1 with {bad:,} of {len(frame):,} rows failing ({new.counts()}):")
    print(f"  check_tier1 {ours:.3f} s, old gate {theirs:.3f} s ({ours / theirs:.0f}x)")


def tiers234(n: int, repeats: int) -> None:
    build = time.perf_counter()
    frame, window = heavy_frame(n)
    print(f"tiers 2-4: built {len(frame):,} SPY ticks in {time.perf_counter() - build:.2f} s")
    s = "equity_ticks"
    pairs = [
        (
            2,
            lambda: check_alignment(frame, s, window),
            lambda: old_t2.check_alignment(frame, s, window),
        ),
        (
            3,
            lambda: check_continuity(frame, s, window),
            lambda: old_t3.check_continuity(frame, s, window),
        ),
        (4, lambda: check_quality(frame, s), lambda: old_t4.check_quality(frame, s)),
    ]
    for _, ours, theirs in pairs:
        same_tier(ours(), theirs())
    print(f"  rows: {len(frame):,} (1 symbol-session), median of {repeats}")
    for tier, ours, theirs in pairs:
        new, old = median_time(ours, repeats), median_time(theirs, repeats)
        print(f"  tier {tier}: pandera schema {new:.4f} s, old gate {old:.4f} s ({new / old:.2f}x)")
        bounds = None if tier == 4 else window
        split(
            f"tier {tier}",
            lambda t=tier, w=bounds: schema_for(s, t, Binding.of(w)),
            frame,
            repeats,
            new,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000_000)
    parser.add_argument("--symbols", type=int, default=10)
    parser.add_argument("--session-ticks", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tier1(args.ticks, args.symbols, args.repeats)
    many_defects(args.ticks // 10, args.symbols, args.repeats)
    tiers234(args.session_ticks, args.repeats)


if __name__ == "__main__":
    main()
