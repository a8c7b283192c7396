"""Fake FRED API serving the simulated market's economic series.

``GET /fred/series/observations`` as the reference (section 6) describes it: ``file_type=json``
required (XML error otherwise), ``api_key`` required (and checked when ``make_server`` is given
one), string values with the series' own decimals, oldest first, ``count``/``offset``/``limit``
paging, and FRED's ``{"error_code", "error_message"}`` 400s. The release semantics are those of
``output_type=4``: an observation is served when its (simulated) release date lies in
``[realtime_start, realtime_end]``, with ``realtime_start`` = that release date and
``realtime_end`` = ``9999-12-31`` (the simulation never revises a value).

What the wire cannot carry: the release time of day (the client derives it) and the frequency
(the client takes it from the universe). ``missing_dates`` serves ``"."`` for those observation
dates, as FRED does for holidays and unpublished values.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.economic import GENERIC, MODELS
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)

MAX_LIMIT = 100_000
STILL_CURRENT = "9999-12-31"
FAKE_TODAY = "2024-06-14"
"""What ``realtime_start``/``realtime_end`` default to when the client leaves them out."""


def fred_error(message: str, status: int = 400) -> FakeResponse:
    return FakeResponse(status, {"error_code": status, "error_message": f"Bad Request.  {message}"})


def _day(text: str, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"bad {name} {text!r}") from None


def _apply_content_fault(rows: list[dict[str, Any]], fault: Fault | None) -> None:
    if fault is None or not rows:
        return
    if fault.kind == "malformed":
        rows[-1]["value"] = "n/a"  # the newest row: one the client keeps
    elif fault.kind == "drift":
        for row in rows:
            row["observation_date"] = row.pop("date")


def make_server(
    market: SimulatedMarket,
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    api_key: str | None = None,
    missing_dates: Collection[str] = (),
) -> FakeHttpServer:
    """A started fake FRED server; ``api_key`` (when given) is the only key it accepts."""
    missing = set(missing_dates)

    def observations(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        query = request.query
        if query.get("file_type") != "json":
            xml = '<?xml version="1.0"?><error code="400" message="Bad Request."/>'
            return FakeResponse(400, xml, {"Content-Type": "text/xml; charset=UTF-8"})
        if not query.get("api_key"):
            return fred_error("Variable api_key is not set.")
        if api_key is not None and query["api_key"] != api_key:
            return fred_error("The value for variable api_key is not registered.")
        series = query.get("series_id", "")
        if series not in market.universe.economic:
            return fred_error("The series does not exist.")
        first = _day(query.get("realtime_start", FAKE_TODAY), "realtime_start")
        last = _day(query.get("realtime_end", FAKE_TODAY), "realtime_end")
        lo = first.tz_localize(EXCHANGE_TZ)
        hi = (last + pd.Timedelta(days=1)).tz_localize(EXCHANGE_TZ)
        frame = market.fetch(Source.ECONOMIC_SERIES, lo, hi, [series])
        obs_lo = _day(query.get("observation_start", "1600-01-01"), "observation_start")
        obs_hi = _day(query.get("observation_end", STILL_CURRENT), "observation_end")
        dates = frame["observation_date"]
        frame = frame.loc[((dates >= obs_lo) & (dates <= obs_hi)).to_numpy()]
        frame = frame.sort_values("observation_date", kind="stable", ignore_index=True)
        if query.get("sort_order", "asc") == "desc":
            frame = frame.iloc[::-1]
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", MAX_LIMIT)), MAX_LIMIT)
        page = frame.iloc[offset : offset + limit]
        decimals = MODELS.get(series, GENERIC).decimals
        released = page["ts"].dt.tz_convert(EXCHANGE_TZ).dt.strftime("%Y-%m-%d")
        observed = page["observation_date"].dt.strftime("%Y-%m-%d")
        rows = [
            {
                "realtime_start": release,
                "realtime_end": STILL_CURRENT,
                "date": date,
                "value": "." if date in missing else f"{value:.{decimals}f}",
            }
            for release, date, value in zip(released, observed, page["value"], strict=True)
        ]
        _apply_content_fault(rows, fault)
        return FakeResponse(
            200,
            {
                "realtime_start": f"{first:%Y-%m-%d}",
                "realtime_end": f"{last:%Y-%m-%d}",
                "observation_start": f"{obs_lo:%Y-%m-%d}",
                "observation_end": f"{obs_hi:%Y-%m-%d}",
                "units": "lin",
                "output_type": int(query.get("output_type", 1)),
                "file_type": "json",
                "order_by": "observation_date",
                "sort_order": query.get("sort_order", "asc"),
                "count": len(frame),
                "offset": offset,
                "limit": limit,
                "observations": rows,
            },
        )

    return FakeHttpServer([(r"/fred/series/observations", observations)], faults, port).start()
