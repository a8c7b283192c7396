"""Bars and metadata tiers derived into ArcticDB: exact, idempotent, point-in-time readable."""

import dagster as dg
import pandas as pd

from vvv_pipeline.bars import time_bars
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.read import load_bars, load_tier
from vvv_pipeline_tests.assets.helpers import RANGE_TAGS, stored_ticks
from vvv_pipeline_tests.conftest import EARLY_CLOSE, WEEK

EQUITIES = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"]
DAYS = [WEEK[3], EARLY_CLOSE]  # the day before Thanksgiving and the early close
BARS = ("equity_ticks", "equity_time_bars")
TIERS = (*BARS, "equity_metadata_tier1", "equity_metadata_tier2")


def _run(
    job: str, keys: list[str], instance, run_config=None, assets: tuple[str, ...] | None = None
) -> dg.ExecuteInProcessResult:
    """A range run of ``job``, or of only its ``assets`` (the whole session job also builds the
    analytics and the Plotly report, seconds a run that a test reading bars has no use for)."""
    tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
    selection = None if assets is None else [dg.AssetKey(a) for a in assets]
    result = (
        build_definitions()
        .resolve_job_def(job)
        .execute_in_process(
            instance=instance, tags=tags, run_config=run_config, asset_selection=selection
        )
    )
    assert result.success
    return result


def _span(days: list[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(days[0], tz="America/New_York").tz_convert("UTC")
    end = (pd.Timestamp(days[-1], tz="America/New_York") + pd.Timedelta(days=1)).tz_convert("UTC")
    return start, end


def _snapshot(result: dg.ExecuteInProcessResult, asset: str) -> str:
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        if mat.asset_key.to_user_string() == asset:
            return mat.metadata["snapshot"].value
    raise AssertionError(f"no materialization of {asset}")


def test_stored_bars_equal_the_bars_of_the_stored_ticks(data_dir, instance):
    _run("session_sources_job", DAYS, instance, assets=TIERS)
    ticks = stored_ticks("equity_ticks", DAYS)
    for freq in ("1min", "1h", "1d"):
        want = time_bars(ticks, freq, sessions=DAYS)
        got = load_bars(EQUITIES, freq, *_span(DAYS))
        assert len(got) == len(want) > 0, freq
        got = got.sort_values(["symbol", "ts"], ignore_index=True)
        want = want.assign(symbol=want["symbol"].astype(str))
        want = want.sort_values(["symbol", "ts"], ignore_index=True)
        pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    daily = load_bars(["AAPL"], "1d", *_span(DAYS))
    assert len(daily) == 2  # one bar per session, the early close included
    tier1 = load_tier(1, EQUITIES, *_span(DAYS))
    assert len(tier1) == 2 * len(EQUITIES)
    early = tier1[tier1["ts"] == _span([EARLY_CLOSE])[0]]
    assert (early["window_minutes"] == 210).all()
    assert len(load_tier(2, EQUITIES, *_span(DAYS))) == 2 * len(EQUITIES)


def test_rerunning_a_range_replaces_exactly_its_window(data_dir, instance):
    _run("session_sources_job", DAYS, instance, assets=BARS)
    _run("session_sources_job", [WEEK[0]], instance, assets=BARS)
    everything = load_bars(EQUITIES, "1min")
    _run("session_sources_job", DAYS, instance, assets=BARS)
    again = load_bars(EQUITIES, "1min")
    pd.testing.assert_frame_equal(again, everything)
    assert set(again["ts"].dt.tz_convert("America/New_York").dt.strftime("%Y-%m-%d")) == {
        WEEK[0],
        *DAYS,
    }


def test_each_run_leaves_a_snapshot_that_reads_back_what_the_bars_were(data_dir, instance):
    first = _run("session_sources_job", DAYS, instance, assets=BARS)
    before = load_bars(["MSFT"], "5min", *_span(DAYS))
    denser = {"resources": {"market": {"config": {"scale": "tiny", "ticks_per_session": 900}}}}
    _run("session_sources_job", DAYS, instance, run_config=denser, assets=BARS)
    after = load_bars(["MSFT"], "5min", *_span(DAYS))
    assert after["trade_count"].sum() > before["trade_count"].sum()
    snapshot = _snapshot(first, "equity_time_bars")
    as_then = load_bars(["MSFT"], "5min", *_span(DAYS), as_of=snapshot)
    pd.testing.assert_frame_equal(as_then, before)


def test_crypto_bars_of_a_new_york_day_cover_its_utc_hours(two_days_store):
    day = two_days_store.days[-1]  # its crypto hours and the day before are stored too
    start, end = _span([day])
    hourly = load_bars(["BTCUSDT", "ETHUSDT", "SOLUSDT"], "1h", start, end)
    assert hourly.groupby("symbol").size().tolist() == [24, 24, 24]
    daily = load_bars(["BTCUSDT"], "1d", start, end)
    assert len(daily) == 1 and daily["ts"].iloc[0] == start
    assert (
        daily["trade_count"].iloc[0]
        == hourly.loc[hourly["symbol"] == "BTCUSDT", "trade_count"].sum()
    )
