"""The pandera models mirror the canonical schemas and accept clean simulated data."""

from __future__ import annotations

import pandera.errors
import pytest

from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.validation.models import MODELS
from vvv_pipeline_tests.validation.test_structure import fetch


@pytest.mark.parametrize("source", list(SOURCE_SCHEMAS))
def test_model_mirrors_schema_and_accepts_clean_data(source: str) -> None:
    schema = SOURCE_SCHEMAS[source]
    columns = MODELS[source].to_schema().columns
    assert list(columns) == schema.names
    assert {name: str(column.dtype) for name, column in columns.items()} == schema.dtypes
    MODELS[source].validate(fetch(source))


def test_model_rejects_naive_ts_and_bad_price() -> None:
    frame = fetch("equity_ticks")
    with pytest.raises(pandera.errors.SchemaError):
        MODELS["equity_ticks"].validate(frame.assign(ts=frame["ts"].dt.tz_localize(None)))
    with pytest.raises(pandera.errors.SchemaError):
        MODELS["equity_ticks"].validate(frame.assign(price=-frame["price"]))
