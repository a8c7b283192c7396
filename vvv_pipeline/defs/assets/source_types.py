"""Each source asset's Dagster type and column schema, from its pandera contract.

``dagster-pandera`` turns the source's tier-1 pandera schema unbound to any partition
(:func:`vvv_pipeline.validation.contract.contract`) into a Dagster type: its type check validates
the asset's output with that schema, and its ``schema`` metadata is the table schema the UI's
Columns section shows (``dagster/column_schema``): names, dtypes, nullability and each column
check's description. Two things the conversion cannot see are added from the same rule table:
the dataframe-level rules (quote order, per-symbol uniqueness, OCC, OHLC), listed on the columns
they judge, and the columns a check keeps free of nulls although pandera lets it see them (a NaN
price fails ``price_positive``, not a separate null rule).
"""

from __future__ import annotations

from functools import cache

import dagster as dg
from dagster_pandera import pandera_schema_to_dagster_type

import vvv_pipeline.defs.preview_apis  # noqa: F401  (dagster-pandera's conversion is beta)
from vvv_pipeline.defs.dagster_internals import DagsterTypeKind
from vvv_pipeline.validation.contract import contract
from vvv_pipeline.validation.rule_table import rules_of_tier, rules_without_nulls


@cache
def pandera_type(source: str) -> dg.DagsterType:
    """dagster-pandera's type for ``source``: validates a frame output with the contract."""
    return pandera_schema_to_dagster_type(contract(source))


@cache
def source_dagster_type(source: str, stores_itself: bool) -> dg.DagsterType:
    """The asset's Dagster type. A tick source writes ArcticDB itself and hands Dagster no value
    (its rows passed tier 1 already): its type is of kind Nothing, so no IO manager is asked to
    store one, and carries the same schema metadata."""
    base = pandera_type(source)
    if not stores_itself:
        return base
    return dg.DagsterType(
        type_check_fn=lambda _context, _value: True,
        name=base.unique_name,
        description=base.description,
        metadata=base.metadata,
        kind=DagsterTypeKind.NOTHING,
    )


def source_column_schema(source: str) -> dg.TableSchema:
    """The column schema of the contract, with the rule table's frame-level rules per column."""
    schema = pandera_type(source).metadata["schema"].value
    assert isinstance(schema, dg.TableSchema)
    wide: dict[str, list[str]] = {}
    for rule in rules_of_tier(source, 1):
        if rule.column is None:
            # listed on the columns it judges; symbol is the key, its own rule is the universe
            for name in (n for n in rule.reads if n != "symbol"):
                wide.setdefault(name, []).append(rule.description)
    null_free = rules_without_nulls(source)
    columns = [
        dg.TableColumn(
            name=c.name,
            type=c.type,
            description=c.description,
            constraints=dg.TableColumnConstraints(
                nullable=c.constraints.nullable and c.name not in null_free,
                unique=c.constraints.unique,
                other=[*c.constraints.other, *wide.get(c.name, [])],
            ),
        )
        for c in schema.columns
    ]
    return dg.TableSchema(columns=columns, constraints=schema.constraints)
