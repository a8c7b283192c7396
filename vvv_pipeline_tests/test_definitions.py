"""The code location loads cleanly and its asset graph is what the README describes."""

import subprocess
import sys

import dagster as dg

from vvv_pipeline.definitions import defs

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


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_is_pinned():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        **dict.fromkeys(SOURCES, "sources"),
        "equity_time_bars": "bars",
        "crypto_time_bars": "bars",
        "equity_metadata_tier1": "metadata",
        "equity_metadata_tier2": "metadata",
    }
    lineage = {
        key.to_user_string(): sorted(k.to_user_string() for k in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name != "sources"
    }
    assert lineage == {
        "equity_time_bars": ["equity_ticks"],
        "crypto_time_bars": ["crypto_trades"],
        "equity_metadata_tier1": ["equity_ticks"],
        "equity_metadata_tier2": ["equity_ticks"],
    }


def test_every_asset_is_described_owned_kinded_and_tagged():
    for spec in defs.resolve_all_asset_specs():
        name = spec.key.to_user_string()
        assert spec.description and len(spec.description) > 40, name
        assert spec.owners == ["team:market-data"], name
        assert spec.kinds, name
        layer = {"sources": "source", "bars": "bars", "metadata": "metadata"}[spec.group_name]
        assert spec.tags.get("layer") == layer, name
        assert spec.partitions_def is not None, name


def test_loading_emits_no_warnings_of_ours_or_dagsters():
    probe = (
        "import warnings; warnings.simplefilter('always');"
        "import vvv_pipeline.definitions as d; import dagster as dg;"
        "dg.Definitions.validate_loadable(d.defs)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    offending = [
        line
        for line in done.stderr.splitlines()
        if "Warning" in line and ("dagster" in line or "vvv_pipeline" in line)
    ]
    assert offending == [], done.stderr
