"""Derived assets follow their upstreams by declarative automation and wait for blocking checks."""

import dagster as dg
import pytest

from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.partitions import session_partitions

TIME_BARS = dg.AssetKey("equity_time_bars")


def _materialize_ticks(defs: dg.Definitions, instance, key: str, run_config=None) -> None:
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey("equity_ticks")}
    )
    job.execute_in_process(
        instance=instance, partition_key=key, run_config=run_config, raise_on_error=False
    )


def _requested(defs: dg.Definitions, instance, cursor=None):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    return result.get_requested_partitions(TIME_BARS), result.cursor


# dagster's own evaluate_automation_conditions passes a beta parameter internally
@pytest.mark.filterwarnings("ignore:Parameter `include_sources`:dagster.BetaWarning")
def test_bars_follow_new_ticks_but_not_ticks_that_failed_tier1(data_dir, instance):
    defs = build_definitions()
    latest = session_partitions().get_last_partition_key()
    _, cursor = _requested(defs, instance)  # the baseline: nothing new yet
    _materialize_ticks(defs, instance, latest)
    keys, cursor = _requested(defs, instance, cursor)
    assert latest in keys

    bad = {
        "resources": {
            "market": {
                "config": {
                    "scale": "tiny",
                    "faults": [{"kind": "negative_price", "source": "equity_ticks"}],
                }
            }
        }
    }
    _materialize_ticks(defs, instance, latest, bad)  # tier 1 (blocking) fails
    keys, _ = _requested(defs, instance, cursor)
    assert latest not in keys
