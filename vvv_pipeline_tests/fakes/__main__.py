"""Run one fake provider server as a local sandbox until Ctrl-C.

``python -m vvv_pipeline_tests.fakes SERVER [--port N] [--seed S] [--scale tiny|default]``
"""

from __future__ import annotations

import argparse
import importlib
import time

from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe

SERVERS = ("unusual_whales", "iqfeed", "binance", "bybit", "mexc", "coinbase", "fred", "yahoo")
SCALES = {
    "tiny": {"ticks_per_session": 500, "crypto_trades_per_hour": 100},
    "default": {},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vvv_pipeline_tests.fakes")
    parser.add_argument("server", choices=SERVERS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=SimulationConfig().seed)
    parser.add_argument("--scale", choices=tuple(SCALES), default="tiny")
    args = parser.parse_args(argv)
    config = SimulationConfig(seed=args.seed, **SCALES[args.scale])
    market = SimulatedMarket(config, load_universe())
    module = importlib.import_module(f"vvv_pipeline_tests.fakes.{args.server}")
    server = module.make_server(market, port=args.port)
    url = getattr(server, "url", f"127.0.0.1:{server.port}")
    print(f"{args.server} fake serving at {url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
