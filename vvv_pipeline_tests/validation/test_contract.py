"""The pandera schemas are generated from the rule table, and their failure cases are the gate's.

Every rule of the table is exactly one check of its tier's schema; clean simulated data passes
every tier-1 schema; a hand-made frame's ``SchemaErrors.failure_cases`` name the rows and rules
the quarantine takes; the contract unbound to a partition skips only the window and universe.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import numpy as np
import pandas as pd
import pandera.errors
import pytest

from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.contract import (
    bound_schema,
    contract,
    record_absent_modules,
    schema_for,
)
from vvv_pipeline.validation.failures import run, run_bound
from vvv_pipeline.validation.registered import CONTEXT
from vvv_pipeline.validation.rule_table import NOT_NULL, rule_table, rules_of_tier
from vvv_pipeline_tests.validation.test_structure import DAY, fetch, symbols, ticks, window


def _check_names(schema) -> list[str]:
    names = [c.error for c in schema.checks]
    for column in schema.columns.values():
        names += [c.error for c in column.checks]
        if not column.nullable:
            names.append(f"{column.name}_not_null")
    return names


@pytest.mark.parametrize("source", list(SOURCE_SCHEMAS))
def test_each_rule_is_one_check_of_its_tier_schema(source: str) -> None:
    binding = Binding.of(window(source), symbols(source))
    for tier in (1, 2, 3, 4):
        rules = rules_of_tier(source, tier)
        schema = schema_for(source, tier, binding)
        assert sorted(_check_names(schema)) == sorted(r.name for r in rules), (source, tier)
    names = [r.name for r in rule_table(source)]
    assert len(names) == len(set(names)), source  # a rule exists once
    columns = contract(source).columns
    assert list(columns) == SOURCE_SCHEMAS[source].names
    assert {n: str(c.dtype) for n, c in columns.items()} == SOURCE_SCHEMAS[source].dtypes


@pytest.mark.parametrize("source", list(SOURCE_SCHEMAS))
def test_clean_data_validates(source: str) -> None:
    frame = fetch(source)
    schema_for(source, 1, Binding.of(window(source), symbols(source))).validate(frame, lazy=True)
    contract(source).validate(frame, lazy=True)


def test_failure_cases_name_rows_and_rules() -> None:
    frame = ticks(6)
    frame.loc[1, "price"] = np.nan  # price_positive only: a NaN is not a separate null rule
    frame.loc[2, "size"] = 0
    frame.loc[3, "bid"] = frame.loc[3, "ask"] + 1.0
    frame.loc[4, "trade_id"] = frame.loc[3, "trade_id"]  # MSFT's second row: the later one fails
    frame.loc[5, "ts"] = DAY[1]  # the window is half-open
    schema = schema_for("equity_ticks", 1, Binding.of(DAY, ["AAPL", "MSFT"]))
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        schema.validate(frame, lazy=True)
    cases = caught.value.failure_cases
    assert len(cases) == 5  # one case per failing row, also for the dataframe-level rules
    pairs = {(str(c), int(i)) for c, i in zip(cases["check"], cases["index"], strict=True)}
    assert pairs == {
        ("price_positive", 1),
        ("size_positive", 2),
        ("quote_ordered", 3),
        ("trade_id_unique", 4),
        ("ts_in_window", 5),
    }
    found = run(schema, frame.set_axis(pd.Index([10, 11, 12, 13, 14, 15])))
    assert {rule: rows.tolist() for rule, rows in found.rows.items()} == {
        "price_positive": [1],
        "size_positive": [2],
        "quote_ordered": [3],
        "trade_id_unique": [4],
        "ts_in_window": [5],
    }  # positions, whatever the frame's index


def test_one_schema_per_source_and_tier_serves_every_partition() -> None:
    """The schema is built once and lent to each validation's binding: the window, universe
    and notes are that validation's, never the previous one's."""
    frame = ticks(6)
    next_day = (DAY[0] + pd.Timedelta(days=1), DAY[1] + pd.Timedelta(days=1))
    with bound_schema("equity_ticks", 1, Binding.of(DAY, ["AAPL", "MSFT"])) as first:
        assert run(first, frame).rows == {}
    with bound_schema("equity_ticks", 1, Binding.of(next_day, ["AAPL"])) as second:
        found = run(second, frame)
    assert second is first
    assert found.rows["ts_in_window"].tolist() == [0, 1, 2, 3, 4, 5]
    msft = frame.index[frame["symbol"] == "MSFT"].tolist()
    assert found.rows["symbol_in_universe"].tolist() == msft
    first_notes, second_notes = Binding.of(DAY, ["AAPL"]), Binding.of(DAY, ["AAPL"])
    run_bound(frame, "equity_ticks", 2, first_notes)
    assert first_notes.notes  # the tier-2 checks noted into this validation's binding
    first_notes.notes.clear()
    run_bound(frame, "equity_ticks", 2, second_notes)
    assert second_notes.notes and not first_notes.notes  # and not into an earlier one's


def test_unbound_contract_skips_only_the_partition_rules() -> None:
    frame = ticks(4).assign(symbol=pd.Categorical(["ZZZA", "ZZZA", "ZZZB", "ZZZB"]))
    frame.loc[0, "ts"] = DAY[1] + pd.Timedelta(days=3)
    frame.loc[1, "trade_id"] = frame.loc[0, "trade_id"]  # unique within a partition only
    contract("equity_ticks").validate(frame, lazy=True)  # no partition, no universe: passes
    frame.loc[1, "size"] = -1
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        contract("equity_ticks").validate(frame, lazy=True)
    assert set(caught.value.failure_cases["check"]) == {"size_positive"}


def test_nullability_is_declared_by_the_not_null_rules() -> None:
    schema = contract("equity_ticks")
    not_null = {r.column for r in rules_of_tier("equity_ticks", 1) if r.check == NOT_NULL}
    assert {name for name, c in schema.columns.items() if not c.nullable} == not_null
    assert not_null.isdisjoint({"bid", "ask", "price", "size"})  # quotes nullable; NaN prices


def test_every_registered_check_is_used_by_a_rule() -> None:
    used = {r.check for source in SOURCE_SCHEMAS for r in rule_table(source)}
    assert used - {NOT_NULL} == set(CONTEXT)  # no check outside the table, no rule without one


def test_a_module_pandera_looks_for_is_recorded_absent_only_when_not_installed(monkeypatch):
    """pandera imports geopandas during every column check; a module that is not installed is
    recorded as absent once, so the import fails at once instead of searching the path."""
    missing = "vvv_no_such_module_for_pandera"
    monkeypatch.delitem(sys.modules, missing, raising=False)
    monkeypatch.delitem(sys.modules, "tabnanny", raising=False)  # installed, not imported
    assert record_absent_modules((missing, "tabnanny")) == [missing]
    assert sys.modules[missing] is None
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(missing)
    assert "tabnanny" not in sys.modules
    if importlib.util.find_spec("geopandas") is None:  # not installed here: marked at import
        assert "geopandas" in sys.modules and sys.modules["geopandas"] is None
    monkeypatch.delitem(sys.modules, missing)
