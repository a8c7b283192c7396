"""A run queue that refuses backfills larger than ``VVV_BACKFILL_MAX_PARTITIONS`` unless confirmed.

Dagster 1.13's "Materialize all" over the whole graph launches a backfill of every partition of
every asset, with no count, no confirmation and no instance setting to cap it. Every run a
backfill starts goes through the instance's run coordinator (``instance.submit_run``) before it
is queued, whoever submits it (the backfill daemon, the retry daemon, a re-execution), so this
coordinator, Dagster's run queue plus one check, is where such a backfill is stopped before any
of its runs executes:

- a run tagged ``dagster/backfill`` whose backfill is still requested and targets more than
  ``VVV_BACKFILL_MAX_PARTITIONS`` asset-partitions (an asset backfill's target subset; a job
  backfill's partitions), without the tag ``vvv/confirm_large_backfill=true``, is not queued: the
  run is canceled with a message naming the size, the limit and how to confirm; the backfill is
  set canceling (the backfill daemon stops submitting after the chunk it is in) with the same
  message as its error and the tag :data:`REFUSED_TAG`; the daemon log says so and, with
  ``VVV_ALERT_WEBHOOK`` set, one alert is posted;
- every later run of a refused backfill is canceled the same way (the daemon submits runs in
  chunks of 25 and looks at the backfill's status only between chunks);
- runs of a backfill no longer requested (finished, canceled, failed) pass: re-executing a run of
  an older backfill is not a new backfill.

Runs without the backfill tag (the schedules, the gap sensor, ``vvv-pipeline run``, a single run
launched from the UI) are queued as before; a single-run backfill (one run over a partition
range) counts the asset-partitions of its range like any other.
"""

from __future__ import annotations

import logging

import dagster as dg

from vvv_pipeline import settings
from vvv_pipeline.defs.automation.alerts.messages import PREFIX, backfill_link
from vvv_pipeline.defs.automation.alerts.webhook import deliver, ui_url, webhook_url
from vvv_pipeline.defs.dagster_internals import (
    BACKFILL_ID_TAG,
    BulkActionStatus,
    SerializableErrorInfo,
)

CONFIRM_TAG = "vvv/confirm_large_backfill"
"""Set to ``true`` on a backfill (the UI's launch dialog: "Add tags") to let it exceed the limit."""
REFUSED_TAG = "vvv/refused_large_backfill"
"""Put on a refused backfill: its size against the limit."""
ERROR_CLASS = "BackfillTooLarge"

log = logging.getLogger("dagster.daemon.BackfillGuard")


def backfill_size(backfill) -> int | None:
    """The asset-partitions an asset backfill targets (an unpartitioned asset counts one), the
    partitions of a job backfill; None when it cannot be told without the code location (an
    asset backfill stored in Dagster's older serialized form)."""
    if backfill.asset_backfill_data is not None:
        return backfill.asset_backfill_data.target_subset.num_partitions_and_non_partitioned_assets
    if backfill.partition_names is not None:
        return len(backfill.partition_names)
    return None


def confirmed(tags: dict[str, str]) -> bool:
    return tags.get(CONFIRM_TAG, "").strip().lower() == "true"


def refusal_message(backfill_id: str, size: int, limit: int) -> str:
    return (
        f"Backfill {backfill_id} refused: it targets {size:,} asset-partitions, more than "
        f"VVV_BACKFILL_MAX_PARTITIONS={limit:,}. No run of it was started. To launch it anyway, "
        f"launch it again with the tag {CONFIRM_TAG}=true (launch dialog -> Add tags); for a "
        "smaller one, select assets that share one partitions definition and pick a range."
    )


def refusal(backfill, limit: int) -> str | None:
    """Why a run of ``backfill`` may not be queued, or None."""
    if backfill.tags.get(REFUSED_TAG):
        if backfill.error is not None:
            return backfill.error.message
        return f"Backfill {backfill.backfill_id} was refused: {backfill.tags[REFUSED_TAG]}."
    if backfill.status != BulkActionStatus.REQUESTED or limit == 0 or confirmed(backfill.tags):
        return None
    size = backfill_size(backfill)
    if size is None or size <= limit:
        return None
    return refusal_message(backfill.backfill_id, size, limit)


class BackfillGuardRunCoordinator(dg.QueuedRunCoordinator):
    """Dagster's run queue (same configuration) that refuses unconfirmed large backfills."""

    def submit_run(self, context: dg.SubmitRunContext) -> dg.DagsterRun:
        run = context.dagster_run
        backfill_id = run.tags.get(BACKFILL_ID_TAG)
        if backfill_id and run.status == dg.DagsterRunStatus.NOT_STARTED:
            backfill = self._instance.get_backfill(backfill_id)
            limit = settings.current().backfill_max_partitions
            message = refusal(backfill, limit) if backfill is not None else None
            if message is not None:
                return self._refuse(run, backfill, message, limit)
        return super().submit_run(context)

    def _refuse(self, run: dg.DagsterRun, backfill, message: str, limit: int) -> dg.DagsterRun:
        instance = self._instance
        if not backfill.tags.get(REFUSED_TAG):
            size = backfill_size(backfill)
            refused = backfill.with_status(BulkActionStatus.CANCELING).with_error(
                SerializableErrorInfo(message, stack=[], cls_name=ERROR_CLASS)
            )
            refused = refused._replace(
                tags={**backfill.tags, REFUSED_TAG: f"{size:,} asset-partitions > {limit:,}"}
            )
            instance.update_backfill(refused)
            log.warning(message)
            _alert(backfill.backfill_id, message)
        instance.report_run_canceled(run, message=message)
        return instance.get_run_by_id(run.run_id) or run


def _alert(backfill_id: str, message: str) -> None:
    url = webhook_url()
    if url is None:
        return
    text = "\n".join(
        [
            f"{PREFIX} large backfill refused",
            f"reason: {message}",
            f"link: {backfill_link(ui_url(), backfill_id)}",
        ]
    )
    deliver(url, [text], log)
