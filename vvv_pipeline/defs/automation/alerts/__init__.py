"""Alerts: failed runs, blocking check failures and freshness breaches, posted to a webhook.

Without alerts, a failed run, a failed tier-1 partition or a late asset shows only to someone
who opens the Dagster UI. Three sensors post them to a Slack-compatible incoming webhook:

- ``alert_on_run_failure`` (a run-failure sensor over every run of the instance, including
  the CLI's in-process runs): one message per failed run with its job, the failing step's
  assets, partition or range, the step error's first line and a link to the run. A backfill
  posts its first :data:`~.sensors.BACKFILL_RUN_ALERTS` failed runs, the last of them saying
  the rest are not posted; Dagster processes at most 5 failed runs per tick
  (``DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT``). Runs that repeat an incident already posted
  are not posted again: a gap-sensor retry (only the last allowed attempt is, as the gap being
  given up) and a run failed by its own blocking check (that is the check's incident).
- ``alert_on_blocking_check_failure``: blocking checks (tier 1, severity ERROR) that did not
  pass, read from each run once it has finished; one message per run (a backfill's runs of
  one tick share one) and check, with the count and the first few failing partitions. An
  incident is a (asset, check, partition) failing: it stays open in the cursor until that
  partition passes, so retries that fail the same way post nothing.
- ``alert_on_freshness_failure``: one message per asset whose freshness state turns FAIL.
  Freshness is evaluated by the Dagster daemon (``dagster dev`` runs it; the ``freshness``
  instance setting is on unless disabled), which records each state change; this sensor
  reads those records, so without the daemon no freshness alert fires. The live streams'
  assets (``crypto_trade_stream/<venue>``) are left out: their stall is posted, once per
  incident and sooner, by the ``stream_status`` sensor
  (:mod:`vvv_pipeline.defs.automation.streams`), which uses this package's messages and delivery.

Settings (read at each tick): ``VVV_ALERT_WEBHOOK`` the webhook URL, unset or empty = alerts
off; ``VVV_UI_URL`` the UI's base URL for links (default ``http://localhost:3000``);
``VVV_ALERT_MAX_PER_TICK`` messages per tick of the two cursor sensors (default 10; past it the
rest become one summary message).

The sensors default to RUNNING so that setting the webhook is all it takes; while it is unset
each tick skips with "alerts off: VVV_ALERT_WEBHOOK not set". The check and freshness sensors'
cursors still advance then, so switching alerts on later replays nothing; the run-failure
sensor, like every Dagster run-status sensor, ends a tick at its first skip and so moves past
one failed run per tick while alerts are off. Every incident is read once: the cursors
(event-log storage ids) move past it whether or not its post got through; a post that fails
after its bounded retries is logged, never raised
(:mod:`~vvv_pipeline.defs.automation.alerts.webhook`). A blocking check failure also fails its run,
so it is reported twice on purpose: the run failure at once, the failing partitions with the
check's own summary once the run has ended.
"""

from vvv_pipeline.defs.automation.alerts.sensors import (
    ALERT_SENSORS,
    alert_on_blocking_check_failure,
    alert_on_freshness_failure,
    alert_on_run_failure,
)

__all__ = [
    "ALERT_SENSORS",
    "alert_on_blocking_check_failure",
    "alert_on_freshness_failure",
    "alert_on_run_failure",
]
