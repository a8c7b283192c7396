"""Walk-forward evaluation of the next-session forecasts on the simulated equities.

Run from the repository root:

    python benchmarks/bench_forecast.py                  # 10 equities x 250 scored sessions
    python benchmarks/bench_forecast.py --seeds 1 2      # other simulated markets

For each seed the script builds what ``equity_forecast`` reads, from the simulated ticks of the
10 equities of the universe (``--ticks`` per session, default 20,000: the pipeline's default
density): each session's realized vol as ``equity_regime`` computes it from 5-minute bars, and
the adjusted daily closes as the asset reads them (daily_ohlcv's ``adj_close`` for the symbols
the simulated daily source knows, else the close of the 1-day bars). It then runs
:func:`forecast_sessions` with the pipeline's spec over the last ``--sessions`` (250) sessions
after ``--warmup`` (100) sessions of history, and scores every one-step forecast whose target
is a scored session: each made by a model refitted at its origin on the pairs known then
(expanding from the first session to 252 pairs, then rolling).

Printed: the pooled scores of the volatility model against the naive forecast (the origin's
realized vol) and against the mean of the last 22 sessions (a reference only), the return
model against zero, the mean fitted HAR coefficients at the last session, per-symbol scores,
and the time the walk-forward took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vvv_pipeline.analytics.adjustment import adjusted_history
from vvv_pipeline.analytics.forecast import SPEC, forecast_sessions, return_scores, vol_scores
from vvv_pipeline.analytics.regime import daily_regime
from vvv_pipeline.bars import time_bars
from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.metadata_tiers.windows import calendar_window
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.anchors import equity_sigma
from vvv_pipeline.universe import load_universe

LAST_SESSION = "2025-10-31"
CHUNK = 10
"""Sessions of ticks generated at a time (bounds memory: ~2 million ticks)."""
DAILY_SYMBOLS = ("SPY", "AAPL", "MSFT", "NVDA")
"""The equities the simulated daily_ohlcv source knows (adjusted closes)."""


def session_days(last: str, count: int) -> list[str]:
    days = sessions_between(pd.Timestamp(last) - pd.Timedelta(days=2 * count), last)
    return [d.strftime("%Y-%m-%d") for d in days[-count:]]


def inputs(seed: int, days: list[str], ticks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(realized vol rows, adjusted closes) of the universe's equities over ``days``."""
    universe = load_universe()
    equities = list(universe.equities)
    market = SimulatedMarket(SimulationConfig(seed=seed, ticks_per_session=ticks), universe)
    realized, daily_bars = [], []
    for i in range(0, len(days), CHUNK):
        chunk = days[i : i + CHUNK]
        lo, hi = calendar_window(chunk[0])[0], calendar_window(chunk[-1])[1]
        frame = market.fetch(Source.EQUITY_TICKS, lo, hi, equities)
        rows = daily_regime(time_bars(frame, "5min", sessions=chunk))
        realized.append(rows[["symbol", "date", "realized_vol"]])
        daily_bars.append(time_bars(frame, "1d", sessions=chunk))
    lo, hi = calendar_window(days[0])[0], calendar_window(days[-1])[1]
    known = [s for s in equities if s in DAILY_SYMBOLS]
    daily = market.fetch(Source.DAILY_OHLCV, lo, hi, known)
    closes = adjusted_history(pd.concat(daily_bars, ignore_index=True), daily)
    return pd.concat(realized, ignore_index=True), closes


def month_mean_steps(steps: pd.DataFrame, realized: pd.DataFrame) -> np.ndarray:
    """The reference forecast of each volatility step: the mean of the last 22 sessions."""
    vol = realized.assign(
        symbol=realized["symbol"].astype(str), date=pd.to_datetime(realized["date"])
    )
    vol = vol.sort_values(["symbol", "date"])
    vol["month"] = vol.groupby("symbol")["realized_vol"].transform(lambda s: s.rolling(22).mean())
    month = vol.set_index(["symbol", "date"])["month"]
    keys = pd.MultiIndex.from_arrays([steps["symbol"], steps["origin"]])
    return month.reindex(keys).to_numpy()


def pooled_table(steps: pd.DataFrame, realized: pd.DataFrame) -> str:
    vol = steps[steps["kind"] == "vol"]
    ret = steps[steps["kind"] == "ret"]
    y = vol["realized"].to_numpy()
    naive = vol["naive"].to_numpy()
    model = vol_scores(vol["forecast"].to_numpy(), naive, y)
    month = vol_scores(month_mean_steps(vol, realized), naive, y)
    zero = vol_scores(naive, naive, y)
    lines = [
        "| volatility forecast | targets | RMSE | MAE | QLIKE | skill vs naive (1 - MSE ratio) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in (
        ("HAR-RV (the asset's)", model),
        ("naive: the origin's realized vol", zero),
        ("reference: mean of the last 22", month),
    ):
        lines.append(
            f"| {name} | {s['vol_eval_steps']} | {s['vol_rmse']:.4f} | {s['vol_mae']:.4f} "
            f"| {s['vol_qlike']:.4f} | {s['vol_skill']:+.3f} |"
        )
    r = return_scores(ret["forecast"].to_numpy(), ret["realized"].to_numpy())
    lines += [
        "",
        "| return forecast | targets | RMSE (%) | zero's RMSE (%) | skill vs zero | hit rate "
        "| up share |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| ridge on 5 lags (the asset's) | {r['ret_eval_steps']} | {r['ret_rmse']:.4f} "
        f"| {r['ret_rmse_naive']:.4f} | {r['ret_skill']:+.4f} | {r['ret_hit_rate']:.3f} "
        f"| {r['ret_up_share']:.3f} |",
    ]
    return "\n".join(lines)


def per_symbol_table(steps: pd.DataFrame, seed: int) -> str:
    lines = [
        "| symbol | daily sigma | vol RMSE | naive RMSE | vol skill | QLIKE | naive QLIKE "
        "| return skill | hit rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for symbol, mine in steps.groupby("symbol", sort=True):
        vol, ret = mine[mine["kind"] == "vol"], mine[mine["kind"] == "ret"]
        v = vol_scores(*(vol[c].to_numpy() for c in ("forecast", "naive", "realized")))
        r = return_scores(ret["forecast"].to_numpy(), ret["realized"].to_numpy())
        lines.append(
            f"| {symbol} | {equity_sigma(seed, symbol):.2%} | {v['vol_rmse']:.4f} "
            f"| {v['vol_rmse_naive']:.4f} | {v['vol_skill']:+.3f} | {v['vol_qlike']:.4f} "
            f"| {v['vol_qlike_naive']:.4f} | {r['ret_skill']:+.4f} | {r['ret_hit_rate']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[20240601])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=250)
    args = parser.parse_args()
    print(f"spec {SPEC.version}: {SPEC.to_json()}")
    for seed in args.seeds:
        days = session_days(LAST_SESSION, args.warmup + args.sessions)
        scored = pd.DatetimeIndex(days[args.warmup :])
        started = time.perf_counter()
        realized, closes = inputs(seed, days, args.ticks)
        built = time.perf_counter() - started
        started = time.perf_counter()
        result = forecast_sessions(realized, closes, scored)
        walked = time.perf_counter() - started
        steps = result.steps[result.steps["target"].isin(scored)]
        fits = len(result.steps)
        last = result.models[result.models["date"] == scored[-1]]
        betas = last[["vol_intercept", "vol_beta_day", "vol_beta_week", "vol_beta_month"]].mean()
        print(
            f"\nseed {seed}: 10 equities, targets {scored[0]:%Y-%m-%d}..{scored[-1]:%Y-%m-%d} "
            f"({len(scored)} sessions after {args.warmup} of history), {args.ticks} ticks per "
            f"session; inputs built in {built:.0f} s; walk-forward {walked:.1f} s "
            f"({fits} fits, {1000 * walked / max(fits, 1):.2f} ms each, with the per-session "
            f"rows)\n"
        )
        print(pooled_table(steps, realized))
        print(
            "\nmean HAR fit at the last session: "
            + ", ".join(f"{name} {value:+.3f}" for name, value in betas.items())
            + "\n"
        )
        print(per_symbol_table(steps, seed))


if __name__ == "__main__":
    main()
