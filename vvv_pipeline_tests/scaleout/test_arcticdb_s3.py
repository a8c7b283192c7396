"""The pipeline's ArcticDB stores work on S3: a moto S3 server on a real port stands in for it.

ArcticDB talks to S3 from C++, so the server is a separate process on 127.0.0.1; the same
partitions materialized on LMDB and on S3 must leave identical bars, tiers and tick symbols.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.read import load_bars, load_tier
from vvv_pipeline.storage.arctic import TICK_LIBRARY, ArcticStore, arctic_for
from vvv_pipeline.storage.derived import METADATA_TIER1, TIME_BARS
from vvv_pipeline_tests.conftest import EARLY_CLOSE, WEEK
from vvv_pipeline_tests.scaleout.services import S3_ACCESS, S3_REGION, S3_SECRET, moto_s3_server

EQUITIES = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"]
DAYS = [WEEK[3], EARLY_CLOSE]
BUCKET = "vvv-pipeline"
# a tick source and two assets derived from it: the job's other assets use the same stores
SELECTION = [
    dg.AssetKey(name) for name in ("equity_ticks", "equity_time_bars", "equity_metadata_tier1")
]

pytestmark = pytest.mark.slow


def _run_sessions(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    tags = dict(zip(RANGE_TAGS, (DAYS[0], DAYS[-1]), strict=True))
    job = build_definitions().resolve_job_def("session_sources_job")
    result = job.execute_in_process(instance=instance, tags=tags, asset_selection=SELECTION)
    assert result.success
    return result


def _span() -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(DAYS[0], tz="America/New_York")
    end = pd.Timestamp(DAYS[-1], tz="America/New_York") + pd.Timedelta(days=1)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def _stores(uri: str) -> dict[str, pd.DataFrame | list[str]]:
    """What a run leaves in an ArcticDB store: 1-minute and daily bars, tier 1, tick symbols."""
    return {
        "1min": load_bars(EQUITIES, "1min", *_span(), uri=uri),
        "1d": load_bars(EQUITIES, "1d", *_span(), uri=uri),
        "tier1": load_tier(1, EQUITIES, *_span(), uri=uri),
        "ticks": ArcticStore(uri).partition_symbols("equity"),
    }


def _snapshot(result: dg.ExecuteInProcessResult, asset: str) -> str:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.to_user_string() == asset:
            return materialization.metadata["snapshot"].value
    raise AssertionError(f"no materialization of {asset}")


def _bucket_keys(endpoint: str) -> int:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )
    return client.list_objects_v2(Bucket=BUCKET)["KeyCount"]


def test_sessions_materialized_on_s3_equal_the_same_sessions_on_lmdb(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    _run_sessions(instance)
    on_lmdb = _stores(f"lmdb://{data_dir / 'arcticdb'}")
    with moto_s3_server(tmp_path / "logs") as s3:
        s3.create_bucket(BUCKET)
        uri = s3.arctic_uri(BUCKET)
        monkeypatch.setenv("VVV_ARCTIC_URI", uri)
        result = _run_sessions(instance)
        on_s3 = _stores(uri)
        as_of_run = load_bars(
            ["MSFT"], "1min", *_span(), as_of=_snapshot(result, "equity_time_bars"), uri=uri
        )
        stored_objects = _bucket_keys(s3.endpoint)
        libraries = arctic_for(uri).list_libraries()
    assert stored_objects > 0
    assert len(on_s3["ticks"]) == len(on_lmdb["ticks"]) == len(EQUITIES) * len(DAYS)
    assert on_s3["ticks"] == on_lmdb["ticks"]
    assert len(on_s3["1d"]) == len(EQUITIES) * len(DAYS)  # one bar per session, early close too
    assert len(on_s3["tier1"]) == len(EQUITIES) * len(DAYS)
    for name in ("1min", "1d", "tier1"):
        assert len(on_s3[name]) == len(on_lmdb[name]) > 0, name
        pd.testing.assert_frame_equal(on_s3[name], on_lmdb[name])
    msft = on_s3["1min"][on_s3["1min"]["symbol"] == "MSFT"].reset_index(drop=True)
    pd.testing.assert_frame_equal(as_of_run, msft)
    assert {TICK_LIBRARY, TIME_BARS, METADATA_TIER1} <= set(libraries)
