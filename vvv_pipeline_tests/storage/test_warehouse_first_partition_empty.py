"""A warehouse table first created by an empty partition still takes text in later ones."""

import dagster as dg

from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline_tests.assets.helpers import stored_table


def test_a_first_day_without_releases_does_not_break_later_days(data_dir, instance):
    """Saturday 2025-11-01 has no economic release; Monday's rows must still be stored."""
    job = build_definitions().resolve_job_def("calendar_day_sources_job")
    for day in ("2025-11-01", "2025-11-03"):
        result = job.execute_in_process(
            instance=instance,
            partition_key=day,
            asset_selection=[dg.AssetKey("economic_series")],
        )
        assert result.success, day
    rows = stored_table("economic_series")
    assert len(rows) > 0 and set(rows["symbol"]) <= {
        "DGS10",
        "DGS2",
        "CPIAUCSL",
        "UNRATE",
        "FEDFUNDS",
    }
