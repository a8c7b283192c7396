"""Tier-1 benchmark: vvv_pipeline.validation.check_tier1 side by side with plain pandas masks.

Run from the repository root:

    python benchmarks/bench_tier1.py                         # 10 x 1M equity ticks, 3 repeats
    python benchmarks/bench_tier1.py --ticks 200000 --repeats 2   # quick smoke run

Both sides evaluate the same equity_ticks rules on the same canonical frame (ts in window,
symbol in universe, price finite and > 0, size > 0, 0 <= bid <= ask, known exchange, condition
and aggressor, nulls, unique trade id per symbol); the baseline uses pandas boolean masks with
``duplicated()`` for uniqueness, ours tests uniqueness as "strictly increasing per symbol" and
hashes only on failure. Both are timed on the clean frame and again on a copy with 5 bad rows
(price NaN, price < 0, duplicate id, crossed quote, ts out of window), where every failing
rule's mask is built and duplicates are found by hashing. Each figure is the median wall time
of ``--repeats`` runs in one process. Before timing, both sides must flag exactly the same rows
of the defective copy, rule by rule, so speed is never bought with a wrong answer.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES, EQUITY_TICKS
from vvv_pipeline.validation import check_tier1

DAY = (pd.Timestamp("2024-11-27 05:00", tz="UTC"), pd.Timestamp("2024-11-28 05:00", tz="UTC"))
SESSION = (pd.Timestamp("2024-11-27 14:30", tz="UTC"), pd.Timestamp("2024-11-27 21:00", tz="UTC"))


def ticks(n: int, symbols: int, seed: int = 1) -> pd.DataFrame:
    """Canonical equity ticks (all 11 columns, canonical dtypes), sorted by (symbol, ts)."""
    rng = np.random.default_rng(seed)
    per = n // symbols
    rows = symbols * per
    ts = np.sort(rng.integers(SESSION[0].value, SESSION[1].value, (symbols, per)), axis=1)
    steps = rng.choice(np.array([-0.01, 0.0, 0.0, 0.01]), size=(symbols, per))
    price = np.round(100.0 + np.cumsum(steps, axis=1), 2).ravel()
    spread = rng.choice(np.array([0.01, 0.02]), rows)
    ids = (np.arange(symbols, dtype=np.int64)[:, None] * 10**12) + np.cumsum(
        rng.integers(1, 4, (symbols, per)), axis=1
    )
    names = [f"SYM{i:02d}" for i in range(symbols)]
    frame = pd.DataFrame(
        {
            "ts": pd.DatetimeIndex(ts.ravel().view("datetime64[ns]")).tz_localize("UTC"),
            "symbol": pd.Categorical.from_codes(np.repeat(np.arange(symbols), per), names),
            "price": price,
            "size": (rng.pareto(1.5, rows) * 100 + 1).astype(np.int64),
            "bid": price - spread,
            "ask": price,
            "trade_id": ids.ravel(),
            "exchange": pd.Categorical.from_codes(
                rng.integers(0, len(EQUITY_EXCHANGES), rows), EQUITY_EXCHANGES
            ),
            "condition": pd.Categorical.from_codes(
                rng.integers(0, len(EQUITY_CONDITIONS), rows), EQUITY_CONDITIONS
            ),
            "aggressor": rng.choice(np.array([-1, 0, 1], dtype=np.int8), rows),
            "extended_hours": np.zeros(rows, dtype=bool),
        }
    )
    assert list(frame.columns) == EQUITY_TICKS.names
    return frame


def pandas_masks(df: pd.DataFrame, window: tuple, universe: list[str]) -> dict[str, pd.Series]:
    """The same rules written as plain pandas boolean masks (the baseline)."""
    lo, hi = window
    out = {
        "ts_in_window": (df["ts"] < lo) | (df["ts"] >= hi),
        "symbol_in_universe": ~df["symbol"].isin(universe) & df["symbol"].notna(),
        "price_positive": ~(df["price"] > 0) | ~np.isfinite(df["price"]),
        "size_positive": df["size"] <= 0,
        "quote_ordered": df["bid"].notna()
        & df["ask"].notna()
        & ~((df["bid"] >= 0) & (df["bid"] <= df["ask"]) & np.isfinite(df["ask"])),
        "trade_id_unique": df.duplicated(["symbol", "trade_id"], keep="first"),
        "exchange_known": ~df["exchange"].isin(EQUITY_EXCHANGES) & df["exchange"].notna(),
        "condition_known": ~df["condition"].isin(EQUITY_CONDITIONS) & df["condition"].notna(),
        "aggressor_known": ~df["aggressor"].isin([-1, 0, 1]),
    }
    for column in ("ts", "symbol", "trade_id", "exchange", "condition"):
        out[f"{column}_not_null"] = df[column].isna()
    return {rule: mask for rule, mask in out.items() if mask.any()}


def check_agreement(frame: pd.DataFrame, universe: list[str]) -> pd.DataFrame:
    """Both sides flag exactly the same rows, rule by rule, on a frame with injected defects."""
    bad = frame.copy()
    rows = np.array([3, 17, 1000, len(bad) // 2, len(bad) - 2])
    price = bad["price"].to_numpy(copy=True)
    price[rows[:2]] = [np.nan, -1.0]
    bad["price"] = price
    ids = bad["trade_id"].to_numpy(copy=True)
    ids[rows[2]] = ids[rows[2] - 1]
    bad["trade_id"] = ids
    bid = bad["bid"].to_numpy(copy=True)
    bid[rows[3]] = bad["ask"].iat[rows[3]] + 0.05
    bad["bid"] = bid
    ts = bad["ts"].copy()
    ts.iat[rows[4]] = DAY[1]
    bad["ts"] = ts
    ours = check_tier1(bad, "equity_ticks", DAY, universe).failures
    theirs = pandas_masks(bad, DAY, universe)
    assert set(ours) == set(theirs), (sorted(ours), sorted(theirs))
    for rule, mask in ours.items():
        assert np.array_equal(mask, theirs[rule].to_numpy()), rule
    assert int(sum(m.sum() for m in ours.values())) == len(rows)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000_000)
    parser.add_argument("--symbols", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    build = time.perf_counter()
    frame = ticks(args.ticks, args.symbols)
    universe = [f"SYM{i:02d}" for i in range(args.symbols)]
    print(f"built {len(frame):,} ticks in {time.perf_counter() - build:.2f} s")
    dirty = check_agreement(frame, universe)
    assert check_tier1(frame, "equity_ticks", DAY, universe).passed
    assert not pandas_masks(frame, DAY, universe)

    floor = median_time(
        lambda: [frame[c].to_numpy().sum() for c in ("price", "size", "bid", "ask", "trade_id")],
        args.repeats,
    )
    ours = median_time(lambda: check_tier1(frame, "equity_ticks", DAY, universe), args.repeats)
    base = median_time(lambda: pandas_masks(frame, DAY, universe), args.repeats)
    print(f"rows: {len(frame):,} ({args.symbols} symbols), median of {args.repeats}")
    print(f"pandas masks + duplicated():  {base:.3f} s")
    print(f"check_tier1 (pandera schema): {ours:.3f} s   ({base / ours:.1f}x faster)")
    dirty_ours = median_time(
        lambda: check_tier1(dirty, "equity_ticks", DAY, universe), args.repeats
    )
    dirty_base = median_time(lambda: pandas_masks(dirty, DAY, universe), args.repeats)
    print("with 5 bad rows (masks built, duplicate ids found by lexsort, pandas by hashing):")
    ratio = dirty_base / dirty_ours
    print(f"  pandas {dirty_base:.3f} s, check_tier1 {dirty_ours:.3f} s ({ratio:.1f}x)")
    print(f"floor (sum 5 numeric arrays): {floor:.3f} s")


if __name__ == "__main__":
    main()
