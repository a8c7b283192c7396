"""A run that reports its worker, writes ``MARKER`` and then hangs until it is killed.

python -m vvv_pipeline_tests.automation.slow_run MARKER   (DAGSTER_HOME names the instance)
"""

import sys
import time
from pathlib import Path

import dagster as dg

from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host


@dg.asset
def hangs(context: dg.AssetExecutionContext) -> None:
    Path(context.run.tags["marker"]).write_text(context.run.run_id)
    while True:
        time.sleep(60)


def main(marker: str) -> int:
    with dg.DagsterInstance.get() as instance:
        dg.materialize(
            [hangs], instance=instance, tags={"marker": marker, WORKER_HOST_TAG: this_host()}
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
