"""The UI's column schemas are true: sources match the canonical schemas, derived assets match
what ArcticDB holds after a materialized session, and descriptions render the same columns."""

from __future__ import annotations

import dagster as dg

from vvv_pipeline.defs.assets.column_schema import COLUMN_SCHEMA
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.storage.arctic import library_for
from vvv_pipeline.stored_columns import STORED_TABLES, SeriesFamily, StoredTable
from vvv_pipeline.universe import load_universe


def _specs() -> dict[str, dg.AssetSpec]:
    return {s.key.to_user_string(): s for s in build_definitions().resolve_all_asset_specs()}


def _columns(spec: dg.AssetSpec) -> list[dg.TableColumn]:
    return list(spec.metadata[COLUMN_SCHEMA].schema.columns)


def test_every_asset_has_a_column_schema_and_sources_match_the_canonical_schemas():
    specs = _specs()
    partitioned = [name for name, spec in specs.items() if spec.partitions_def is not None]
    assert len(partitioned) == len(specs) - 1  # all but the coverage report
    for name, spec in specs.items():
        assert COLUMN_SCHEMA in spec.metadata, name
        assert len(_columns(spec)) >= 1, name
    for source, schema in SOURCE_SCHEMAS.items():
        columns = _columns(specs[source])
        assert [(c.name, c.type, c.constraints.nullable) for c in columns] == [
            (c.name, c.dtype, c.nullable) for c in schema.columns
        ]
        assert schema.markdown() in specs[source].description  # one declaration, both views
    nullable = {c.name for c in _columns(specs["equity_ticks"]) if c.constraints.nullable}
    assert nullable == {"bid", "ask"}
    trade_id = next(c for c in _columns(specs["equity_ticks"]) if c.name == "trade_id")
    assert "unique per symbol within a partition" in trade_id.constraints.other
    assert set(STORED_TABLES) == {
        name for name, spec in specs.items() if spec.group_name not in ("sources", "reports")
    }
    for name, table in STORED_TABLES.items():
        assert [c.name for c in _columns(specs[name])] == [c.name for c in table.columns()]
        assert table.markdown() in specs[name].description


def _family(table: StoredTable, series: str, instruments: set[str]) -> SeriesFamily | None:
    instrument, _, rest = series.partition("/")
    if instrument not in instruments:
        return None
    suffix = f"/{rest}" if rest else ""
    return next((f for f in table.families if suffix in f.suffixes), None)


def test_derived_column_schemas_equal_what_arcticdb_stores(two_days_store):
    # every job materialized over two sessions (and their crypto days): every stored series
    universe = load_universe()
    specs = _specs()
    checked: set[tuple[str, str]] = set()
    claimed: dict[tuple[str, str], str] = {}
    for name, table in STORED_TABLES.items():
        instruments = set(
            table.series_names or (universe.crypto if table.crypto else universe.equities)
        )
        library = library_for(arctic_uri(), table.library)
        stored_names: set[str] = set()
        for series in library.list_symbols():
            family = _family(table, series, instruments)
            if family is None:
                continue
            assert (table.library, series) not in claimed, (series, claimed)
            claimed[(table.library, series)] = name
            data = library.read(series).data.reset_index()
            stored = [(column, str(dtype)) for column, dtype in data.dtypes.items()]
            assert stored == [(c.name, c.dtype) for c in family.columns], (name, series)
            for column in family.columns:
                if not column.nullable:
                    assert data[column.name].notna().all(), (name, series, column.name)
            stored_names |= set(data.columns)
            checked.add((name, family.label))
        # the asset's schema in the UI is exactly the union of the columns it stored
        assert {c.name for c in _columns(specs[name])} == stored_names, name
    declared = {(name, f.label) for name, t in STORED_TABLES.items() for f in t.families}
    assert checked == declared  # every family was materialized and compared
    for library_name in {t.library for t in STORED_TABLES.values()}:
        library = library_for(arctic_uri(), library_name)
        unclaimed = [s for s in library.list_symbols() if (library_name, s) not in claimed]
        assert unclaimed == [], library_name  # no series outside a declared family
