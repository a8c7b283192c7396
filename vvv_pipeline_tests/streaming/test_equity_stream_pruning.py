"""An ``equity_ticks`` run deletes the IQFeed stream's hours of the sessions it finds stored, once
they are older than the retention, when that stream is monitored; and nothing otherwise."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.streaming.binance_ws import FROM_STREAM, staged_frame
from vvv_pipeline.streaming.reads import LiveStream
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline_tests.assets.test_derived import _run

SESSIONS = ["2025-11-24", "2025-11-25"]
HOURS = {
    "sunday": pd.Timestamp("2025-11-23 15:00", tz="UTC"),  # no session that New York day
    "monday": pd.Timestamp("2025-11-24 15:00", tz="UTC"),  # the run stores Monday's session
    "tuesday": pd.Timestamp("2025-11-25 15:00", tz="UTC"),  # stored, but within the retention
}


def _stream() -> LiveStream:
    return LiveStream(StreamStore.for_venue(arctic_uri(), "iqfeed"), "equity_ticks", "iqfeed")


def _stream_hours(stream: LiveStream) -> list[str]:
    for start in HOURS.values():
        ms = start.value // 1_000_000
        stream.store.publish("AAPL", staged_frame([(1, ms + 5, 185.0, 100.0, 1)], FROM_STREAM))
    return stream.store.settled_hours("AAPL")


@pytest.mark.parametrize("monitored", [True, False])
def test_an_equity_run_prunes_the_stored_sessions_streamed_hours(
    monitored, data_dir, instance, monkeypatch
):
    if monitored:
        monkeypatch.setenv("VVV_STREAM_VENUES", "iqfeed")
    monkeypatch.setenv("VVV_STREAM_RETENTION_HOURS", "12")
    stream = _stream()
    sunday, monday, tuesday = _stream_hours(stream)
    result = _run("session_sources_job", SESSIONS, instance, assets=("equity_ticks",))
    pruned = {
        m.partition: m.metadata["stream_hours_pruned"].value
        for m in result.asset_materializations_for_node("equity_ticks")
        if "stream_hours_pruned" in m.metadata
    }
    if monitored:
        # storing Monday deletes nothing yet (12 hours before Monday's midnight is Sunday's
        # 17:00 UTC); storing Tuesday deletes Monday's hour, not Sunday's (no session)
        assert pruned == {"2025-11-24": 0, "2025-11-25": 1}
        assert stream.store.settled_hours("AAPL") == [sunday, tuesday]
    else:
        assert pruned == {}
        assert stream.store.settled_hours("AAPL") == [sunday, monday, tuesday]
