"""Analytics benchmark: every analysis of one session across the default universe.

Run from the repository root:

    python benchmarks/bench_analytics.py               # default density, 3 repeats
    python benchmarks/bench_analytics.py --ticks 200000 --repeats 3

Inputs are built once, outside the timing: the simulated market's ticks of the 10 equities for
one session (``--ticks`` per symbol, default 20,000: the pipeline's default density), its dark
pool, options flow and news, the 3 crypto pairs' trades and 5-second open interest of the same
New York day, 1-minute and 5-minute bars of both, and a year of daily closes (253 daily bars per
equity). Timed: market profile, zones, regime (daily and per bar), velocity, flow views, risk
with the correlation matrix, OI spikes and signal fusion for equities and crypto — everything
the analytics assets compute for one session. The requirement is under 10 seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.analytics.flow import flow_view
from vvv_pipeline.analytics.fusion import fuse
from vvv_pipeline.analytics.oi_spikes import classify_oi_spikes, oi_spike_summary
from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.analytics.regime import daily_regime, regime_bars
from vvv_pipeline.analytics.risk import correlation_matrix, risk_metrics
from vvv_pipeline.analytics.velocity import daily_velocity
from vvv_pipeline.analytics.zones import price_zones
from vvv_pipeline.bars import oi_windows, time_bars
from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.metadata_tiers import tier1_summary
from vvv_pipeline.metadata_tiers.windows import calendar_window
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe

SESSION = "2025-11-25"


def inputs(ticks_per_session: int) -> dict[str, object]:
    universe = load_universe()
    market = SimulatedMarket(SimulationConfig(ticks_per_session=ticks_per_session), universe)
    equities, crypto = list(universe.equities), list(universe.crypto)
    day = calendar_window(SESSION)
    fetch = lambda source, symbols: market.fetch(source, *day, symbols)  # noqa: E731
    ticks = fetch(Source.EQUITY_TICKS, equities)
    trades = fetch(Source.CRYPTO_TRADES, crypto)
    days = sessions_between("2024-11-20", SESSION)
    daily = market.fetch(
        Source.DAILY_OHLCV,
        pd.Timestamp(days[0], tz="America/New_York").tz_convert("UTC"),
        day[1],
        ["SPY", "AAPL", "MSFT", "NVDA"],
    )
    return {
        "bars": time_bars(ticks, "1min", sessions=[SESSION]),
        "bars5": time_bars(ticks, "5min", sessions=[SESSION]),
        "crypto_bars": time_bars(trades, "1min"),
        "crypto_bars5": time_bars(trades, "5min"),
        "tier1": tier1_summary(ticks, "equity_ticks", SESSION),
        "darkpool": fetch(Source.DARKPOOL_PRINTS, equities),
        "options": fetch(Source.OPTIONS_FLOW, equities),
        "news": fetch(Source.NEWS_HEADLINES, equities),
        "oi": oi_windows(fetch(Source.CRYPTO_OPEN_INTEREST, crypto)),
        "closes": daily.rename(columns={"ts": "date"})[["symbol", "date", "close"]],
        "ticks": len(ticks) + len(trades),
    }


def all_analytics(x: dict) -> dict[str, pd.DataFrame]:
    profile = market_profile(x["bars"], sessions=[SESSION])
    crypto_profile = market_profile(x["crypto_bars"])
    regime = daily_regime(x["bars5"])
    crypto_regime = daily_regime(x["crypto_bars5"])
    velocity = daily_velocity(x["bars"])
    crypto_velocity = daily_velocity(x["crypto_bars"])
    flow = flow_view(
        x["tier1"][["symbol", "date", "volume"]], x["darkpool"], x["options"], x["news"]
    )
    spikes = oi_spike_summary(classify_oi_spikes(x["oi"]))
    return {
        "zones": price_zones(profile.levels, x["bars"]),
        "regime_bars": regime_bars(x["bars5"]),
        "crypto_regime_bars": regime_bars(x["crypto_bars5"]),
        "risk": risk_metrics(x["closes"]),
        "correlation": correlation_matrix(x["closes"]),
        "signals": fuse(regime, velocity, profile.summary, flow),
        "crypto_signals": fuse(crypto_regime, crypto_velocity, crypto_profile.summary, oi=spikes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x = inputs(args.ticks)
    out = all_analytics(x)  # warm-up (numba caches, imports) and a sanity check
    assert len(out["signals"]) == 10 and len(out["crypto_signals"]) == 3, out["signals"]
    seconds = median_time(lambda: all_analytics(x), args.repeats)
    print(f"one session, 10 equities + 3 crypto pairs, {x['ticks']:,} ticks and trades")
    print(f"all analytics: median {seconds:.3f} s over {args.repeats} runs (requirement < 10 s)")


if __name__ == "__main__":
    main()
