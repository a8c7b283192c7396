"""Each source asset's Dagster type is its pandera contract, and it judges frames like tier 1."""

from __future__ import annotations

import dagster as dg

from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline_tests.validation.test_structure import fetch

TICK_SOURCES = {"equity_ticks", "crypto_trades", "crypto_open_interest"}


def _types() -> dict[str, dg.DagsterType]:
    return {a.key.to_user_string(): a.op.output_defs[0].dagster_type for a in SOURCE_ASSETS}


def test_each_source_has_its_contract_as_dagster_type() -> None:
    types = _types()
    assert set(types) == set(SOURCE_SCHEMAS)
    for source, dagster_type in types.items():
        assert dagster_type.unique_name == f"{source}_tier1"
        schema = dagster_type.metadata["schema"].value
        assert [c.name for c in schema.columns] == SOURCE_SCHEMAS[source].names
        # the tick sources write ArcticDB themselves: no value reaches an IO manager
        assert dagster_type.is_nothing == (source in TICK_SOURCES)


def test_a_warehouse_type_check_runs_the_contract() -> None:
    dagster_type = _types()["darkpool_prints"]
    frame = fetch("darkpool_prints")
    assert dg.check_dagster_type(dagster_type, frame).success
    bad = frame.copy()
    bad.loc[0, "size"] = 0
    result = dg.check_dagster_type(dagster_type, bad)
    assert not result.success and "size_positive" in (result.description or "")
