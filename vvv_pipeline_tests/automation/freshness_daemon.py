"""Run one iteration of Dagster's freshness daemon in-process, at a chosen time.

Freshness states are written only by the daemon (``FreshnessDaemon``): it compares each
asset's last materialization with its policy at the current time and records a
``FRESHNESS_STATE_CHANGE`` event when the state moves. Tests that want a real breach run the
same iteration against an in-process workspace, with Dagster's clock moved forward (the
daemon's own private entry points, imported here only).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from vvv_pipeline_tests.dagster_internals import (
    FreshnessDaemon,
    InProcessCodeLocationOrigin,
    InProcessTestWorkspaceLoadTarget,
    LoadableTargetOrigin,
    WorkspaceProcessContext,
    freeze_time,
)


def evaluate_freshness(
    instance: dg.DagsterInstance, module: str, attribute: str, at: dt.datetime
) -> None:
    """Evaluate the assets of ``module:attribute`` as the freshness daemon would at ``at``."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name=module, attribute=attribute)
    )
    with (
        WorkspaceProcessContext(instance, InProcessTestWorkspaceLoadTarget(origin)) as workspace,
        freeze_time(at),
    ):
        for _ in FreshnessDaemon().run_iteration(workspace):
            pass
