"""Bars benchmark: vvv_pipeline.bars side by side with plain-pandas baselines, in one run.

Run from the repository root:

    python benchmarks/bench_bars.py               # 10M ticks, 10 x 1M ticks, 5 repeats
    python benchmarks/bench_bars.py --ticks 200000 --repeats 2   # quick smoke run

Every figure is the median wall time of ``--repeats`` runs (``time.perf_counter``), taken in the
same process one after the other, so ratios compare like with like on the same (shared) machine.
Numba kernels are warmed up on a small slice first (compilation or cache load, about a second on
a cold cache, is not counted). Each of our results is checked against its baseline before timing
(OHLCV equality for time bars, volume conservation for volume bars), so speed is never bought
with a wrong answer. The floor is reading the three input arrays (ts, price, size) once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.bars import tick_imbalance_bars, time_bars, volume_bars

SESSION = ("2024-11-27 14:30", "2024-11-27 21:00")


def ticks(n: int, symbols: int, seed: int = 1) -> pd.DataFrame:
    """Canonical-shaped equity ticks: ``symbols`` x ``n // symbols`` rows in one session.

    The aggressor is always known (+1/-1) so the pandas baselines need no tick rule; ours still
    runs its signing pass (aggressor, else tick rule) as it always does.
    """
    rng = np.random.default_rng(seed)
    lo, hi = (pd.Timestamp(t, tz="UTC").value for t in SESSION)
    per = n // symbols
    ts = np.sort(rng.integers(lo, hi, (symbols, per)), axis=1).ravel()
    steps = rng.choice(np.array([-0.01, 0.0, 0.0, 0.01]), size=(symbols, per))
    price = np.round(100.0 + np.cumsum(steps, axis=1), 2).ravel()
    size = (rng.pareto(1.5, symbols * per) * 100 + 1).astype(np.int64)
    names = [f"SYM{i:02d}" for i in range(symbols)]
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(ts, utc=True),
            "symbol": pd.Categorical.from_codes(np.repeat(np.arange(symbols), per), names),
            "price": price,
            "size": size,
            "aggressor": rng.choice(np.array([-1, 1], dtype=np.int8), symbols * per),
        }
    )


def _columns(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The columns every baseline aggregates: price, size, price x size, buy and sell size."""
    size, side = df["size"], df["aggressor"]
    return {
        "price": df["price"],
        "size": size,
        "pv": df["price"] * size,
        "buy": size.where(side > 0, 0),
        "sell": size.where(side < 0, 0),
    }


def _finish(ohlc: pd.DataFrame, sums: pd.DataFrame, count: pd.Series) -> pd.DataFrame:
    out = ohlc.assign(
        volume=sums["size"],
        vwap=sums["pv"] / sums["size"],
        trade_count=count,
        buy_volume=sums["buy"],
        sell_volume=sums["sell"],
    )
    return out[out["trade_count"] > 0]


def pandas_resample(df: pd.DataFrame) -> pd.DataFrame:
    """Baseline: ``resample("1min")``: ``ohlc()``, one multi-column ``sum()``, ``count()``."""
    frame = pd.DataFrame(_columns(df)).set_axis(pd.DatetimeIndex(df["ts"]))
    r = frame.resample("1min")
    return _finish(r["price"].ohlc(), r[["size", "pv", "buy", "sell"]].sum(), r["price"].count())


def pandas_groupby(df: pd.DataFrame) -> pd.DataFrame:
    """Baseline: ``groupby([symbol, pd.Grouper(key="ts", freq="1min")])``, same aggregations."""
    frame = pd.DataFrame({"symbol": df["symbol"], "ts": df["ts"], **_columns(df)})
    g = frame.groupby(["symbol", pd.Grouper(key="ts", freq="1min")], observed=True)
    return _finish(g["price"].ohlc(), g[["size", "pv", "buy", "sell"]].sum(), g["price"].count())


def pandas_cumsum_bars(df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Baseline: bar id = (cumsum(size) - size) // T per symbol; a trade cannot be split."""
    columns = _columns(df)
    size = columns["size"]
    bar = (size.groupby(df["symbol"], observed=True).cumsum() - size) // threshold
    frame = pd.DataFrame({"symbol": df["symbol"], "bar": bar, **columns})
    g = frame.groupby(["symbol", "bar"], observed=True)
    return _finish(g["price"].ohlc(), g[["size", "pv", "buy", "sell"]].sum(), g["price"].count())


def floor(df: pd.DataFrame) -> None:
    """Memory floor: read ts, price and size once."""
    df["ts"].array.asi8.max()
    df["price"].to_numpy().sum()
    df["size"].to_numpy().sum()


def check_time_bars(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    cols = ["open", "high", "low", "close", "volume", "trade_count", "buy_volume", "sell_volume"]
    ours_values = ours[cols].to_numpy(dtype=float)
    assert np.array_equal(ours_values, ref[cols].to_numpy(dtype=float)), "bars differ"
    np.testing.assert_allclose(ours["vwap"], ref["vwap"], rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, reps = args.ticks, args.repeats
    one, many = ticks(n, 1), ticks(n, 10)
    sessions = [SESSION]

    warm = ticks(10_000, 2)
    time_bars(warm, "1min")
    time_bars(warm, "1min", sessions=sessions)
    volume_bars(warm, 1000)
    tick_imbalance_bars(warm)

    check_time_bars(time_bars(one, "1min"), pandas_resample(one))
    check_time_bars(time_bars(many, "1min"), pandas_groupby(many))
    threshold = int(one["size"].sum() // 50)
    bars, carry = volume_bars(one, threshold)
    assert bars["volume"].sum() + carry["volume"].sum() == one["size"].sum()
    assert (bars["volume"] == threshold).all()

    rows = [
        (
            f"1-minute bars, {n:,} ticks, 1 symbol",
            median_time(lambda: pandas_resample(one), reps),
            median_time(lambda: time_bars(one, "1min"), reps),
            "`pandas resample('1min').ohlc()` + sums",
            "`time_bars(ticks, '1min')`",
        ),
        (
            "same, session-aligned (sessions given)",
            None,
            median_time(lambda: time_bars(one, "1min", sessions=sessions), reps),
            "",
            "`time_bars(ticks, '1min', sessions=...)`",
        ),
        (
            f"1-minute bars, 10 symbols x {n // 10:,}",
            median_time(lambda: pandas_groupby(many), reps),
            median_time(lambda: time_bars(many, "1min"), reps),
            "`groupby([symbol, pd.Grouper('1min')])` ohlc + sums",
            "`time_bars(ticks, '1min')`",
        ),
        (
            f"volume bars, {n:,} ticks, T = volume / 50",
            median_time(lambda: pandas_cumsum_bars(one, threshold), reps),
            median_time(lambda: volume_bars(one, threshold), reps),
            "`cumsum // T` + groupby ohlc (cannot split)",
            "`volume_bars(ticks, T)` (exact split)",
        ),
        (
            f"tick imbalance bars, {n:,} ticks",
            None,
            median_time(lambda: tick_imbalance_bars(one), reps),
            "",
            "`tick_imbalance_bars(ticks)`",
        ),
    ]
    floor_s = median_time(lambda: floor(one), reps)
    print(f"numpy {np.__version__}, pandas {pd.__version__}; medians of {reps} runs; seconds")
    print("| task | baseline | baseline s | ours | ours s | ratio |")
    print("| --- | --- | ---: | --- | ---: | ---: |")
    for task, base_s, ours_s, base, ours in rows:
        ratio = f"{base_s / ours_s:.1f}x" if base_s else ""
        base_cell = f"{base_s:.3f}" if base_s else ""
        print(f"| {task} | {base} | {base_cell} | {ours} | {ours_s:.3f} | {ratio} |")
    print(f"| memory floor: read ts, price, size of {n:,} once | | | | {floor_s:.3f} | |")


if __name__ == "__main__":
    main()
