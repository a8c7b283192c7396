"""Generation speed of the simulated market, by scale.

Run: ``python -m vvv_pipeline.providers.simulated.benchmark [--repeat N]``. Each case fetches
sessions (or hours) the process has not generated before, so path caches do not flatter the
figures; the one-off costs (loading the XNYS calendar, building the 25-year anchor vectors) are
paid by a warm-up fetch and reported separately.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

import pandas as pd

from vvv_pipeline.providers.simulated.config import SCALE_PRESETS, SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket

SESSIONS = pd.bdate_range("2024-03-04", periods=40)


def _session_window(day: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = day.tz_localize("America/New_York").tz_convert("UTC")
    return start, start + pd.Timedelta(days=1)


def _time(
    market: SimulatedMarket,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    symbols: Sequence[str],
) -> tuple[float, int]:
    began = time.perf_counter()
    rows = len(market.fetch(source, *window, symbols))
    return time.perf_counter() - began, rows


def run(repeat: int = 3) -> list[tuple[str, float, int]]:
    """(case, median seconds, rows) for each case."""
    results = []
    sessions = iter(SESSIONS)
    hours = iter(pd.date_range("2024-05-01", periods=200, freq="h", tz="UTC"))
    for scale in ("default", "heavy"):
        ticks, trades = SCALE_PRESETS[scale]
        market = SimulatedMarket(SimulationConfig(ticks_per_session=ticks))
        crypto = SimulatedMarket(SimulationConfig(crypto_trades_per_hour=trades))
        equities, pairs = market.universe.equities, crypto.universe.crypto
        warm = _time(market, "equity_ticks", _session_window(SESSIONS[-1]), equities[:1])
        results.append((f"{scale}: first fetch in process (calendar, anchors)", warm[0], warm[1]))
        for label, symbols in (("1 symbol", equities[:1]), ("10 symbols", equities)):
            runs = [
                _time(market, "equity_ticks", _session_window(next(sessions)), symbols)
                for _ in range(repeat)
            ]
            name = f"{scale}: equity_ticks {label} x 1 session"
            results.append((name, statistics.median(r[0] for r in runs), runs[0][1]))
        runs = []
        for _ in range(repeat):
            hour = next(hours)
            runs.append(_time(crypto, "crypto_trades", (hour, hour + pd.Timedelta(hours=1)), pairs))
        name = f"{scale}: crypto_trades 3 symbols x 1 hour"
        results.append((name, statistics.median(r[0] for r in runs), runs[0][1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'case':<58} {'seconds':>8} {'rows':>10}")
    for name, seconds, rows in run(args.repeat):
        print(f"{name:<58} {seconds:>8.3f} {rows:>10,}")


if __name__ == "__main__":
    main()
