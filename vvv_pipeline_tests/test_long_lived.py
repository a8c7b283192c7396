"""What a process imported is frozen out of the garbage collector's full passes, and only that."""

from __future__ import annotations

import json
import subprocess
import sys

FRESH_PROCESS = """
import gc, json
import vvv_pipeline.defs.definitions
frozen, walked = gc.get_freeze_count(), len(gc.get_objects())
data = [[index] for index in range(10_000)]
for item in data:
    item.append(item)  # cycles allocated after the freeze
del data, item
freed = gc.collect()
print(json.dumps({"frozen": frozen, "walked": walked, "freed": freed}))
"""


def test_importing_the_definitions_freezes_what_they_imported_and_later_cycles_are_freed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, check=True
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # Dagster, pandas and the code location: a few hundred thousand objects, none left to walk
    assert outcome["frozen"] > 100_000, outcome
    assert outcome["walked"] < 1_000, outcome
    # what is allocated afterwards is collected as before
    assert outcome["freed"] >= 10_000, outcome
