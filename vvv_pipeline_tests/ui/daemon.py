"""``dagster-daemon`` whose backfill loop waits :data:`BACKFILL_LOOP_SECONDS` between iterations.

    python -m vvv_pipeline_tests.ui.daemon run -w workspace.yaml

Dagster's backfill daemon sleeps a fixed 30 s between iterations
(``DEFAULT_DAEMON_INTERVAL_SECONDS``, read when the loop starts, not configurable in
``dagster.yaml``). A backfill launched from the UI needs two iterations, one that turns it into
runs and one that sees its runs finished and marks it complete: up to a minute of a browser test
spent asleep. Everything else is the daemon as ``dagster-daemon run`` starts it.
"""

import sys

from vvv_pipeline_tests.dagster_internals import daemon_controller, dagster_daemon_main

BACKFILL_LOOP_SECONDS = 3

if __name__ == "__main__":
    daemon_controller.DEFAULT_DAEMON_INTERVAL_SECONDS = BACKFILL_LOOP_SECONDS
    sys.argv[0] = "dagster-daemon"
    sys.exit(dagster_daemon_main())
