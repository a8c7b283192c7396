"""Source assets materialized end to end with the real clients against the local fake servers.

Each fake serves the tiny simulated market, so what an asset stores must be the simulator's
rows as far as each wire carries them; the tier checks run unchanged. Credentials travel as
``dg.EnvVar`` and must never show up in the run's event log or stored metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.defs.assets.ingest import stats_spent
from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.definitions import build_resources
from vvv_pipeline.defs.resources import MarketData, market_from_env
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.providers.live.http import FetchStats
from vvv_pipeline.providers.live.market import LiveConfig, LiveMarket
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.gate import TIER1, TIER3
from vvv_pipeline_tests.assets.helpers import (
    TICK_SOURCES,
    expected,
    stored_table,
    stored_ticks,
    tiny_market,
)
from vvv_pipeline_tests.dagster_internals import serialize_value
from vvv_pipeline_tests.fakes import (
    binance,
    bybit,
    coinbase,
    fred,
    iqfeed,
    unusual_whales,
    yahoo,
)
from vvv_pipeline_tests.fakes.base import Fault, FaultPlan

pytestmark = pytest.mark.slow

UW_TOKEN = "uw-tok-4f1c9e2b7a"
FRED_KEY = "fredkey0123456789abcdef01234567"
SESSION = "2025-11-25"
DAY = "2025-11-25"
HOUR = "2025-11-25-15:00"
GROUPS = (  # (partition key, assets sharing its partitions definition)
    (SESSION, ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")),
    (DAY, ("economic_series",)),
    (HOUR, ("crypto_trades", "crypto_open_interest")),
)
PROVIDER_OF = {
    "equity_ticks": "iqfeed",
    "darkpool_prints": "unusual_whales",
    "options_flow": "unusual_whales",
    "daily_ohlcv": "yahoo",
    "economic_series": "fred",
    "crypto_trades": "binance",
    "crypto_open_interest": "binance",
}
WIRE_RESOLUTION = {"darkpool_prints": "s", "crypto_trades": "ms", "crypto_open_interest": "ms"}
"""Time resolution each wire carries; the rest carry microseconds (or coarser exact stamps)."""
OI_PERIOD = pd.Timedelta(minutes=5)
"""Binance serves open-interest history at its coarsest-but-one period, one sample each."""
ASSETS = {a.key.to_user_string(): a for a in SOURCE_ASSETS}


@dataclass
class Fakes:
    servers: dict[str, Any]
    """Started fake servers by provider (HTTP ones and the IQFeed socket differ in type)."""

    def url(self, name: str) -> str:
        return self.servers[name].url

    def faults(self, name: str) -> FaultPlan:
        return self.servers[name].faults


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    market = tiny_market()
    now = pd.Timestamp("2025-11-27", tz="UTC")  # newest-first feeds must reach the partitions
    modules: dict[str, tuple[ModuleType, dict[str, object]]] = {
        "unusual_whales": (unusual_whales, {"now": now}),
        "iqfeed": (iqfeed, {}),
        "binance": (binance, {}),
        "bybit": (bybit, {"now": now}),
        "coinbase": (coinbase, {"now": pd.Timestamp("2025-11-25 17:00", tz="UTC")}),
        "fred": (fred, {"api_key": FRED_KEY}),
        "yahoo": (yahoo, {}),
    }
    servers = {name: module.make_server(market, **kw) for name, (module, kw) in modules.items()}
    try:
        yield Fakes(servers)
    finally:
        for server in servers.values():
            server.close()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VVV_UW_TOKEN", UW_TOKEN)
    monkeypatch.setenv("VVV_FRED_API_KEY", FRED_KEY)


@pytest.fixture
def live(fakes: Fakes, credentials: None) -> MarketData:
    return live_market(fakes)


def live_market(fakes: Fakes, **settings: object) -> MarketData:
    """``provider="live"`` pointed at the fakes, credentials by environment variable name."""
    return MarketData(
        provider="live",
        unusual_whales_url=fakes.url("unusual_whales"),
        iqfeed_host="127.0.0.1",
        iqfeed_port=fakes.servers["iqfeed"].port,
        binance_url=fakes.url("binance"),
        binance_futures_url=fakes.url("binance"),
        bybit_url=fakes.url("bybit"),
        coinbase_url=fakes.url("coinbase"),
        fred_url=fakes.url("fred"),
        yahoo_url=fakes.url("yahoo"),
        unusual_whales_token=dg.EnvVar("VVV_UW_TOKEN"),
        fred_api_key=dg.EnvVar("VVV_FRED_API_KEY"),
        requests_per_second=1000.0,
        **settings,
    )


def materialize(
    sources: tuple[str, ...], key: str, market: MarketData, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [ASSETS[s] for s in sources],
        partition_key=key,
        resources={**build_resources(), "market": market},
        instance=instance,
        raise_on_error=False,
    )


def stored(source: str, key: str) -> pd.DataFrame:
    return stored_ticks(source, [key]) if source in TICK_SOURCES else stored_table(source)


def served(source: str, key: str, resolution: str | None = None) -> pd.DataFrame:
    """The simulator's rows as the fake puts them on the wire (time floored, OI sampled)."""
    frame = expected(source, ASSETS[source].partitions_def, [key])
    if source == "crypto_open_interest":
        frame = frame[(frame["ts"] - frame["ts"].dt.floor(OI_PERIOD)) == pd.Timedelta(0)]
    frame["ts"] = frame["ts"].dt.floor(resolution or WIRE_RESOLUTION.get(source, "us"))
    return frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)


def assert_stored_is_served(source: str, key: str, resolution: str | None = None) -> None:
    got, want = stored(source, key), served(source, key, resolution)
    assert len(got) == len(want) > 0, source
    assert got["symbol"].astype(str).tolist() == want["symbol"].astype(str).tolist(), source
    np.testing.assert_array_equal(
        got["ts"].dt.floor("us").to_numpy(), want["ts"].dt.floor("us").to_numpy(), source
    )
    exact = {"equity_ticks": "size", "daily_ohlcv": "close", "crypto_trades": "price"}
    if source in exact:  # integers, float32-exact closes, 8-decimal prices: lossless wires
        column = exact[source]
        np.testing.assert_allclose(got[column].to_numpy(), want[column].to_numpy(), rtol=1e-12)


def metadata_of(instance: dg.DagsterInstance, source: str) -> dict[str, object]:
    event = instance.get_latest_materialization_event(dg.AssetKey(source))
    assert event is not None and event.asset_materialization is not None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_every_source_asset_stores_what_its_fake_served_and_passes_tier1(
    data_dir, instance, live, fakes
):
    for key, sources in GROUPS:
        result = materialize(sources, key, live, instance)
        assert result.success, key
        tier1 = {
            e.asset_key.to_user_string(): e.passed
            for e in result.get_asset_check_evaluations()
            if e.check_name == TIER1
        }
        assert tier1 == dict.fromkeys(sources, True)
        for source in sources:
            assert_stored_is_served(source, key)
            meta = metadata_of(instance, source)
            assert meta["provider"] == PROVIDER_OF[source]
            assert meta["dagster/row_count"] == len(served(source, key))
            assert meta["provider_requests"] >= meta["provider_pages"] >= 1
            assert meta["provider_retries"] == 0 and meta["provider_bytes"] > 0
    uw_auth = {r.headers.get("Authorization") for r in fakes.servers["unusual_whales"].requests}
    assert uw_auth == {f"Bearer {UW_TOKEN}"}  # the EnvVar value reached the wire


def test_crypto_trades_run_on_the_configured_venue(data_dir, instance, fakes, credentials):
    market = live_market(fakes, crypto_trades_venue="coinbase")
    result = materialize(("crypto_trades",), HOUR, market, instance)
    assert result.success
    assert metadata_of(instance, "crypto_trades")["provider"] == "coinbase"
    assert_stored_is_served("crypto_trades", HOUR, resolution="us")  # Coinbase carries µs


def test_open_interest_from_bybit_passes_tier1_with_its_mark_prices(
    data_dir, instance, fakes, credentials
):
    # Bybit's open-interest wire has neither value nor mark price; the client reads the mark
    # price from the mark-price klines and derives the value, so every sample is complete
    market = live_market(fakes, open_interest_venue="bybit")
    result = materialize(("crypto_open_interest",), HOUR, market, instance)
    assert metadata_of(instance, "crypto_open_interest")["provider"] == "bybit"
    assert result.success
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    tier1 = [c for c in checks if c.check_name == "tier1_structure" and c.partition == HOUR]
    assert tier1 and tier1[0].passed
    assert_stored_is_served("crypto_open_interest", HOUR)
    got, want = stored("crypto_open_interest", HOUR), served("crypto_open_interest", HOUR)
    np.testing.assert_array_equal(got["mark_price"].to_numpy(), want["mark_price"].to_numpy())


def tier3_of(result: dg.ExecuteInProcessResult, source: str) -> dg.AssetCheckEvaluation:
    (check,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == TIER3 and e.asset_key == dg.AssetKey(source)
    ]
    return check


def test_live_open_interest_passes_tier3_on_the_venues_five_minute_cadence(
    data_dir, instance, live
):
    result = materialize(("crypto_open_interest",), HOUR, live, instance)
    assert result.success
    tier3 = tier3_of(result, "crypto_open_interest")
    assert tier3.passed, tier3.metadata["summary"]
    assert tier3.metadata["metric/cadence_seconds"].value == OI_PERIOD.total_seconds() == 300
    assert tier3.metadata["metric/cadence_coverage"].value == 1.0
    meta = metadata_of(instance, "crypto_open_interest")
    assert meta["provider"] == "binance" and meta["oi_cadence_seconds"] == 300
    assert meta["dagster/row_count"] == 12 * len(load_universe().crypto)


def test_simulated_open_interest_records_its_five_second_cadence(data_dir, instance):
    result = materialize(("crypto_open_interest",), HOUR, MarketData(), instance)
    assert result.success and tier3_of(result, "crypto_open_interest").passed
    assert metadata_of(instance, "crypto_open_interest")["oi_cadence_seconds"] == 5


def test_each_open_interest_provider_declares_its_cadence():
    universe = load_universe()
    assert MarketData().oi_cadence_seconds(universe) == SimulatedMarket.oi_cadence_seconds == 5
    assert BinanceClient().oi_cadence_seconds == 300
    assert BinanceClient(oi_period="1h").oi_cadence_seconds == 3600
    assert BybitClient().oi_cadence_seconds == 300
    assert BybitClient(interval="4h").oi_cadence_seconds == 14_400
    with pytest.raises(ValueError, match="interval '1m'"):
        BybitClient(interval="1m")
    for venue in ("binance", "bybit"):
        with LiveMarket(LiveConfig(open_interest_venue=venue), universe) as market:
            assert market.oi_cadence_seconds == 300


def test_news_headlines_from_the_fake_pass_tier1(data_dir, instance, live):
    result = materialize(("news_headlines",), DAY, live, instance)
    assert result.success
    assert_stored_is_served("news_headlines", DAY, resolution="s")  # the news wire has seconds


def test_tokens_never_reach_the_event_log_or_stored_metadata(data_dir, instance, live, fakes):
    results = [materialize(("economic_series",), DAY, live, instance)]
    results.append(materialize(("darkpool_prints",), SESSION, live, instance))
    assert all(r.success for r in results)
    fakes.faults("fred").add(Fault("ban", "/fred/"))  # failures carry messages and tracebacks
    results.append(materialize(("economic_series",), "2025-11-24", live, instance))
    assert not results[-1].success
    text = []
    for result in results:
        text += [serialize_value(e) for e in instance.all_logs(result.run_id)]
        text.append(serialize_value(instance.get_run_by_id(result.run_id)))
    for source in ("economic_series", "darkpool_prints"):
        text.append(str(metadata_of(instance, source)))
    blob = "\n".join(text)
    assert "economic_series" in blob and "unusual_whales" in blob  # the scan sees the runs
    assert UW_TOKEN not in blob and FRED_KEY not in blob


def test_a_burst_of_500s_is_retried_and_the_partition_written_once(data_dir, instance, live, fakes):
    plan = fakes.faults("binance")
    plan.add(Fault("500", "/api/v3/aggTrades", times=3))
    result = materialize(("crypto_trades",), HOUR, live, instance)
    assert result.success and plan.pending() == 0
    assert len(result.get_asset_materialization_events()) == 1
    assert_stored_is_served("crypto_trades", HOUR)
    meta = metadata_of(instance, "crypto_trades")
    assert meta["provider_retries"] == 3
    assert meta["dagster/row_count"] == len(served("crypto_trades", HOUR))
    assert meta["provider_requests"] == meta["provider_pages"] + 3


def test_a_ban_fails_the_run_and_writes_nothing_for_the_partition(data_dir, instance, live, fakes):
    assert materialize(("crypto_trades",), HOUR, live, instance).success
    before = stored("crypto_trades", HOUR)
    plan = fakes.faults("binance")
    for key in (HOUR, "2025-11-25-16:00"):
        plan.add(Fault("ban", "/api/v3/aggTrades"))
        result = materialize(("crypto_trades",), key, live, instance)
        assert not result.success and plan.pending() == 0
        assert "banned" in str(result.get_step_failure_events()[0].event_specific_data.error)
    pd.testing.assert_frame_equal(stored("crypto_trades", HOUR), before)
    assert len(stored("crypto_trades", "2025-11-25-16:00")) == 0


def test_live_without_a_token_names_the_missing_setting(fakes):
    market = LiveMarket(LiveConfig(unusual_whales_url=fakes.url("unusual_whales")), load_universe())
    start = pd.Timestamp("2025-11-25 14:30", tz="UTC")
    with pytest.raises(ValueError, match=r"unusual_whales_token is not set.*darkpool_prints"):
        market.fetch(Source.DARKPOOL_PRINTS, start, start + pd.Timedelta(hours=1), ["SPY"])


def test_crypto_sources_follow_the_configured_venues():
    config = LiveConfig(crypto_trades_venue="coinbase", open_interest_venue="bybit")
    assert config.provider_of(Source.CRYPTO_TRADES) == "coinbase"
    assert config.provider_of(Source.CRYPTO_OPEN_INTEREST) == "bybit"
    assert config.provider_of(Source.EQUITY_TICKS) == "iqfeed"
    with pytest.raises(ValueError, match="open_interest_venue='coinbase'"):
        LiveConfig(open_interest_venue="coinbase")


def test_market_from_env_passes_credentials_by_name_only(monkeypatch):
    env = {"VVV_PROVIDER": "live", "VVV_UW_TOKEN": UW_TOKEN, "VVV_BYBIT_URL": "http://x:1"}
    market = market_from_env(env)
    assert market.provider == "live" and market.bybit_url == "http://x:1"
    assert market.unusual_whales_token == dg.EnvVar("VVV_UW_TOKEN")
    assert market.fred_api_key is None
    assert UW_TOKEN not in repr(market)


def test_an_assets_provider_stats_are_what_it_spent_between_snapshots():
    before = {"binance": FetchStats(requests=5, retries=1, pages=4, bytes=1000)}
    after = {
        "binance": FetchStats(requests=9, retries=1, pages=7, bytes=1600),
        "yahoo": FetchStats(requests=2, retries=0, pages=2, bytes=300),
    }
    assert stats_spent(before, after) == {
        "binance": FetchStats(requests=4, retries=0, pages=3, bytes=600),
        "yahoo": FetchStats(requests=2, retries=0, pages=2, bytes=300),
    }
    rebuilt = {"binance": FetchStats(requests=2, retries=0, pages=2, bytes=200)}
    assert stats_spent(before, rebuilt) == rebuilt  # counters went down: all of it is new
    assert stats_spent(after, after) == {}
