"""The code location loads cleanly and its asset graph is what docs/index.md describes."""

import subprocess
import sys

import dagster as dg

from vvv_pipeline.defs.definitions import defs

SOURCES = {
    "equity_ticks",
    "crypto_trades",
    "crypto_open_interest",
    "darkpool_prints",
    "options_flow",
    "news_headlines",
    "daily_ohlcv",
    "economic_series",
}
BARS = {
    "equity_time_bars",
    "crypto_time_bars",
    "crypto_oi_windows",
    "equity_event_bars",
    "crypto_event_bars",
}
METADATA = {f"{kind}_metadata_tier{tier}" for kind in ("equity", "crypto") for tier in (1, 2, 3)}

PER_BARS = ("market_profile", "regime", "velocity")
ANALYTICS = {
    *(f"{k}_{a}" for k in ("equity", "crypto") for a in (*PER_BARS, "signals")),
    "equity_price_zones",
    "crypto_price_zones",
    "equity_risk",
    "equity_portfolio",
    "equity_forecast",
    "equity_flow",
    "crypto_oi_spikes",
    "crypto_cross_venue",
    "equity_traps",
    "crypto_traps",
}


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_is_pinned():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        **dict.fromkeys(SOURCES, "sources"),
        **dict.fromkeys(BARS, "bars"),
        **dict.fromkeys(METADATA, "metadata"),
        **dict.fromkeys(ANALYTICS, "analytics"),
        "daily_report": "reports",
        "crypto_daily_report": "reports",
        "coverage_report": "reports",
    }
    lineage = {
        key.to_user_string(): sorted(k.to_user_string() for k in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name != "sources"
    }
    assert lineage == {
        "equity_time_bars": ["equity_ticks"],
        "equity_event_bars": ["equity_ticks", "equity_time_bars"],
        "crypto_oi_windows": ["crypto_open_interest"],
        "crypto_time_bars": ["crypto_oi_windows", "crypto_trades"],
        "crypto_event_bars": ["crypto_time_bars", "crypto_trades"],
        "equity_metadata_tier1": ["equity_ticks"],
        "equity_metadata_tier2": ["equity_ticks"],
        "equity_metadata_tier3": [
            "darkpool_prints",
            "equity_ticks",
            "news_headlines",
            "options_flow",
        ],
        "crypto_metadata_tier1": ["crypto_trades"],
        "crypto_metadata_tier2": ["crypto_trades"],
        "crypto_metadata_tier3": ["crypto_open_interest"],
        **{f"{k}_{a}": [f"{k}_time_bars"] for k in ("equity", "crypto") for a in PER_BARS},
        **{
            f"{k}_price_zones": [f"{k}_market_profile", f"{k}_time_bars"]
            for k in ("equity", "crypto")
        },
        "equity_risk": ["daily_ohlcv", "equity_time_bars"],
        "equity_portfolio": ["daily_ohlcv", "equity_time_bars"],
        "equity_forecast": ["daily_ohlcv", "equity_regime", "equity_time_bars"],
        "equity_flow": [
            "darkpool_prints",
            "equity_metadata_tier1",
            "news_headlines",
            "options_flow",
        ],
        "crypto_oi_spikes": ["crypto_oi_windows"],
        "crypto_cross_venue": ["crypto_open_interest"],
        "equity_traps": [
            "equity_market_profile",
            "equity_price_zones",
            "equity_ticks",
            "equity_time_bars",
        ],
        "crypto_traps": [
            "crypto_market_profile",
            "crypto_oi_windows",
            "crypto_price_zones",
            "crypto_time_bars",
            "crypto_trades",
        ],
        "equity_signals": [
            "equity_flow",
            "equity_market_profile",
            "equity_price_zones",
            "equity_regime",
            "equity_traps",
            "equity_velocity",
        ],
        "crypto_signals": [
            "crypto_market_profile",
            "crypto_oi_spikes",
            "crypto_price_zones",
            "crypto_regime",
            "crypto_traps",
            "crypto_velocity",
        ],
        "daily_report": [
            "darkpool_prints",
            "equity_market_profile",
            "equity_portfolio",
            "equity_price_zones",
            "equity_regime",
            "equity_signals",
            "equity_time_bars",
        ],
        "crypto_daily_report": [
            "crypto_market_profile",
            "crypto_oi_spikes",
            "crypto_price_zones",
            "crypto_regime",
            "crypto_signals",
            "crypto_time_bars",
        ],
        "coverage_report": sorted(SOURCES),
    }


def test_every_asset_is_described_owned_kinded_and_tagged():
    for spec in defs.resolve_all_asset_specs():
        name = spec.key.to_user_string()
        assert spec.description and len(spec.description) > 40, name
        assert spec.owners == ["team:market-data"], name
        assert spec.kinds, name
        layer = {"sources": "source"}.get(spec.group_name, spec.group_name)
        assert spec.tags.get("layer") == layer, name
        # every asset is partitioned but the coverage report, which spans a date range
        assert (spec.partitions_def is None) == (name == "coverage_report"), name


def test_loading_emits_no_warnings_of_ours_or_dagsters():
    probe = (
        "import warnings; warnings.simplefilter('always');"
        "import vvv_pipeline.defs.definitions as d; import dagster as dg;"
        "dg.Definitions.validate_loadable(d.defs)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    offending = [
        line
        for line in done.stderr.splitlines()
        if "Warning" in line and ("dagster" in line or "vvv_pipeline" in line)
    ]
    assert offending == [], done.stderr
