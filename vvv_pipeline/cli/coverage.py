"""The last step of ``vvv-pipeline run``: the coverage report of the days it ran.

The three source jobs say what they wrote; the coverage report (the unpartitioned
``coverage_report`` asset of ``coverage_report_job``) shows per source and New York day what is
stored, missing or failed tier 1, as a page beside the daily reports. It is launched as a real
run like the jobs before it, so the UI lists it with its page linked, and the command prints the
page's path as the materialization records it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import dagster as dg
import pandas as pd

if TYPE_CHECKING:
    from vvv_pipeline.defs.dagster_internals import WorkspaceRequestContext

COVERAGE_JOB = "coverage_report_job"
COVERAGE_ASSET = dg.AssetKey("coverage_report")


def coverage_config(sessions: list[str]) -> dict[str, object]:
    """Run config covering the New York days from the first session to the last."""
    days = (pd.Timestamp(sessions[-1]) - pd.Timestamp(sessions[0])).days + 1
    config = {"lookback_days": days, "end": sessions[-1]}
    return {"ops": {"coverage_report": {"config": config}}}


def build_coverage_report(
    instance: dg.DagsterInstance,
    workspace: WorkspaceRequestContext,
    sessions: list[str],
    log_level: str,
    out: TextIO = sys.stdout,
) -> Path | None:
    """Launch and follow the coverage run; the page's path, or None once the error is printed."""
    from vvv_pipeline.cli.runs import launch_and_follow, run_config
    from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host

    window = (sessions[0], sessions[-1])
    config = {**run_config(log_level), **coverage_config(sessions)}
    tags = {WORKER_HOST_TAG: this_host()}
    outcome = launch_and_follow(instance, workspace, COVERAGE_JOB, tags, config, window, out)
    return None if outcome is None else report_page(instance, outcome.run_id)


def report_page(instance: dg.DagsterInstance, run_id: str) -> Path:
    """The page the run's ``coverage_report`` materialization links (what the UI shows)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=COVERAGE_ASSET), limit=1
    ).records
    if not records or records[0].run_id != run_id:
        raise RuntimeError(f"run {run_id} recorded no materialization of coverage_report")
    return Path(records[0].asset_materialization.metadata["report"].value)
