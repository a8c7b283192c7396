"""A run launched in its own process and stopped in the middle of its tick write.

    python -m vvv_pipeline_tests.operations.victim REQUEST_JSON MARKER

Runs the job of the request with Dagster's clock frozen at the request's instant, as the
rehearsal's driver would, except that the ArcticDB partition write stores the first instrument,
creates ``MARKER`` and then hangs (outside the library lock) until the process is killed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from vvv_pipeline.storage import arctic
from vvv_pipeline_tests.operations.clock_driver import dagster_clock
from vvv_pipeline_tests.operations.harness import rehearsal_definitions


def _stall_after_first_instrument(marker: Path) -> None:
    original = arctic.ArcticStore.write_partition

    def write_partition(self, asset_class, partition_key, frames, *args, **kwargs):
        first = dict(list(frames.items())[:1])
        original(self, asset_class, partition_key, first, *args, **kwargs)
        marker.write_text(partition_key)
        while True:
            time.sleep(60)

    arctic.ArcticStore.write_partition = write_partition  # type: ignore[method-assign]


def main(request_json: str, marker: str) -> int:
    request = json.loads(request_json)
    _stall_after_first_instrument(Path(marker))
    defs = rehearsal_definitions()
    with dg.DagsterInstance.get() as instance, dagster_clock(pd.Timestamp(request["at"])):
        defs.resolve_job_def(request["job"]).execute_in_process(
            instance=instance,
            partition_key=request["partition_key"],
            tags=request["tags"],
            raise_on_error=False,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
