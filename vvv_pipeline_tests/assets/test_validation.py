"""The tier checks as the UI sees them: per partition, blocking, with quarantine and replay."""

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import CALENDAR_DAY_SOURCES, SESSION_SOURCES
from vvv_pipeline.defs.partitions import session_partitions, window_utc
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.storage.replay import replay
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.expectations import suite_for
from vvv_pipeline.validation.gate import check_names
from vvv_pipeline_tests.assets.helpers import expected, stored_table, stored_ticks
from vvv_pipeline_tests.conftest import WEEK


def _faults(*faults: dict) -> dict:
    # Run config replaces the resource's whole config, so the scale is restated.
    return {"resources": {"market": {"config": {"scale": "tiny", "faults": list(faults)}}}}


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str, str | None], bool]:
    found = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            found[(data.asset_key.to_user_string(), data.check_name, data.partition)] = data.passed
    return found


@dg.asset(
    partitions_def=session_partitions(),
    deps=["equity_ticks"],
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def downstream_of_ticks() -> None:
    """Stands in for bars: must not run when tier 1 of its partition failed."""


def _job(*assets: str) -> dg.JobDefinition:
    """A job of only the sources a test reads: the whole source job would also build every bar,
    tier, analytics and report asset downstream, which no test here looks at."""
    defs = build_definitions()
    return dg.define_asset_job("_".join(assets), selection=list(assets)).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )


def _defs_with_downstream() -> dg.Definitions:
    base = build_definitions()
    return dg.Definitions.merge(base, dg.Definitions(assets=[downstream_of_ticks]))


def test_clean_partition_passes_tier1_and_quarantines_nothing(data_dir, instance):
    job = _job(*SESSION_SOURCES)
    result = job.execute_in_process(instance=instance, partition_key=WEEK[1])
    assert result.success
    evaluations = _evaluations(result)
    assert evaluations == {
        (source, check, WEEK[1]): True
        for source in ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")
        for check in check_names(source)
    }
    assert len(evaluations) == 4 + 3 + 3 + 2
    store = QuarantineStore(settings.arctic_uri())
    assert store.summary(["equity_ticks", "darkpool_prints"]).empty


def test_bad_rows_are_quarantined_stored_rows_are_the_rest_and_downstream_is_blocked(
    data_dir, instance
):
    defs = _defs_with_downstream()
    job = dg.define_asset_job(
        "ticks_and_downstream", selection=["equity_ticks", "downstream_of_ticks"]
    ).resolve(asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources)
    fault = {"kind": "crossed_quote", "source": "equity_ticks", "symbol": "AAPL", "count": 3}
    result = job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    assert not result.success
    assert _evaluations(result)[("equity_ticks", "tier1_structure", WEEK[1])] is False
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"equity_ticks"}  # downstream did not run
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("equity_ticks"), "tier1_structure")]
    )
    assert check  # recorded for the UI

    quarantined = QuarantineStore(settings.arctic_uri()).read("equity_ticks", WEEK[1])
    assert len(quarantined) == 3
    assert set(quarantined["rejected_by"]) == {"quote_ordered"}
    assert (quarantined["bid"] > quarantined["ask"]).all()
    assert set(quarantined["symbol"].astype(str)) == {"AAPL"}
    clean = expected("equity_ticks", session_partitions(), [WEEK[1]])
    assert len(stored_ticks("equity_ticks", [WEEK[1]])) == len(clean) - 3


def test_range_run_records_each_partition_and_fails_only_the_faulty_one(data_dir, instance):
    job = _job("equity_ticks", "darkpool_prints")
    fault = {
        "kind": "negative_price",
        "source": "darkpool_prints",
        "start": f"{WEEK[2]}T00:00:00-05:00",
        "end": f"{WEEK[3]}T00:00:00-05:00",
        "count": 2,
    }
    tags = dict(zip(RANGE_TAGS, (WEEK[0], WEEK[3]), strict=True))
    result = job.execute_in_process(
        instance=instance, tags=tags, run_config=_faults(fault), raise_on_error=False
    )
    evaluations = _evaluations(result)
    per_partition = {
        key: evaluations[("darkpool_prints", "tier1_structure", key)] for key in WEEK[:4]
    }
    assert per_partition == {WEEK[0]: True, WEEK[1]: True, WEEK[2]: False, WEEK[3]: True}
    assert evaluations[("equity_ticks", "tier1_structure", WEEK[2])] is True
    summary = QuarantineStore(settings.arctic_uri()).summary(["darkpool_prints"])
    assert summary[["partition_key", "rejected_by"]].values.tolist() == [
        [WEEK[2], "price_positive"]
    ]
    printed = expected("darkpool_prints", session_partitions(), [WEEK[2]])["symbol"].nunique()
    assert int(summary["rows"].sum()) == 2 * printed  # 2 rows for each symbol with prints


def test_naive_timezone_quarantines_the_whole_partition(data_dir, instance):
    job = _job("darkpool_prints")
    fault = {"kind": "naive_timezone", "source": "darkpool_prints", "count": 1}
    job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    produced = expected("darkpool_prints", session_partitions(), [WEEK[1]])
    quarantined = QuarantineStore(settings.arctic_uri()).read("darkpool_prints", WEEK[1])
    assert len(quarantined) == len(produced) > 0
    assert quarantined["rejected_by"].str.startswith("frame: ").all()
    assert stored_table("darkpool_prints").empty


def test_rematerializing_after_the_fix_clears_the_partitions_quarantine(data_dir, instance):
    job = _job("equity_ticks")
    fault = {"kind": "zero_size", "source": "equity_ticks", "symbol": "MSFT", "count": 4}
    job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    store = QuarantineStore(settings.arctic_uri())
    assert len(store.read("equity_ticks", WEEK[1])) == 4
    assert job.execute_in_process(instance=instance, partition_key=WEEK[1]).success
    assert store.read("equity_ticks", WEEK[1]).empty


def test_replay_stores_rows_that_pass_after_a_universe_fix(
    data_dir, instance, tmp_path, monkeypatch
):
    job = _job("equity_ticks")
    fault = {"kind": "unknown_symbol", "source": "equity_ticks", "symbol": "AAPL", "count": 3}
    job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    quarantine = QuarantineStore(settings.arctic_uri())
    rows = quarantine.read("equity_ticks", WEEK[1])
    assert len(rows) == 3 and set(rows["symbol"].astype(str)) == {"ZZZZ"}
    window = window_utc(session_partitions().time_window_for_partition_key(WEEK[1]))
    arctic = ArcticStore(settings.arctic_uri())
    symbols = list(load_universe().equities)

    not_yet = replay("equity_ticks", WEEK[1], window, symbols, quarantine, arctic, "unused")
    assert (not_yet.replayed, not_yet.still_rejected) == (0, 3)

    fixed = replay("equity_ticks", WEEK[1], window, [*symbols, "ZZZZ"], quarantine, arctic, "")
    assert (fixed.replayed, fixed.still_rejected) == (3, 0)
    assert quarantine.read("equity_ticks", WEEK[1]).empty
    stored = arctic.read_partitions("equity", ["ZZZZ"], [WEEK[1]], rows_schema())
    assert len(stored) == 3
    again = replay("equity_ticks", WEEK[1], window, [*symbols, "ZZZZ"], quarantine, arctic, "")
    assert again.replayed == 0
    assert len(arctic.read_partitions("equity", ["ZZZZ"], [WEEK[1]], rows_schema())) == 3


def rows_schema():
    from vvv_pipeline.schemas import EQUITY_TICKS

    return EQUITY_TICKS


def test_replay_into_the_warehouse(data_dir, instance):
    job = _job("darkpool_prints")
    fault = {"kind": "unknown_symbol", "source": "darkpool_prints", "count": 1}
    job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    before = len(stored_table("darkpool_prints"))
    quarantine = QuarantineStore(settings.arctic_uri())
    rejected = len(quarantine.read("darkpool_prints", WEEK[1]))
    assert rejected > 0
    window = window_utc(session_partitions().time_window_for_partition_key(WEEK[1]))
    symbols = [*load_universe().equities, "ZZZZ"]
    arctic = ArcticStore(settings.arctic_uri())
    outcome = replay(
        "darkpool_prints", WEEK[1], window, symbols, quarantine, arctic, settings.duckdb_path()
    )
    assert outcome.replayed == rejected
    after = stored_table("darkpool_prints")
    assert len(after) == before + rejected
    assert (after["symbol"].astype(str) == "ZZZZ").sum() == rejected
    assert isinstance(after, pd.DataFrame)


def test_tier4_check_shows_the_great_expectations_results(data_dir, instance, monkeypatch):
    monkeypatch.setenv("VVV_GX", "1")
    job = _job(*CALENDAR_DAY_SOURCES)
    result = job.execute_in_process(instance=instance, partition_key=WEEK[1])
    assert result.success
    for source in ("news_headlines", "economic_series"):
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey(source), "tier4_quality")]
        )[dg.AssetCheckKey(dg.AssetKey(source), "tier4_quality")]
        evaluation = record.event.dagster_event.event_specific_data
        assert evaluation.passed
        assert "gx_data_docs" not in evaluation.metadata  # no link to a page blank offline
        table = evaluation.metadata["gx_results"].value.splitlines()
        assert table[0].startswith("| expectation | column | success | observed | unexpected")
        rows = [line.split(" | ") for line in table[2:]]
        assert len(rows) == len(suite_for(source).expectations) + 1  # + the symbol value set
        assert ["| expect_column_values_to_not_be_null", "ts", "pass", "", "0"] in [
            row[:5] for row in rows
        ]
        assert "great-expectations" in evaluation.metadata["summary"].value
    assert not list((data_dir / "gx").rglob("*.html"))  # nothing rendered that needs a CDN


def test_quarantine_command_lists_rejections(data_dir, instance, capsys):
    from vvv_pipeline.cli import main

    job = _job("equity_ticks")
    fault = {"kind": "zero_size", "source": "equity_ticks", "symbol": "JPM", "count": 2}
    job.execute_in_process(
        instance=instance, partition_key=WEEK[1], run_config=_faults(fault), raise_on_error=False
    )
    assert main(["quarantine", "--source", "equity_ticks"]) == 0
    out = capsys.readouterr().out
    assert "equity_ticks" in out and WEEK[1] in out and "size_positive" in out
    assert main(["replay", "equity_ticks", WEEK[1]]) == 0
    assert "0 rows replayed into the store, 2 still quarantined" in capsys.readouterr().out
