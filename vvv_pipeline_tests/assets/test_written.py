"""Each partition's own rows, counted from the frames a chunk wrote (by hand on two series)."""

import pandas as pd
import pytest

from vvv_pipeline.defs.assets.written import written_by_partition


def _series(times: list[str], values: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(times, tz="UTC", name="ts")
    return pd.DataFrame({"close": values}, index=index)


DAYS = {
    "2025-01-02": (pd.Timestamp("2025-01-02", tz="UTC"), pd.Timestamp("2025-01-03", tz="UTC")),
    "2025-01-03": (pd.Timestamp("2025-01-03", tz="UTC"), pd.Timestamp("2025-01-04", tz="UTC")),
    "2025-01-06": (pd.Timestamp("2025-01-06", tz="UTC"), pd.Timestamp("2025-01-07", tz="UTC")),
}


def test_rows_series_and_bounds_per_window():
    frames = {
        # out of time order on purpose: counted as if sorted
        "AAPL_1min": _series(
            ["2025-01-03 15:00", "2025-01-02 15:00", "2025-01-02 15:01", "2025-01-03 00:00"],
            [3.0, 1.0, 2.0, 2.5],
        ),
        "MSFT_1min": _series(["2025-01-02 20:59", "2025-01-04 12:00"], [9.0, 8.0]),
        "EMPTY_1min": _series([], []),
    }
    written = written_by_partition(frames, DAYS)

    first = written["2025-01-02"]
    assert (first.rows, first.series) == (3, 2)
    assert first.first_ts == pd.Timestamp("2025-01-02 15:00", tz="UTC")
    assert first.last_ts == pd.Timestamp("2025-01-02 20:59", tz="UTC")
    assert first.preview["series"].tolist() == ["AAPL_1min", "AAPL_1min"]
    assert first.preview["close"].tolist() == [1.0, 2.0]

    second = written["2025-01-03"]  # the window's start is in, its end is not
    assert (second.rows, second.series) == (2, 1)
    assert second.first_ts == pd.Timestamp("2025-01-03 00:00", tz="UTC")
    assert second.last_ts == pd.Timestamp("2025-01-03 15:00", tz="UTC")

    third = written["2025-01-06"]  # MSFT's 4 January row is in no window
    assert (third.rows, third.series, third.first_ts, third.preview) == (0, 0, None, None)
    assert third.metadata()["dagster/row_count"].value == 0


def test_a_frame_not_indexed_by_utc_time_is_refused():
    frame = pd.DataFrame({"close": [1.0]}, index=pd.DatetimeIndex(["2025-01-02 15:00"]))
    with pytest.raises(TypeError, match="NAIVE_1min"):
        written_by_partition({"NAIVE_1min": frame}, DAYS)
