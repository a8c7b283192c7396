"""A partition's derived data does not depend on how its range was run.

Two sessions where SPY's first trade of the second has no aggressor (tiny scale): built in one
single-run backfill (one chunk holding both sessions) and built session by session into a
second data directory, every derived library must be identical, byte for byte. Before each
partition signed its trades from its own rows, the tick rule carried the first session's last
price into the second only when both shared a chunk, and the time bars' buy/sell volume
differed by run shape. A third build runs the range in one run again with ``VVV_CHUNK_TICKS=1``,
so its time bars read one session per chunk (as a high-density backfill does): the same bytes.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.bars.partition_events import EVENT_KINDS, IMBALANCE_KIND
from vvv_pipeline.bars.time import FREQUENCIES
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.read import load_bars, load_event_bars, load_tier
from vvv_pipeline_tests.assets.helpers import stored_ticks
from vvv_pipeline_tests.assets.test_derived import EQUITIES, RANGE_TAGS, _span
from vvv_pipeline_tests.instance_home import project_instance_for_test

DAYS = ["2025-11-10", "2025-11-11"]
ASSETS = [
    "equity_ticks",
    "equity_time_bars",
    "equity_event_bars",
    "equity_metadata_tier1",
    "equity_metadata_tier2",
]


def _build(keys: list[str]) -> list[str]:
    """Materialize ``keys`` in one run; the time bars' chunks, as their step logged them."""
    defs = build_definitions()
    job = dg.define_asset_job("derived_of_sessions", selection=ASSETS).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )
    tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
    with project_instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, tags=tags)
        assert result.success
        logs = instance.all_logs(result.run_id)
    return [
        entry.user_message.split(": ")[1].split(" ")[0]
        for entry in logs
        if entry.step_key == "equity_time_bars" and entry.user_message.startswith("bars_time_bars:")
    ]


def _everything() -> dict[str, pd.DataFrame]:
    """Every derived series of the two sessions, as stored."""
    span = _span(DAYS)
    out = {f"bars {f}": load_bars(EQUITIES, f, *span) for f in FREQUENCIES}
    for kind in (*EVENT_KINDS, IMBALANCE_KIND):
        out[f"event bars {kind}"] = load_event_bars(EQUITIES, kind, *span)
    out["tier 1"] = load_tier(1, EQUITIES, *span)
    out["tier 2"] = load_tier(2, EQUITIES, *span)
    return out


def test_a_range_in_one_run_equals_the_range_built_session_by_session(
    data_dir, tmp_path, monkeypatch
):
    assert _build(DAYS) == [f"{DAYS[0]}..{DAYS[1]}"]  # one chunk
    ticks = stored_ticks("equity_ticks", [DAYS[1]])
    spy = ticks[ticks["symbol"] == "SPY"]
    assert spy["aggressor"].iloc[0] == 0  # the first trade the tick rule must sign
    in_one_run = _everything()

    monkeypatch.setenv("VVV_DATA_DIR", str(tmp_path / "session_by_session"))
    assert settings.data_dir() != data_dir
    for day in DAYS:
        _build([day])
    one_by_one = _everything()

    monkeypatch.setenv("VVV_DATA_DIR", str(tmp_path / "chunk_by_chunk"))
    monkeypatch.setenv("VVV_CHUNK_TICKS", "1")
    assert _build(DAYS) == [f"{DAYS[0]}..{DAYS[0]}", f"{DAYS[1]}..{DAYS[1]}"]
    chunk_by_chunk = _everything()

    for name, frame in in_one_run.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(one_by_one[name], frame, check_exact=True, obj=name)
        pd.testing.assert_frame_equal(chunk_by_chunk[name], frame, check_exact=True, obj=name)
