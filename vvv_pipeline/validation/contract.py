"""The pandera schemas: one per source and tier, generated from the rule table.

:func:`schema_for` builds the ``DataFrameSchema`` a partition is validated with: tier 1 declares
every canonical column (dtype, nullability from the table's ``not_null`` rules, its column
checks) and the multi-column rules as dataframe-level checks; tiers 2 to 4 declare ``ts`` (a naive
one is named ``ts_not_utc``) and their kinds as dataframe-level checks. Every check is a
registered method (:mod:`.registered`, :mod:`.registered_tiers`) bound to the partition's
:class:`~.binding.Binding`; a dataframe-level one is a :class:`~.row_check.RowCheck`, whose
failure cases are its failing rows' labels (pandera's own would list every cell of them).
:func:`bound_schema` lends the one schema of a source and tier to a partition's binding, so
the schema is built once per process, not per validation (about 2 ms a tier).
:func:`contract` is tier 1 unbound to any partition: the schema the source asset's Dagster type
and column schema are made from.

Dtypes are checked, never coerced: a provider that sends the wrong dtype has a defect to report,
and coercion would copy every column of a 10M-row frame.

pandera asks whether each column is a geopandas geometry by importing geopandas, each time, and
Python does not remember an import that failed: without geopandas installed, every validation
searched the import path for it once per column check (an hourly crypto-trades partition's
four tiers: 10.5 against 9.2 ms, ``benchmarks/bench_small_costs.py``).
:func:`record_absent_modules` records such a module as absent once, the conclusion each search
reached.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pandera.pandas as pa

# importing the check modules registers their pandera check methods
import vvv_pipeline.validation.registered_quality
import vvv_pipeline.validation.registered_tiers  # noqa: F401
from vvv_pipeline.schemas import SOURCE_SCHEMAS, UTC_TS
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.registered import CONTEXT
from vvv_pipeline.validation.row_check import RowCheck
from vvv_pipeline.validation.rule_table import NOT_NULL, Rule, rules_of_tier

OPTIONAL_IMPORTS = ("geopandas",)
"""Modules pandera tries to import during every validation when they are not installed."""


def record_absent_modules(names: tuple[str, ...] = OPTIONAL_IMPORTS) -> list[str]:
    """Mark each of ``names`` that is not installed as absent in ``sys.modules`` (an import of
    it then fails at once, as it would after searching); returns the names marked."""
    marked = []
    for name in names:
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            sys.modules[name] = None  # type: ignore[assignment]
            marked.append(name)
    return marked


record_absent_modules()

TIER_TITLES = {
    1: "structure and integrity",
    2: "session alignment and time zones",
    3: "continuity",
    4: "statistical quality",
}


def pandera_dtype(dtype: str) -> object:
    """The pandas dtype pandera compares a column with (UTC timestamps in nanoseconds)."""
    return pd.DatetimeTZDtype("ns", "UTC") if dtype == UTC_TS else dtype


def check_of(rule: Rule, binding: Binding) -> pa.Check:
    """The pandera check a rule declares, given the binding and its name where it takes them."""
    params = dict(rule.params)
    takes = CONTEXT[rule.check]
    if "binding" in takes:
        params["binding"] = binding
    if "kind" in takes:
        params["kind"] = rule.name
    method = getattr(pa.Check, rule.check)
    # error= is the identifier failure_cases list under "check": the rule's name.
    # ignore_na=False: pandera would otherwise OR every output with an isna() of the input.
    check = method(**params, error=rule.name, description=rule.description, ignore_na=False)
    return check if rule.column is not None else RowCheck.of(check)


def schema_for(source: str, tier: int, binding: Binding) -> pa.DataFrameSchema:
    """The pandera schema of ``source``'s ``tier``, its checks bound to one partition."""
    rules = rules_of_tier(source, tier)
    canonical = SOURCE_SCHEMAS[source]
    by_column: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.column is not None:
            by_column.setdefault(rule.column, []).append(rule)
    if tier == 1:
        declared = canonical.columns
    else:
        declared = tuple(c for c in canonical.columns if c.name == "ts")
    columns = {
        c.name: pa.Column(
            pandera_dtype(c.dtype),
            checks=[check_of(r, binding) for r in by_column.get(c.name, []) if r.check != NOT_NULL],
            nullable=not any(r.check == NOT_NULL for r in by_column.get(c.name, [])),
            description=c.doc,
            title=c.name,
        )
        for c in declared
    }
    return pa.DataFrameSchema(
        columns,
        checks=[check_of(r, binding) for r in rules if r.column is None],
        name=f"{source}.tier{tier}",
        title=f"{source}_tier{tier}",
        description=f"{source}, tier {tier} ({TIER_TITLES[tier]})",
        coerce=False,
    )


@dataclass(frozen=True)
class _Reusable:
    schema: pa.DataFrameSchema
    binding: Binding
    """The binding every check of ``schema`` holds, re-pointed for each validation."""
    lock: threading.Lock
    """One validation at a time per schema in a process (the binding is shared state)."""


@cache
def _reusable(source: str, tier: int) -> _Reusable:
    binding = Binding()
    return _Reusable(schema_for(source, tier, binding), binding, threading.Lock())


@contextmanager
def bound_schema(source: str, tier: int, binding: Binding) -> Iterator[pa.DataFrameSchema]:
    """``schema_for(source, tier, binding)`` without building it: the process's one schema of
    ``source``'s ``tier``, its checks acting as ``binding`` until the block ends."""
    reusable = _reusable(source, tier)
    with reusable.lock:
        reusable.binding.adopt(binding)
        try:
            yield reusable.schema
        finally:
            reusable.binding.adopt(Binding())  # holds no partition's notes or frames


@cache
def contract(source: str) -> pa.DataFrameSchema:
    """Tier 1 of ``source`` bound to no partition (the window, universe and per-partition id
    rules pass): the canonical contract any stored frame meets, for the asset's Dagster type,
    whose output may span the partitions of a range run."""
    return schema_for(source, 1, Binding(memoise=False))
